"""The daily work: send a referral, see the inbox, open, acknowledge, accept or decline,
record progress and completion, withdraw or narrow consent, reply, and follow a referral's
status. Times read in the receiving agency's zone, statuses by their names (hub/display)."""

from __future__ import annotations

import argparse
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from hub.api.casefile import new_case
from hub.api.forms import model_from_schema
from hub.api.schemas import ReferralView
from hub.client import Agent, Conflict, HubApi, NotFound, Reply, consent_for
from hub.client.contents import Content
from hub.client.reading import as_text
from hub.display import code_name, event_name, local_time, status_name

from .files import save_attachments
from .output import confirm, emit, say, table, when
from .problems import EXIT_OK, not_found, usage
from .session import agent_session, api_session, run, zones

T = TypeVar("T")


@asynccontextmanager
async def _referral(rid: str) -> AsyncIterator[None]:
    """A referral the hub does not show this person reads as such, not as a bare 404."""
    try:
        yield
    except NotFound as e:
        if "referral" not in e.message and "no such endpoint" not in e.message:
            raise
        raise not_found(f"no such referral {rid} that you can see: check the id with 'hub "
                        "inbox' or 'hub outbox'") from None


def _on_referral(args: argparse.Namespace, work: Callable[[HubApi], Awaitable[T]]) -> T:
    """``work`` on the API, for the referral ``args.rid`` (a clear 'no such referral')."""
    async def go() -> T:
        async with api_session(args.home) as api, _referral(args.rid):
            return await work(api)

    return run(go())


# -- sending -----------------------------------------------------------------------------------
def _content(path: Path, referral_type: str, names: list[str], schema: dict[str, Any]
             ) -> Content:
    """The document in ``path``, checked against the type's schema as the hub serves it
    (its form in referral_types.toml: fields hidden, renamed, optional)."""
    model = model_from_schema(schema)
    try:
        doc = json.loads(path.read_bytes())
        if not isinstance(doc, dict):
            raise ValueError("not an object")
    except ValueError as e:
        raise usage(f"{path} is not a JSON object ({e}); see docs/clients.md") from None
    if names:
        doc["attachment_names"] = names
    if doc.setdefault("kind", referral_type) != referral_type:
        raise usage(f"{path} holds a '{doc['kind']}', not a '{referral_type}' (--type)")
    try:
        return model.model_validate(doc)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise usage(f"{path}: {where}: {first['msg']} (the fields of a '{referral_type}' are "
                    f"in docs/clients.md and /v1/schemas/{referral_type}.json)") from None


def _body(view) -> dict[str, Any]:
    """A served roster's body, unverified: only to name what the command line got wrong
    (the roster a referral is sealed to is verified against the pinned root)."""
    return json.loads(base64.b64decode(view.roster))


async def _check_destination(api: HubApi, to: str, referral_type: str) -> None:
    try:
        groups = [g["type"] for g in _body(await api.roster(to)).get("groups", [])]
    except NotFound:
        known = {a.id for a in await api.agencies()}
        if to in known:
            raise not_found(f"{to} has not published a roster yet, so nothing can be sealed "
                            "to it: ask its agency admin") from None
        raise not_found(f"no agency '{to}' on this hub; its agencies are "
                        f"{', '.join(sorted(known))}") from None
    if referral_type not in groups:
        raise not_found(f"unknown referral type '{referral_type}': {to} receives "
                        f"{', '.join(groups)}")


async def _check_documenter(api: HubApi, agency: str, person: str) -> None:
    """--consent-by names someone of the sending agency."""
    try:
        people = [p["id"] for p in _body(await api.roster(agency)).get("people", [])]
    except NotFound:
        return
    if person not in people:
        raise usage(f"--consent-by names the person of {agency} who documented the "
                    f"survivor's consent: one of {', '.join(people)}; '{person}' is not")


def _check_send(args: argparse.Namespace) -> Content:
    """Everything the command line can get wrong, before the device key is unlocked."""
    async def go() -> dict[str, Any]:
        async with api_session(args.home) as api:
            await _check_destination(api, args.to, args.type)
            await _check_documenter(api, (await api.me()).agency, args.consent_by)
            return await api.content_schema(args.type)

    schema = run(go())
    return _content(args.content, args.type, [p.name for p in args.attach], schema)


def cmd_send(args: argparse.Namespace) -> int:
    blobs = [p.read_bytes() for p in args.attach]
    content = _check_send(args)

    def progress(done: int, total: int) -> None:
        say(f"  attachment {done}/{total} uploaded")

    async def go() -> tuple[ReferralView, str]:
        async with agent_session(args.home) as agent:
            consent = consent_for(args.to, args.type, documented_by=args.consent_by,
                                  method=args.consent_method, days=args.consent_days,
                                  share_outcome=args.share_outcome)
            sent = await agent.send(args.to, args.type, content, consent, urgency=args.urgency,
                                    attachments=blobs, progress=progress,
                                    case=None if args.no_case else new_case())
            return sent, (await zones(agent.api))[args.to]

    referral, zone = run(go())
    emit(args.json, referral, f"sent: {_summary(referral)}\nacknowledgement due "
         f"{when(referral.ack_due_at, zone)}")
    return EXIT_OK


DRILL = "DRILL: practice only. Everything in it is made up; no survivor is involved."


def _summary(r: ReferralView) -> str:
    drill = "DRILL  " if r.drill else ""
    return (f"{r.id}  {drill}{status_name(r.status)}  {r.type} ({r.urgency})  from "
            f"{r.sender_agency} to {r.destination}")


# -- lists -------------------------------------------------------------------------------------
def _listing(args: argparse.Namespace, which: str) -> int:
    async def go() -> tuple[list[ReferralView], dict[str, str]]:
        async with api_session(args.home) as api:
            lister = api.inbox if which == "inbox" else api.outbox
            return await lister(*args.status, limit=args.limit), await zones(api)

    found, zone = run(go())
    rows = [(r.id, status_name(r.status), f"DRILL {r.type}" if r.drill else r.type,
             r.urgency,
             r.sender_agency if which == "inbox" else r.destination,
             when(r.submitted_at, zone[r.destination]), when(r.ack_due_at, zone[r.destination]))
            for r in found]
    other = "FROM" if which == "inbox" else "TO"
    emit(args.json, found, table(rows, ("ID", "STATUS", "TYPE", "URGENCY", other, "SENT",
                                        "ACK DUE")) if rows else f"your {which} is empty")
    return EXIT_OK


def cmd_inbox(args: argparse.Namespace) -> int:
    return _listing(args, "inbox")


def cmd_outbox(args: argparse.Namespace) -> int:
    return _listing(args, "outbox")


# -- reading -----------------------------------------------------------------------------------
def _json_content(parsed: object, raw: bytes) -> Any:
    if hasattr(parsed, "model_dump"):
        return parsed.model_dump(mode="json", exclude_none=True)
    return raw.decode(errors="replace") if isinstance(parsed, bytes) else parsed


def cmd_open(args: argparse.Namespace) -> int:
    async def go():
        async with agent_session(args.home) as agent, _referral(args.rid):
            received = await agent.open(args.rid)
            view = await agent.api.referral(args.rid)
            return received, await agent.api.content_schema(view.type), view

    received, schema, view = run(go())
    parsed = received.parsed()
    saved = save_attachments(args.save, args.rid, received.attachments, parsed) \
        if args.save else []
    data = {"referral": args.rid,
            "sender": received.sender if not received.reduced else view.sender_agency,
            "content": _json_content(parsed, received.content),
            "attachments": [str(p) for p in saved],
            "narrative_purged_by": received.sender if received.reduced else None}
    text = (f"from {received.sender}" if not received.reduced else
            f"from {view.sender_agency}; narrative purged by {received.sender}")
    text += f"\n\n{as_text(parsed, schema)}"
    if received.opened.header.drill:  # the sender's device said so, whatever the hub says
        text = f"{DRILL}\n\n{text}"
    if received.attachments:
        text += (f"\n\n{len(received.attachments)} attachment(s)"
                 + (f" saved: {', '.join(map(str, saved))}" if saved
                    else "; add --save DIR to keep them"))
    emit(args.json, data, text)
    return EXIT_OK


def cmd_replies(args: argparse.Namespace) -> int:
    async def go():
        async with agent_session(args.home) as agent, _referral(args.rid):
            view = await agent.api.referral(args.rid)
            return await agent.open_replies(args.rid), (await zones(agent.api))[view.destination]

    opened, zone = run(go())
    data = [{"sender": r.sender, "posted_at": r.posted_at,
             "content": _json_content(r.parsed(), r.content)} for r in opened]
    text = "\n\n".join(f"reply from {r.sender}, {when(r.posted_at, zone)}:\n"
                       + as_text(r.parsed()) for r in opened)
    emit(args.json, data, text or "no replies for you yet")
    return EXIT_OK


# -- acting ------------------------------------------------------------------------------------
def cmd_ack(args: argparse.Namespace) -> int:
    """Acknowledging again is no error: it says when it was acknowledged."""
    async def acknowledged(agent: Agent) -> ReferralView | None:
        view = await agent.api.referral(args.rid)
        return view if view.acknowledged_at else None

    async def go() -> tuple[ReferralView, bool, str]:
        async with agent_session(args.home) as agent, _referral(args.rid):
            zone = await zones(agent.api)
            done = await acknowledged(agent)
            if done is None:
                received = await agent.open(args.rid, with_attachments=False)
                try:
                    signed = await agent.acknowledge(received)
                    return signed, False, zone[signed.destination]
                except Conflict:  # someone else acknowledged it a moment ago
                    done = await acknowledged(agent)
                    if done is None:
                        raise
            return done, True, zone[done.destination]

    referral, already, zone = run(go())
    said = (f"already acknowledged at {when(referral.acknowledged_at, zone)}" if already
            else "acknowledged with a signed receipt")
    emit(args.json, {**referral.model_dump(mode="json"), "already_acknowledged": already},
         f"{said}: {_summary(referral)}")
    return EXIT_OK


def _move(args: argparse.Namespace, action: str, body: dict[str, Any] | None = None) -> int:
    referral = _on_referral(args, lambda api: api.move(args.rid, action, body))
    emit(args.json, referral, _summary(referral))
    return EXIT_OK


def cmd_accept(args: argparse.Namespace) -> int:
    return _move(args, "accept")


def cmd_reject(args: argparse.Namespace) -> int:
    return _move(args, "reject", {"reason": args.reason})


def cmd_progress(args: argparse.Namespace) -> int:
    return _move(args, "progress")


def cmd_complete(args: argparse.Namespace) -> int:
    return _move(args, "complete", {"outcome": args.outcome})


def cmd_cancel(args: argparse.Namespace) -> int:
    return _move(args, "cancel", {"reason": args.reason})


def cmd_revoke_consent(args: argparse.Namespace) -> int:
    say(f"This records that the survivor withdrew consent ({code_name(args.reason)}): the "
        "referral's content, replies and attachments are deleted at once, for both agencies, "
        "and its deadlines stop.")
    confirm(f"Withdraw consent for {args.rid}?", yes=args.yes)
    return _move(args, "revoke-consent", {"reason": args.reason})


def cmd_purge_narrative(args: argparse.Namespace) -> int:
    say("This keeps the referral's codes (needs, safe contact, consent) and deletes its "
        "narrative and attachments, for good: your device seals what is kept again, and the "
        "hub replaces the envelope.")
    confirm(f"Purge the narrative of {args.rid}?", yes=args.yes)

    async def go() -> ReferralView:
        async with agent_session(args.home) as agent, _referral(args.rid):
            try:
                return await agent.purge_narrative(args.rid)
            except ValueError as e:
                raise usage(str(e)) from None

    referral = run(go())
    emit(args.json, referral, f"narrative purged; the codes are kept: {_summary(referral)}")
    return EXIT_OK


def cmd_narrow_consent(args: argparse.Namespace) -> int:
    return _move(args, "consent", {"share_outcome": False})


def cmd_reply(args: argparse.Namespace) -> int:
    async def go():
        async with agent_session(args.home) as agent, _referral(args.rid):
            return await agent.reply(args.rid, Reply(text=args.text))

    stored = run(go())
    emit(args.json, stored, f"reply {stored.id} sealed and posted on {args.rid}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    async def work(api: HubApi):
        referral = await api.referral(args.rid)
        return referral, await api.history(args.rid), (await zones(api))[referral.destination]

    referral, history, zone = _on_referral(args, work)
    rows = [(local_time(e.at, zone, year=False), e.actor, event_name(e.action, e.to_status),
             code_name(e.code)) for e in history.events]
    receipts = (f"opened {when(referral.opened_at, zone)}, acknowledged "
                f"{when(referral.acknowledged_at, zone)}, "
                f"ack due {when(referral.ack_due_at, zone)}")
    emit(args.json, {"referral": referral.model_dump(mode="json"),
                     "history": history.model_dump(mode="json")["events"]},
         f"{_summary(referral)}\n{receipts}\n\n" + table(rows, ("WHEN", "WHO", "WHAT", "WHY")))
    return EXIT_OK

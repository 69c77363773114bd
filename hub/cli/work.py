"""The daily work: send a referral, see the inbox, open, acknowledge, accept or reject,
record progress and completion, reply, and follow a referral's status."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pydantic import ValidationError

from hub.client import DischargeHandoff, Reply, consent_for, parse_content
from hub.web.schemas import ReferralView

from .output import emit, say, table, when
from .problems import EXIT_OK, Problem
from .session import agent_session, api_session, run

TYPED_CONTENT = {"discharge-handoff": DischargeHandoff}


def _content(path: Path, referral_type: str) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise Problem(f"cannot read {path}: {e.strerror}") from None
    model = TYPED_CONTENT.get(referral_type)
    if model is None:
        return raw
    try:
        return model.model_validate_json(raw).to_bytes()
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise Problem(f"{path}: {where}: {first['msg']} (see hub.client.contents."
                      f"{model.__name__} for the fields)") from None


def _summary(r: ReferralView) -> str:
    return (f"{r.id}  {r.status}  {r.type} ({r.urgency})  from {r.sender_agency} to "
            f"{r.destination}")


def cmd_send(args: argparse.Namespace) -> int:
    content = _content(args.content, args.type)
    blobs = [p.read_bytes() for p in args.attach]

    def progress(done: int, total: int) -> None:
        say(f"  attachment {done}/{total} uploaded")

    async def go() -> ReferralView:
        async with agent_session() as agent:
            consent = consent_for(args.to, args.type, documented_by=args.consent_by,
                                  method=args.consent_method, days=args.consent_days,
                                  share_outcome=args.share_outcome)
            return await agent.send(args.to, args.type, content, consent,
                                    urgency=args.urgency, attachments=blobs, progress=progress)

    referral = run(go())
    emit(args.json, referral, f"sent: {_summary(referral)}")
    return EXIT_OK


def _listing(args: argparse.Namespace, which: str) -> int:
    async def go() -> list[ReferralView]:
        async with api_session() as api:
            lister = api.inbox if which == "inbox" else api.outbox
            return await lister(*args.status, limit=args.limit)

    found = run(go())
    rows = [(r.id, r.status, r.type, r.urgency,
             r.sender_agency if which == "inbox" else r.destination, when(r.submitted_at),
             when(r.ack_due_at)) for r in found]
    other = "FROM" if which == "inbox" else "TO"
    emit(args.json, found, table(rows, ("ID", "STATUS", "TYPE", "URGENCY", other, "SENT",
                                        "ACK DUE")) if rows else f"your {which} is empty")
    return EXIT_OK


def cmd_inbox(args: argparse.Namespace) -> int:
    return _listing(args, "inbox")


def cmd_outbox(args: argparse.Namespace) -> int:
    return _listing(args, "outbox")


def _shown(content: bytes) -> str:
    parsed = parse_content(content)
    if isinstance(parsed, bytes):
        return parsed.decode(errors="replace")
    doc = parsed.model_dump(mode="json", exclude_none=True) if hasattr(parsed, "model_dump") \
        else parsed
    return json.dumps(doc, indent=2, ensure_ascii=False)


def cmd_open(args: argparse.Namespace) -> int:
    async def go():
        async with agent_session() as agent:
            return await agent.open(args.rid)

    received = run(go())
    saved = []
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for index, data in enumerate(received.attachments):
            path = args.save / f"{args.rid}-attachment-{index}"
            path.write_bytes(data)
            saved.append(str(path))
    data = {"referral": args.rid, "sender": received.sender,
            "content": json.loads(_shown(received.content)) if _is_json(received.content)
            else received.content.decode(errors="replace"), "attachments": saved}
    text = f"from {received.sender}\n{_shown(received.content)}"
    if received.attachments:
        text += (f"\n{len(received.attachments)} attachment(s)"
                 + (f" saved: {', '.join(saved)}" if saved else "; add --save DIR to keep them"))
    emit(args.json, data, text)
    return EXIT_OK


def _is_json(content: bytes) -> bool:
    return not isinstance(parse_content(content), bytes)


def cmd_ack(args: argparse.Namespace) -> int:
    async def go() -> ReferralView:
        async with agent_session() as agent:
            received = await agent.open(args.rid, with_attachments=False)
            return await agent.acknowledge(received)

    referral = run(go())
    emit(args.json, referral, f"acknowledged with a signed receipt: {_summary(referral)}")
    return EXIT_OK


def _move(args: argparse.Namespace, action: str, body: dict[str, str] | None = None) -> int:
    async def go() -> ReferralView:
        async with api_session() as api:
            return await api.move(args.rid, action, body)

    referral = run(go())
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


def cmd_reply(args: argparse.Namespace) -> int:
    async def go():
        async with agent_session() as agent:
            return await agent.reply(args.rid, Reply(text=args.text))

    stored = run(go())
    emit(args.json, stored, f"reply {stored.id} sealed and posted on {args.rid}")
    return EXIT_OK


def cmd_replies(args: argparse.Namespace) -> int:
    async def go():
        async with agent_session() as agent:
            return await agent.open_replies(args.rid)

    opened = run(go())
    data = [{"sender": r.sender, "content": _shown(r.content)} for r in opened]
    emit(args.json, data, "\n\n".join(f"from {d['sender']}\n{d['content']}" for d in data)
         or "no replies for you yet")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    async def go():
        async with api_session() as api:
            return await api.referral(args.rid), await api.history(args.rid)

    referral, history = run(go())
    rows = [(when(e.at), e.actor, e.action, e.from_status or "", e.to_status or "",
             e.code or "") for e in history.events]
    receipts = (f"opened {when(referral.opened_at)}, acknowledged "
                f"{when(referral.acknowledged_at)}, ack due {when(referral.ack_due_at)}")
    emit(args.json, {"referral": referral.model_dump(mode="json"),
                     "history": history.model_dump(mode="json")["events"]},
         f"{_summary(referral)}\n{receipts}\n\n"
         + table(rows, ("WHEN", "WHO", "WHAT", "FROM", "TO", "CODE")))
    return EXIT_OK

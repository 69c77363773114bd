"""Every route of the hub's own route table (aiohttp's router: the JSON API of
hub/web/routes.py, the FHIR facade of hub/fhir/routes.py and the pages), asked the same
way on both twin hubs as one person, with
the answers put side by side. A route added later is asked too: its path parameters are
filled from their names, its body from its model (an unknown model fails the sweep until
it has an example here)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from dataclasses import dataclass, field

from aiohttp import web

from hub.adapters.sms_inbound import SmsReply
from hub.adapters.sms_reports import SmsReport
from hub.adapters.voice_reports import CallReport, Keypress
from hub.api import fhir
from hub.api import schemas as s
from hub.api.mdt import AddAction, MarkForReview
from hub.api.milestones import RecordMilestone
from hub.web.context import SESSION_COOKIE
from hub.web.routes import BY_NAME, Route

from .conftest import Side, Twins

READS = ("GET",)
LAST = ("revoke", "cancel", "signout")  # mutations that end what the others need, in order
# The engine's health: figures of the whole hub (heartbeats, the audit intake not yet
# sealed), asked by load balancers and monitors. The twin worlds differ by the receiver's
# steps, so their unsealed backlogs differ by those events; a running sealer empties it
# every half second, and it names no referral.
HUB_WIDE = ("healthz", "healthz.engine")
HEX16 = re.compile(r"\b[0-9a-f]{16}\b")  # request ids, token ids: different on each hub
CSRF = re.compile(r'(name="csrf" value=|data-csrf=|content=)"[^"]*"')


@dataclass
class Case:
    """What the sweep needs of a pair of worlds: the referral, and who asks."""

    rid: str
    sender_agency: str
    kind: str
    submit_body: dict
    other_agency: str
    reply_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    location: str
    retry_after: str
    body: str


def routes(app: web.Application) -> list[tuple[str, str, str]]:
    """(method, path template, name) of every route but static files and HEAD."""
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("formatter") or info.get("path")
        if route.method == "HEAD" or path is None or "directory" in info \
                or route.name in HUB_WIDE:
            continue
        found.append((route.method, path, route.name or ""))
    return found


def ordered(table: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Reads, then the changes (those that end the thread last), then the reads again."""
    reads = [r for r in table if r[0] in READS]
    changes = [r for r in table if r[0] not in READS]
    changes.sort(key=lambda r: next((i for i, word in enumerate(LAST) if word in r[2]), -1))
    return reads + changes + reads


def fill(path: str, case: Case) -> str:
    values = {"rid": case.rid, "reply_id": (case.reply_ids or ["0" * 32])[0], "index": "0",
              "agency": case.sender_agency, "kind": case.kind, "entry": "o-0000000000000000",
              "device": "0" * 32, "id": case.rid,
              "sid": "0" * 32,  # the FHIR facade's Task and Subscription
              "person": "no-such-person",  # an offboarding that finds no one
              "role": "point-person",  # a quick guide
              "aid": "0" * 16,  # a case review's action item that is not there
              "did": "0" * 16}  # a drill that is not there

    def one(match: re.Match) -> str:
        name = match.group(1).split(":")[0]
        assert name in values, f"the sweep does not know what to put in {{{name}}}: add it"
        return values[name]

    return re.sub(r"\{([^}]+)\}", one, path)


def bodies(route: Route, twins: Twins, case: Case, person: str) -> list[dict]:
    """Request bodies for an API route: one example per body model (some have two)."""
    if route.octets_in:
        return [{"data": b"a sealed blob", "headers": {"Content-Type": "application/octet-stream"}}]
    if route.body is None:
        return [{}]
    examples = {
        s.SubmitReferral: [case.submit_body],
        s.Acknowledge: [{"receipt": base64.b64encode(b"not a receipt").decode()}],
        s.Reject: [{"reason": "capacity"}], s.Complete: [{"outcome": "other"}],
        s.Cancel: [{"reason": "other"}], s.RevokeConsent: [{"reason": "survivor-withdrew"}],
        s.NarrowConsent: [{"share_outcome": True}, {"share_outcome": False}],
        s.PostReply: [{"envelope": _reply(twins, case, person)}],
        s.PublishRoster: [{"roster": "", "signature": ""}],
        s.AddOverride: [{"person": person, "from": "2027-01-16T18:00",
                         "until": "2027-01-17T08:00"}],
        s.AddAway: [{"person": person, "from": "2027-01-16", "until": "2027-01-17"}],
        SmsReport: [{"id": "m1", "status": "sent"}],
        SmsReply: [{"from": "+15555550121", "text": "123456"}],
        CallReport: [{"id": "c1", "status": "completed"}],
        Keypress: [{"id": "c1", "digits": "1"}],
        s.PushSubscription: [{"endpoint": "https://push.example.org/x",
                              "keys": {"p256dh": "B" * 87, "auth": "A" * 22}}],
        s.PostGrants: [{"grants": [base64.b64encode(b"not a key grant").decode()]}],
        s.Offboard: [{"reason": "lost-device"}],
        s.ReplaceEnvelope: [{"envelope": base64.b64encode(b"not a reduced copy").decode()}],
        s.SetupReport: [{"device_made": True, "pinned": [case.sender_agency]}],
        RecordMilestone: [{"code": "no-show"}, {"code": "not-a-milestone"}],
        MarkForReview: [{"code": "other"}],
        AddAction: [{"referral": case.rid, "owner": case.sender_agency, "code": "other",
                     "due": "2027-01-20"}],
        s.StartDrill: [{"scenario": "discharge-2am"}, {"scenario": "no-such-scenario"}],
        s.SubmitDrillReferral: [{"envelope": base64.b64encode(b"not a drill's").decode()}],
    }
    assert route.body in examples, f"the sweep has no example {route.body.__name__}: add one"
    return [{"json": doc} for doc in examples[route.body]]


def fhir_bodies(name: str, case: Case) -> list[dict]:
    """Request bodies for a FHIR route (hub/fhir/routes.py): the Task written back with
    each status a person might ask for (none that ends the referral), a Subscription, a
    token request."""
    task = {"resourceType": "Task", "id": case.rid, "intent": "order"}
    reason = {"coding": [{"system": fhir.REASON_SYSTEM, "code": "capacity"}]}
    outcome = [{"type": fhir.coding(fhir.INPUT_SYSTEM, fhir.OUTCOME_OUTPUT),
                "valueCodeableConcept": fhir.coding(fhir.OUTCOME_SYSTEM, "other")}]
    receipt = [{"type": fhir.coding(fhir.INPUT_SYSTEM, fhir.RECEIPT_INPUT),
                "valueBase64Binary": base64.b64encode(b"not a receipt").decode()}]
    examples = {
        "fhir.task.update": [task | {"status": "received", "input": receipt},
                             task | {"status": "rejected", "statusReason": reason},
                             task | {"status": "completed", "output": outcome}],
        "fhir.subscription.create": [{"resourceType": "Subscription", "status": "requested",
                                      "reason": "sweep", "criteria": "x",
                                      "channel": {"type": "rest-hook"}}],
        "fhir.token": [{"data": {"grant_type": "client_credentials"}}],
    }
    if name not in examples:
        return [{}]
    return [{"json": doc} if "data" not in doc else doc for doc in examples[name]]


def _reply(twins: Twins, case: Case, person: str) -> str:
    member = twins.world.members[person]
    if member.device is None:
        return base64.b64encode(b"CCRE not a reply").decode()
    sealed = twins.world.seal_reply(member, bytes.fromhex(case.rid), case.other_agency,
                                    case.kind, b"a reply", now=int(twins.clock.now()))
    case.reply_ids.append(sealed.header.envelope_id.hex())
    return base64.b64encode(sealed.envelope).decode()


async def ask(side: Side, method: str, path: str, name: str, person: str,
              request: dict) -> Answer:
    """One request as ``person``: the API with their token, a page with their session."""
    kw = dict(request)
    if name in BY_NAME or name.startswith("fhir."):
        kw["headers"] = {**side.auth(person), **kw.get("headers", {})}
    else:
        sid, csrf = await side.session(person)
        kw["headers"] = {"Cookie": f"{SESSION_COOKIE}={sid}", "X-CSRF-Token": csrf}
        if method not in READS:
            kw["data"] = {"csrf": csrf, "timer": "ack", "code": "discussed"}
    async with side.client.request(method, path, allow_redirects=False, **kw) as r:
        if r.content_type == "text/event-stream":
            text = (await asyncio.wait_for(r.content.readuntil(b"\n\n"), 5)).decode()
        else:
            text = await r.text()
        return Answer(r.status, r.content_type, r.headers.get("Location", ""),
                      r.headers.get("Retry-After", ""), _normal(text, side, person))


def _normal(text: str, side: Side, person: str) -> str:
    """What differs between the hubs by construction (tokens, sessions, request ids)."""
    for value in (side.tokens[person], *side.sessions.get(person, ())):
        text = text.replace(value, "<hub-specific>")
    text = CSRF.sub(r'\1"<csrf>"', text)
    if text.startswith("{"):
        text = json.dumps(json.loads(text), sort_keys=True)
    return HEX16.sub("<id>", text)


async def sweep(twins: Twins, case: Case, person: str) -> list[str]:
    """Every route, asked on both hubs as ``person``; the differences, described."""
    differences = []
    for method, template, name in ordered(routes(twins.a.client.app)):
        path = fill(template, case)
        route = BY_NAME.get(name)
        requests = bodies(route, twins, case, person) if route else fhir_bodies(name, case)
        for request in requests:
            a = await ask(twins.a, method, path, name, person, request)
            b = await ask(twins.b, method, path, name, person, request)
            if a != b:
                differences.append(f"{person}: {method} {path} ({name}): {_where(a, b)}")
    return differences


def _where(a: Answer, b: Answer) -> str:
    """Where two answers first part, in a line."""
    if (a.status, a.content_type, a.location) != (b.status, b.content_type, b.location):
        return f"A {a.status} {a.location} vs B {b.status} {b.location}: {a.body[:160]!r}"
    at = next((i for i, (x, y) in enumerate(zip(a.body, b.body, strict=False)) if x != y),
              min(len(a.body), len(b.body)))
    near = slice(max(0, at - 80), at + 80)
    return f"A ...{a.body[near]!r}... vs B ...{b.body[near]!r}"

"""The access matrix: every person of the example CCR (every agency, every role) against
every endpoint on one referral's thread (the referral, its history and audit trail, its
envelope, an attachment, a reply, its key grants), compared with the rules of docs/api.md
written out below as one small function per endpoint. Run for two referrals, so that
agencies with and without point persons are on each side.

Allowed: the call succeeds and does what it says (each state-changing call on a referral
of its own, in the state the call needs). May see but may not do: 403, and nothing moves.
May not even see: 404, the same as for a referral that does not exist. Content (envelope,
attachment and reply bytes) is in no answer but the downloads of the escalation group the
content is sealed to; coordinators never get any."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from hub.crypto import ReceiptStatus, Sealed, sign_receipt
from hub.crypto.grants import Granter
from hub.models import Status
from hub.sandbox import Member
from hub.web.routes import ROUTES

CONTENT_ROLES = frozenset({"sender", "point_person", "backup", "agency_admin"})
PAIRS = [("mercy-hospital", "harbor-house", "discharge-handoff"),  # a sender without a point
         ("bridge-advocacy", "riverside-pd", "police-report-followup")]  # person; one with


@dataclass
class Thread:
    """A referral from ``sender`` to ``receiver``; ``groups`` is each side's escalation
    group for the type, from its signed roster (that data, not the code, says who is in)."""

    sender: str
    receiver: str
    type: str
    groups: dict[str, frozenset[str]]
    sealed: dict[str, Sealed] = field(default_factory=dict)


# --- the rules (docs/api.md, "Referrals") ---------------------------------------------------

def _party(who: Member, t: Thread) -> bool:
    return who.agency in (t.sender, t.receiver)


def _group(agency_of: Callable[[Thread], str]) -> Callable[[Member, Thread], bool]:
    def rule(who: Member, t: Thread) -> bool:
        agency = agency_of(t)
        return who.agency == agency and who.person in t.groups[agency]
    return rule


def _anyone_who_sees(who: Member, t: Thread) -> bool:
    return True


def _sending_agency(who: Member, t: Thread) -> bool:
    return who.agency == t.sender and bool(who.roles & {"sender", "agency_admin"})


def _either_agency_with_a_role(who: Member, t: Thread) -> bool:
    return _party(who, t) and bool(who.roles & CONTENT_ROLES)


def _receiving_group_or_admin(who: Member, t: Thread) -> bool:
    return receiving_group(who, t) or (who.agency == t.receiver and "agency_admin" in who.roles)


receiving_group = _group(lambda t: t.receiver)
RULES: dict[str, Callable[[Member, Thread], bool]] = {
    "referral.get": _anyone_who_sees,  # both agencies, coordinators
    "referral.history": _anyone_who_sees,
    "referral.onward": _anyone_who_sees,  # each sees what it may ([] where it may know none)
    "reply.list": _anyone_who_sees,
    "referral.audit": lambda who, t: bool(who.roles & {"coordinator", "agency_admin"}),
    "referral.envelope": receiving_group,
    "attachment.get": receiving_group,
    "reply.envelope": _group(lambda t: t.sender),  # the reply here is to the sender
    "referral.acknowledge": receiving_group,
    "referral.accept": receiving_group,
    "referral.reject": receiving_group,
    "referral.progress": receiving_group,
    "referral.complete": receiving_group,
    "referral.cancel": _sending_agency,
    "attachment.put": _sending_agency,
    "referral.revoke": _either_agency_with_a_role,
    "consent.narrow": _either_agency_with_a_role,
    "reply.post": lambda who, t: _party(who, t),  # either agency
    # key grants: the group hands on; its admin may also upload the recovery key's
    "grant.post": _receiving_group_or_admin,
    "grant.list": _receiving_group_or_admin,
    "milestone.list": _anyone_who_sees,  # what each may know of them: tests/web/pages
    "mdt.mark": _anyone_who_sees,  # either agency may ask for a case review
    "mdt.unmark": lambda who, t: "coordinator" in who.roles,
}


def expected(who: Member, endpoint: str, t: Thread) -> int:
    """200 allowed; 403 may see the referral but may not do this; 404 may not see it."""
    if not (_party(who, t) or "coordinator" in who.roles):
        return 404
    return 200 if RULES[endpoint](who, t) else 403


# --- the endpoints ------------------------------------------------------------------------

@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    before: Status | None = None  # state-changing: the state it needs...
    after: Status | None = None  # ...and the state it leaves
    body: dict | None = None


R = "/v1/referrals/{rid}"
S = Status
ENDPOINTS = [
    Endpoint("referral.get", "GET", R), Endpoint("referral.history", "GET", R + "/history"),
    Endpoint("referral.onward", "GET", R + "/onward"),
    Endpoint("referral.audit", "GET", R + "/audit"), Endpoint("reply.list", "GET", R + "/replies"),
    Endpoint("referral.envelope", "GET", R + "/envelope"),
    Endpoint("attachment.get", "GET", R + "/attachments/0"),
    Endpoint("reply.envelope", "GET", R + "/replies/{reply}"),
    Endpoint("grant.list", "GET", R + "/grants"),
    Endpoint("referral.acknowledge", "POST", R + "/acknowledge", S.REQUESTED, S.RECEIVED),
    Endpoint("referral.accept", "POST", R + "/accept", S.RECEIVED, S.ACCEPTED),
    Endpoint("referral.reject", "POST", R + "/reject", S.RECEIVED, S.REJECTED,
             {"reason": "capacity"}),
    Endpoint("referral.progress", "POST", R + "/progress", S.ACCEPTED, S.IN_PROGRESS),
    Endpoint("referral.complete", "POST", R + "/complete", S.IN_PROGRESS, S.COMPLETED,
             {"outcome": "other"}),
    Endpoint("referral.cancel", "POST", R + "/cancel", S.REQUESTED, S.CANCELLED,
             {"reason": "other"}),
    Endpoint("referral.revoke", "POST", R + "/revoke-consent", S.REQUESTED, S.REVOKED,
             {"reason": "survivor-withdrew"}),
    Endpoint("consent.narrow", "POST", R + "/consent", S.REQUESTED, S.REQUESTED,
             {"share_outcome": False}),
    Endpoint("reply.post", "POST", R + "/replies", S.REQUESTED, S.REQUESTED),
    Endpoint("milestone.list", "GET", R + "/milestones"),
    Endpoint("mdt.mark", "POST", R + "/review-mark", S.REQUESTED, S.REQUESTED,
             {"code": "other"}),
    Endpoint("mdt.unmark", "DELETE", R + "/review-mark", S.REQUESTED, S.REQUESTED),
    Endpoint("attachment.put", "PUT", R + "/attachments/1", S.REQUESTED, S.REQUESTED),
    Endpoint("grant.post", "POST", R + "/grants", S.REQUESTED, S.REQUESTED),
]
READS = [e for e in ENDPOINTS if e.before is None]
WRITES = [e for e in ENDPOINTS if e.before is not None]
READS_BY_NAME = {e.name: e for e in READS}
DOWNLOADS = {"referral.envelope", "attachment.get", "reply.envelope"}


# Purging the narrative (a reduced copy sealed by a device of the receiving group; 404 to
# anyone not of the receiving agency) has its access tested in tests/client/test_purge.py.
# Recording a milestone needs an accepted referral and a type with milestones (one pair here
# has none): its access is tested in tests/web/test_milestones.py. A drill's envelope, for
# the drill sender device that forwards it (coordinators, the drill's own referrals only):
# tests/web/test_drills.py.
TESTED_ELSEWHERE = {"referral.purge_narrative", "milestone.record", "drill.envelope"}


def test_every_route_on_a_referral_has_a_rule() -> None:
    on_a_referral = {r.name for r in ROUTES if "{rid" in r.path} - TESTED_ELSEWHERE
    assert on_a_referral == set(RULES) == {e.name for e in ENDPOINTS}


# --- driving the hub ----------------------------------------------------------------------

class Driver:
    def __init__(self, hub, thread: Thread):
        self.hub, self.t, self.w = hub, thread, hub.world
        self.point = self.w.first(thread.receiver, "point_person")
        self.author = next(m for m in self.w.members.values()
                           if m.agency == thread.sender and "sender" in m.roles)

    async def submit(self) -> str:
        t = self.t
        sealed = self.w.seal_referral(self.author, t.receiver, t.type, b"{}",
                                      attachments=(b"scan",))
        r = await self.hub.client.post("/v1/referrals", headers=self.author.auth,
                                       json=self.w.submit_body(sealed, t.receiver, t.type))
        assert r.status == 201, await r.text()
        rid = (await r.json())["id"]
        t.sealed[rid] = sealed
        return rid

    async def referral_in(self, state: Status) -> str:
        """A new referral, moved by the receiving point person into ``state``."""
        rid = await self.submit()
        path = {S.RECEIVED: ["acknowledge"], S.ACCEPTED: ["acknowledge", "accept"],
                S.IN_PROGRESS: ["acknowledge", "accept", "progress"]}.get(state, [])
        for step in path:
            r = await self.call(self.point, Endpoint(step, "POST", f"{R}/{step}"), rid)
            assert r.status == 200, await r.text()
        return rid

    def _device_of(self, who: Member, agency: str) -> Member:
        """Who seals or signs for ``who``: their own device, else a colleague's."""
        if who.device is not None:
            return who
        return next((m for m in self.w.members.values()
                     if m.agency == agency and m.device is not None), self.point)

    def _body(self, who: Member, e: Endpoint, rid: str) -> dict:
        sealed = self.t.sealed[rid]
        if e.name.endswith("acknowledge"):
            signer = self._device_of(who, self.t.receiver)
            receipt = sign_receipt(signer.device, envelope_id=sealed.header.envelope_id,
                                   header_hash=sealed.header.hash,
                                   status=ReceiptStatus.ACKNOWLEDGED, at=self.w.now)
            return {"json": {"receipt": base64.b64encode(receipt).decode()}}
        if e.name == "reply.post":
            mine = who.agency if _party(who, self.t) else self.t.receiver
            to = self.t.sender if mine == self.t.receiver else self.t.receiver
            reply = self.w.seal_reply(self._device_of(who, mine), sealed.header.envelope_id,
                                      to, self.t.type, b"reply")
            return {"json": {"envelope": base64.b64encode(reply.envelope).decode()}}
        if e.name == "attachment.put":
            return {"data": b"another sealed blob"}
        if e.name == "grant.post":
            return {"json": {"grants": [self._grant(who, sealed)]}}
        return {"json": e.body} if e.body is not None else {}

    def _grant(self, who: Member, sealed: Sealed) -> str:
        """A key grant of the referral to the receiving point person's device, from a
        device it was sealed to: ``who``'s own at the receiving agency, else the point
        person's (a grant the hub would store, were ``who`` allowed to upload it)."""
        receiver = self.t.receiver
        granter = who if who.agency == receiver and who.device is not None else self.point
        roster = self.w.trust().roster(receiver, self.w.now)
        grant = Granter(granter.device).grant(sealed.envelope, self.point.device.certificate,
                                              roster_version=roster.version, now=self.w.now)
        return base64.b64encode(grant).decode()

    async def call(self, who: Member, e: Endpoint, rid: str, reply: str = ""):
        kwargs = self._body(who, e, rid)
        headers = dict(who.auth)
        if "data" in kwargs:
            headers["Content-Type"] = "application/octet-stream"
        path = e.path.format(rid=rid, reply=reply)
        return await self.hub.client.request(e.method, path, headers=headers, **kwargs)


async def _thread_of(hub, sender: str, receiver: str, referral_type: str) -> Thread:
    trust = hub.world.trust()
    groups = {a: frozenset(trust.roster(a, hub.world.now).group_members(referral_type))
              for a in (sender, receiver)}
    return Thread(sender, receiver, referral_type, groups)


async def _base(d: Driver) -> tuple[str, str, list[bytes]]:
    """The thread every read is made on: the referral, attachment 0 and a reply from the
    receiving point person to the sender. Returns (rid, reply id, the content bytes)."""
    rid = await d.submit()
    sealed = d.t.sealed[rid]
    blob = bytes(sealed.attachments[0])
    r = await d.hub.client.put(f"/v1/referrals/{rid}/attachments/0", data=blob, headers={
        **d.author.auth, "Content-Type": "application/octet-stream"})
    assert r.status in (200, 201), await r.text()
    reply = d.w.seal_reply(d.point, sealed.header.envelope_id, d.t.sender, d.t.type, b"re")
    r = await d.hub.client.post(f"/v1/referrals/{rid}/replies", headers=d.point.auth,
                                json={"envelope": base64.b64encode(reply.envelope).decode()})
    assert r.status == 201, await r.text()
    return rid, (await r.json())["id"], [sealed.envelope, blob, reply.envelope]


def _leaks(body: bytes, contents: list[bytes]) -> bool:
    """Any of the content, raw or in base64 (a 3-byte-aligned slice of its tail)."""
    for data in contents:
        piece = data[-(len(data) // 3 * 3 or 3):][-96:]
        if piece in body or base64.b64encode(piece) in body:
            return True
    return False


Mismatch = tuple[str, str, str, int, int]


async def _reads(d: Driver, rid: str, reply: str, contents: list[bytes]) -> list[Mismatch]:
    wrong: list[Mismatch] = []
    download = dict(zip(("referral.envelope", "attachment.get", "reply.envelope"), contents,
                        strict=True))
    for who in d.w.members.values():
        for e in READS:
            r = await d.call(who, e, rid, reply)
            body, want = await r.read(), expected(who, e.name, d.t)
            if r.status != want:
                wrong.append((who.person, ",".join(sorted(who.roles)), e.name, want, r.status))
            elif e.name in DOWNLOADS and want == 200:
                assert body == download[e.name], (who.person, e.name)
            else:
                assert not _leaks(body, contents), (who.person, e.name, r.status)
            if want == 404:
                assert (await r.json())["error"]["code"] == "not_found"
    return wrong


async def _writes(d: Driver, contents: list[bytes]) -> list[Mismatch]:
    wrong: list[Mismatch] = []
    store = d.hub.store.referrals
    for e in WRITES:
        shared = await d.referral_in(e.before)
        before = await store.get(shared)
        for who in d.w.members.values():
            want = expected(who, e.name, d.t)
            rid = await d.referral_in(e.before) if want == 200 else shared
            r = await d.call(who, e, rid)
            got = 200 if r.status in (200, 201) else r.status
            if got != want:
                wrong.append((who.person, ",".join(sorted(who.roles)), e.name, want, r.status))
            elif want == 200:
                assert (await store.get(rid)).status is e.after, (who.person, e.name)
                if e.name == "grant.post":  # stored, and served to the grantee's person
                    mine = await d.call(d.point, READS_BY_NAME["grant.list"], rid)
                    assert len((await mine.json())["grants"]) == 1, who.person
            assert not _leaks(await r.read(), contents), (who.person, e.name)
        after = await store.get(shared)
        assert (after.status, after.generation) == (before.status, before.generation), e.name
    return wrong


async def _listings(d: Driver, rid: str) -> list[Mismatch]:
    wrong: list[Mismatch] = []
    for who in d.w.members.values():
        for listing, agency in (("inbox", d.t.receiver), ("outbox", d.t.sender)):
            r = await d.hub.client.get(f"/v1/{listing}?limit=200", headers=who.auth)
            listed = rid in {x["id"] for x in (await r.json())["referrals"]}
            if listed != (who.agency == agency):
                wrong.append((who.person, ",".join(sorted(who.roles)), listing,
                              who.agency == agency, listed))
    return wrong


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}->{p[1]}")
async def test_access_matrix_matches_the_rules(hub, pair) -> None:
    d = Driver(hub, await _thread_of(hub, *pair))
    rid, reply, contents = await _base(d)
    wrong = await _reads(d, rid, reply, contents)
    wrong += await _listings(d, rid)
    wrong += await _writes(d, contents)
    table = "\n".join(f"{p:20} {roles:30} {e:22} expected {want} got {got}"
                      for p, roles, e, want, got in wrong)
    assert not wrong, "access differs from docs/api.md:\n" + table
    agencies = {m.agency for m in hub.world.members.values()}
    roles = set().union(*(m.roles for m in hub.world.members.values()))
    assert len(agencies) == 7 and roles == CONTENT_ROLES | {"coordinator"}

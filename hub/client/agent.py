"""A person's device talking to the hub: it verifies every roster against the agency roots
it pinned, seals to the destination's escalation group, opens what was sealed to it, and
signs receipts. Keys never leave it; the hub sees sealed bytes and metadata only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hub.api import schemas as s
from hub.api.casefile import CaseFile, attach, detach
from hub.api.drills import refuse_real_looking
from hub.clock import SystemClock
from hub.crypto import (
    DeviceIdentity,
    EnvelopeError,
    Kind,
    Opened,
    ReceiptStatus,
    SignedRoster,
    TrustError,
    TrustStore,
    Urgency,
    VerifiedRoster,
    open_envelope,
    parse_header,
    seal,
    sign_receipt,
)
from hub.crypto.grants import Granter, open_with_grant
from hub.crypto.rosterlog import LogHead, LogWitness
from hub.models import Consent, ConsentMethod

from .api import HubApi
from .contents import Content, parse_content
from .errors import HubApiError
from .forms import without_narrative

DEFAULT_LIFETIME = 30 * 86400
OPEN_STATUSES = ("requested", "received", "accepted", "in-progress")
URGENCIES = {"routine": Urgency.ROUTINE, "urgent": Urgency.URGENT,
             "emergent": Urgency.EMERGENT}


@dataclass(frozen=True)
class Received:
    """An opened referral or reply: the plaintext, who sealed it, and its attachments."""

    referral: str
    opened: Opened
    attachments: tuple[bytes | bytearray, ...] = ()
    posted_at: float | None = None  # a reply's, as the hub recorded it

    @property
    def content(self) -> bytes:
        """The document sealed, without the case file it may carry (``case``)."""
        return detach(self.opened.content)[0]

    @property
    def case(self) -> CaseFile | None:
        """The survivor's case this referral carries: its secret and earlier record."""
        return detach(self.opened.content)[1]

    def parsed(self):
        """The content typed by its kind; one without a kind is read as its envelope says
        (a reply, or the referral's type)."""
        header = self.opened.header
        return parse_content(self.content,
                             "reply" if header.kind is Kind.REPLY else header.referral_type)

    @property
    def sender(self) -> str:
        return f"{self.opened.sender.person}@{self.opened.sender.agency}"

    @property
    def reduced(self) -> bool:
        """A reduced copy: the receiving agency purged the narrative (``sender`` is who)."""
        return self.opened.header.kind is Kind.REDUCED


def _as_bytes(content: Content | bytes) -> bytes:
    return content if isinstance(content, bytes) else content.to_bytes()


@dataclass
class Agent:
    api: HubApi
    device: DeviceIdentity
    trust: TrustStore
    clock: Callable[[], float] = SystemClock().now
    cases: dict[str, bytes] = field(default_factory=dict)
    """The case secrets of the referrals this device sent (referral id -> secret): the
    sender cannot open its own envelope, so it keeps them to build the case's timeline."""

    def _now(self) -> int:
        return int(self.clock())

    @property
    def agency(self) -> str:
        return self.device.certificate.agency

    async def refresh_roster(self, agency: str) -> VerifiedRoster:
        """Fetch the agency's roster from the hub and verify it against the pinned root
        (a bad signature, an expired roster or a rollback raises TrustError)."""
        view = await self.api.roster(agency)
        signed = SignedRoster.from_json({"roster": view.roster, "signature": view.signature})
        if view.log is not None:
            await self._follow_log(head_of(view.log))
            self.trust.log.check_served(agency, signed)
        current = self.trust.rosters.get(agency)
        if current is not None and current.version == view.version:
            return self.trust.roster(agency, self._now())
        return self.trust.accept_roster(agency, signed, self._now())

    async def _follow_log(self, shown: LogHead) -> None:
        await follow_log(self.api, self.trust.log, shown)

    async def send(self, destination: str, referral_type: str, content: Content | bytes,
                   consent: Consent, *, urgency: str = "urgent",
                   attachments: Sequence[bytes] = (), lifetime: int = DEFAULT_LIFETIME,
                   progress: Callable[[int, int], None] | None = None,
                   case: CaseFile | None = None, parent: str | None = None) -> s.ReferralView:
        """Seal to the destination's escalation group and submit. The envelope id is fixed
        before the first attempt, so a retry after a timeout returns the same referral.
        ``case``: the survivor's case travels sealed beside the content (a first referral:
        ``new_case()``; onward: cases.refer_onward), and the hub is told its link id for
        this pair; ``parent``: the referral this one forwards."""
        roster = await self.refresh_roster(destination)
        now = self._now()
        data = _as_bytes(content)
        if case is not None:
            data = attach(data, case)
        sealed = seal(data, sender=self.device,
                      recipients=roster.recipients(referral_type, now), destination=destination,
                      referral_type=referral_type, urgency=URGENCIES[urgency], now=now,
                      lifetime=lifetime, attachments=tuple(attachments))
        link = case.link(self.agency, destination) if case is not None else None
        referral = await self.api.submit(sealed.envelope, consent.model_dump(), parent=parent,
                                         case_link=link)
        if case is not None:
            self.cases[referral.id] = case.secret
        for index, blob in enumerate(sealed.attachments):
            await self.api.put_attachment(referral.id, index, blob)
            if progress:
                progress(index + 1, len(sealed.attachments))
        return referral

    async def _ensure_rosters(self, *agencies: str) -> None:
        for agency in agencies:
            if agency in self.trust.roots:
                await self.refresh_roster(agency)

    async def open(self, rid: str, *, with_attachments: bool = True) -> Received:
        """Download and open a referral sealed to this device (recorded by the hub as
        opened), checking the sender against its agency's verified roster."""
        view = await self.api.referral(rid)
        await self._ensure_rosters(view.sender_agency, view.destination)
        data = await self.api.envelope(rid)
        opened = await self._open_sealed(rid, data)
        blobs = []
        if with_attachments:
            for ref in opened.attachments:
                blob = await self.api.attachment(rid, ref.index)
                blobs.append(opened.open_attachment(ref.index, blob))
        return Received(rid, opened, tuple(blobs))

    async def purge_narrative(self, rid: str) -> s.ReferralView:
        """Keep the codes, let the narrative go: open the referral, take out the fields its
        type's schema marks as narrative, seal what is left as a reduced copy (envelope kind
        3) to this agency's escalation group for the type, and have the hub put it in place
        of the envelope. Its attachments go too (bound to the old envelope's key)."""
        view = await self.api.referral(rid)
        received = await self.open(rid, with_attachments=False)
        reduced = without_narrative(received.opened.content,  # its case too
                                    await self.api.content_schema(view.type))
        roster = await self.refresh_roster(self.agency)
        now = self._now()
        sealed = seal(reduced, sender=self.device, recipients=roster.recipients(view.type, now),
                      destination=self.agency, referral_type=view.type,
                      urgency=received.opened.header.urgency, now=now,
                      lifetime=max(1, received.opened.header.expires_at - now),
                      kind=Kind.REDUCED, thread_id=bytes.fromhex(rid))
        return await self.api.replace_envelope(rid, sealed.envelope)

    async def acknowledge(self, received: Received) -> s.ReferralView:
        header = received.opened.header
        receipt = sign_receipt(self.device, envelope_id=header.envelope_id,
                               header_hash=header.hash, status=ReceiptStatus.ACKNOWLEDGED,
                               at=self._now())
        return await self.api.acknowledge(received.referral, receipt)

    async def reply(self, rid: str, content: Content | bytes) -> s.Stored:
        """Seal a reply on the referral's thread to the other side's escalation group."""
        view = await self.api.referral(rid)
        if view.drill is not None:  # a drill never reaches a real survivor's contact
            refuse_real_looking(_as_bytes(content), marked=False)
        other = view.sender_agency if self.agency == view.destination else view.destination
        roster = await self.refresh_roster(other)
        now = self._now()
        sealed = seal(_as_bytes(content), sender=self.device,
                      recipients=roster.recipients(view.type, now), destination=other,
                      referral_type=view.type, urgency=Urgency.ROUTINE, now=now,
                      lifetime=DEFAULT_LIFETIME, kind=Kind.REPLY, thread_id=bytes.fromhex(rid),
                      drill=view.drill is not None)
        return await self.api.post_reply(rid, sealed.envelope)

    async def open_replies(self, rid: str) -> list[Received]:
        """Every reply on the thread that was sealed to this device's agency."""
        view = await self.api.referral(rid)
        await self._ensure_rosters(view.sender_agency, view.destination)
        out = []
        for reply in await self.api.replies(rid):
            if reply.to_agency != self.agency:
                continue
            data = await self.api.reply_envelope(rid, reply.id)
            out.append(Received(rid, await self._open_sealed(rid, data),
                                posted_at=reply.posted_at))
        return out

    async def _open_sealed(self, rid: str, data: bytes) -> Opened:
        """Open as a recipient; a device approved after the envelope was sealed opens it
        with a key grant addressed to it (docs/envelope.md, "Key grants")."""
        try:
            return open_envelope(data, device=self.device, trust=self.trust, now=self._now())
        except EnvelopeError as e:
            if e.reason != "not-a-recipient":
                raise
            refused = e
        eid, me = parse_header(data).envelope_id.hex(), self.device.certificate.device_id.hex()
        for g in (await self.api.grants(rid)).grants:
            if g.envelope_id == eid and g.grantee == me:
                await self.refresh_roster(self.agency)
                return open_with_grant(data, g.grant, device=self.device, trust=self.trust,
                                       now=self._now())
        raise refused

    async def grant(self, rid: str, granter: Granter | None = None) -> int:
        """Hand a referral (and the replies to this agency on its thread) to every current
        device of its escalation group that cannot read it yet; the grants stored. Raises
        EnvelopeError('not-a-recipient') when this device was not sealed to it."""
        view = await self.api.referral(rid)
        roster = await self.refresh_roster(self.agency)
        readers = set((await self.api.grants(rid)).readers)
        now = self._now()
        try:
            group = roster.recipients(view.type, now)
        except TrustError:  # no device of the group left: only the recovery key can help
            return 0
        missing = [c for c in group if c.device_id.hex() not in readers]
        if not missing:
            return 0
        granter = granter or Granter(self.device)
        data = await self.api.envelope(rid, to_grant=True)
        grants = [granter.grant(data, c, roster_version=roster.version, now=now)
                  for c in missing]
        for reply in await self.api.replies(rid):
            if reply.to_agency == self.agency:
                try:
                    header = parse_header(await self.api.reply_envelope(rid, reply.id))
                except HubApiError:  # the recovery key's admin is in no group: no replies
                    continue
                try:
                    grants += [granter.grant(header, c, roster_version=roster.version, now=now)
                               for c in missing]
                except EnvelopeError:
                    continue  # sealed before this device joined: another device grants it
        return (await self.api.post_grants(rid, grants)).stored

    async def grant_all(self, progress: Callable[[int, int], None] | None = None
                        ) -> dict[str, int]:
        """Grant every open referral of this agency's inbox that this device can read to the
        group's devices that cannot: how many were handed on, already readable, not
        readable by this device."""
        rids = await self._open_referrals()
        tally = {"granted": 0, "readable": 0, "not_mine": 0}
        granter = Granter(self.device)
        for done, rid in enumerate(rids, 1):
            try:
                stored = await self.grant(rid, granter)
                tally["granted" if stored else "readable"] += 1
            except EnvelopeError:
                tally["not_mine"] += 1
            if progress:
                progress(done, len(rids))
        return tally

    async def _open_referrals(self) -> list[str]:
        rids: list[str] = []
        while True:
            page = await self.api.inbox(*OPEN_STATUSES, offset=len(rids), limit=100)
            rids += [v.id for v in page]
            if len(page) < 100:
                return rids


async def follow_log(api: HubApi, witness: LogWitness, shown: LogHead | None = None) -> LogHead:
    """Check that the roster log the hub shows (``shown``, or its current head) extends the
    one this device saw, and follow it (docs/envelope.md, "Roster log"); TrustError when it
    does not. The head followed."""
    if shown is None:
        current = (await api.roster_log(witness.count)).log
        if current is None:
            raise TrustError("no-roster-log", "this hub keeps no roster log")
        shown = head_of(current)
    start = witness.needs(shown)
    if start is not None:
        served = await api.roster_log(start)
        if served.log is None or head_of(served.log).count < shown.count:
            raise TrustError("roster-log-fork", "the hub would not serve its roster log")
        witness.advance([e.encode() for e in served.entries[:shown.count - start]], shown)
    return shown


def head_of(view: s.LogHeadView) -> LogHead:
    return LogHead(view.count, bytes.fromhex(view.head), bytes.fromhex(view.key),
                   bytes.fromhex(view.signature))


def consent_for(destination: str, referral_type: str, *, documented_by: str,
                method: ConsentMethod = "written", days: int = 30, share_outcome: bool = False,
                now: int | None = None) -> Consent:
    """Consent metadata for one destination and referral type, given now.
    ``share_outcome``: the survivor agreed that the sender learns how it ended."""
    now = int(SystemClock().now()) if now is None else now
    return Consent(agency=destination, purposes=(referral_type,), given_at=now - 1,
                   method=method, documented_by=documented_by, expires_at=now + days * 86400,
                   share_outcome=share_outcome)

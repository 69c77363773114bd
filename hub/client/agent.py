"""A person's device talking to the hub: it verifies every roster against the agency roots
it pinned, seals to the destination's escalation group, opens what was sealed to it, and
signs receipts. Keys never leave it; the hub sees sealed bytes and metadata only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hub.api import schemas as s
from hub.clock import SystemClock
from hub.crypto import (
    DeviceIdentity,
    Kind,
    Opened,
    ReceiptStatus,
    SignedRoster,
    TrustStore,
    Urgency,
    VerifiedRoster,
    open_envelope,
    seal,
    sign_receipt,
)
from hub.models import Consent, ConsentMethod

from .api import HubApi
from .contents import Content, parse_content

DEFAULT_LIFETIME = 30 * 86400
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
        return self.opened.content

    def parsed(self):
        """The content typed by its kind; one without a kind is read as its envelope says
        (a reply, or the referral's type)."""
        header = self.opened.header
        return parse_content(self.content,
                             "reply" if header.kind is Kind.REPLY else header.referral_type)

    @property
    def sender(self) -> str:
        return f"{self.opened.sender.person}@{self.opened.sender.agency}"


def _as_bytes(content: Content | bytes) -> bytes:
    return content if isinstance(content, bytes) else content.to_bytes()


@dataclass
class Agent:
    api: HubApi
    device: DeviceIdentity
    trust: TrustStore
    clock: Callable[[], float] = SystemClock().now

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
        current = self.trust.rosters.get(agency)
        if current is not None and current.version == view.version:
            return self.trust.roster(agency, self._now())
        return self.trust.accept_roster(agency, signed, self._now())

    async def send(self, destination: str, referral_type: str, content: Content | bytes,
                   consent: Consent, *, urgency: str = "urgent",
                   attachments: Sequence[bytes] = (), lifetime: int = DEFAULT_LIFETIME,
                   progress: Callable[[int, int], None] | None = None) -> s.ReferralView:
        """Seal to the destination's escalation group and submit. The envelope id is fixed
        before the first attempt, so a retry after a timeout returns the same referral."""
        roster = await self.refresh_roster(destination)
        now = self._now()
        sealed = seal(_as_bytes(content), sender=self.device,
                      recipients=roster.recipients(referral_type, now), destination=destination,
                      referral_type=referral_type, urgency=URGENCIES[urgency], now=now,
                      lifetime=lifetime, attachments=tuple(attachments))
        referral = await self.api.submit(sealed.envelope, consent.model_dump())
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
        opened = open_envelope(data, device=self.device, trust=self.trust, now=self._now())
        blobs = []
        if with_attachments:
            for ref in opened.attachments:
                blob = await self.api.attachment(rid, ref.index)
                blobs.append(opened.open_attachment(ref.index, blob))
        return Received(rid, opened, tuple(blobs))

    async def acknowledge(self, received: Received) -> s.ReferralView:
        header = received.opened.header
        receipt = sign_receipt(self.device, envelope_id=header.envelope_id,
                               header_hash=header.hash, status=ReceiptStatus.ACKNOWLEDGED,
                               at=self._now())
        return await self.api.acknowledge(received.referral, receipt)

    async def reply(self, rid: str, content: Content | bytes) -> s.Stored:
        """Seal a reply on the referral's thread to the other side's escalation group."""
        view = await self.api.referral(rid)
        other = view.sender_agency if self.agency == view.destination else view.destination
        roster = await self.refresh_roster(other)
        now = self._now()
        sealed = seal(_as_bytes(content), sender=self.device,
                      recipients=roster.recipients(view.type, now), destination=other,
                      referral_type=view.type, urgency=Urgency.ROUTINE, now=now,
                      lifetime=DEFAULT_LIFETIME, kind=Kind.REPLY, thread_id=bytes.fromhex(rid))
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
            out.append(Received(rid, open_envelope(data, device=self.device, trust=self.trust,
                                                   now=self._now()), posted_at=reply.posted_at))
        return out


def consent_for(destination: str, referral_type: str, *, documented_by: str,
                method: ConsentMethod = "written", days: int = 30, share_outcome: bool = False,
                now: int | None = None) -> Consent:
    """Consent metadata for one destination and referral type, given now.
    ``share_outcome``: the survivor agreed that the sender learns how it ended."""
    now = int(SystemClock().now()) if now is None else now
    return Consent(agency=destination, purposes=(referral_type,), given_at=now - 1,
                   method=method, documented_by=documented_by, expires_at=now + days * 86400,
                   share_outcome=share_outcome)

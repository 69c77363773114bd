"""Replies and attachments on a referral's thread. Replies are further sealed envelopes,
in either direction; attachments are sealed blobs listed in the envelope's manifest.
Where the sharing agreement keeps what the receiving agency does from the sender, its
replies would tell the sender it engaged, so the receiving agency cannot reply there;
and every refusal that depends on the referral's state is decided on the asker's view of
it (flowback.py)."""

from __future__ import annotations

from hub.api.codes import Codes
from hub.clock import Clock
from hub.crypto import Kind
from hub.crypto.attachments import MAX_ATTACHMENT
from hub.crypto.header import MAX_ATTACHMENTS
from hub.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, Unprocessable
from hub.models import HistoryEvent, Referral, Status
from hub.store import Store

from .access import not_found, require_sender
from .auditor import Auditor
from .consent import ConsentService
from .directory import DirectoryService
from .flowback import Sight, status_flows_back
from .principal import Principal
from .referrals import ReferralService, check_lifetime, digest, read_header

CLOSED_TO_CONTENT = frozenset({Status.REVOKED, Status.EXPIRED, Status.CANCELLED})


def _closed() -> Conflict:
    return Conflict("consent for this referral was withdrawn or ran out while you were "
                    "sending; nothing was stored", code=Codes.THREAD_CLOSED)


class ThreadService:
    def __init__(self, *, store: Store, clock: Clock, directory: DirectoryService,
                 referrals: ReferralService, consent: ConsentService, auditor: Auditor):
        self._store = store
        self._clock = clock
        self._directory = directory
        self._referrals = referrals
        self._consent = consent
        self._audit = auditor

    def _other_side(self, who: Principal, referral: Referral) -> str:
        if who.agency == referral.destination:
            if not status_flows_back(referral, self._directory.ccr):
                raise Forbidden(f"the sharing agreement keeps what {referral.destination} does "
                                f"from {referral.sender_agency}, and a reply would tell them; "
                                "nothing was sent", code=Codes.REPLY_NOT_SHARED)
            return referral.sender_agency
        if who.agency == referral.sender_agency:
            return referral.destination
        raise Forbidden("coordinators see metadata only; they cannot post replies")

    async def post_reply(self, who: Principal, rid: str, envelope: bytes,
                         request_id: str | None = None) -> tuple[dict[str, str], bool]:
        referral = await self._referrals.get(who, rid)
        seen = await self._referrals.sight(who, referral)
        if seen.status in CLOSED_TO_CONTENT:
            raise Conflict(f"the referral is {seen.status}; no more replies",
                           code=Codes.THREAD_CLOSED)
        to = self._other_side(who, referral)
        header = read_header(envelope)
        if (header.kind is not Kind.REPLY or header.thread_id.hex() != rid
                or header.destination != to or header.referral_type != referral.type):
            raise Unprocessable(f"a reply on this referral is sealed as a reply to {to}, "
                                f"thread {rid}, type '{referral.type}'", code=Codes.BAD_REPLY)
        now = self._clock.now()
        check_lifetime(header, now)
        reply_id = header.envelope_id.hex()
        meta: dict[str, object] = {"id": reply_id, "from_agency": who.agency,
                                   "from_person": who.person, "to_agency": to, "posted_at": now}
        result = await self._store.threads.put_reply(
            rid, reply_id, digest(envelope), envelope, meta,
            HistoryEvent(at=now, actor=who.person, action="reply"),
            self._audit.event(who, "reply.post", referral=rid, request_id=request_id))
        if result == "conflict":
            raise Conflict("another reply was posted with this envelope id",
                           code=Codes.DUPLICATE_ID)
        if result == "missing":
            raise not_found(rid)
        if result == "closed":
            raise _closed()
        if result == "exists":  # the same reply again: answered as before, and audited
            await self._audit.record(who, "reply.post", referral=rid, outcome="existing",
                                     request_id=request_id)
        stored = await self._store.threads.reply(rid, reply_id)
        return stored or {}, result == "created"

    async def replies(self, who: Principal, rid: str) -> list[dict[str, str]]:
        seen = await self._referrals.read(who, rid)
        return seen.replies(await self._store.threads.replies(rid))

    async def reply_envelope(self, who: Principal, rid: str, reply_id: str) -> bytes:
        referral = await self._referrals.get(who, rid)
        seen = await self._referrals.sight(who, referral)
        reply = await self._store.threads.reply(rid, reply_id)
        if reply is None or not seen.shows_reply(reply):
            raise NotFound(f"no reply {reply_id} on this referral")
        to = reply["to_agency"]
        roster = await self._directory.verified_roster(to)
        members = roster.group_members(referral.type) if roster else ()
        if who.agency != to or who.person not in members:
            raise Forbidden(f"only {to}'s escalation group for '{referral.type}' can open it")
        self._consent.check_referral(referral, self._clock.now())
        envelope = await self._store.threads.reply_envelope(rid, reply_id)
        if envelope is None:
            raise NotFound("this reply's envelope has been deleted", code=Codes.ENVELOPE_GONE)
        await self._audit.record(who, "reply.download", referral=rid)
        return envelope

    async def put_attachment(self, who: Principal, rid: str, index: int, blob: bytes,
                             request_id: str | None = None) -> bool:
        referral = await self._referrals.get(who, rid)
        require_sender(who, referral)
        seen: Sight = await self._referrals.sight(who, referral)
        if seen.status in CLOSED_TO_CONTENT:
            raise Conflict(f"the referral is {seen.status}", code=Codes.THREAD_CLOSED)
        if not 0 <= index < MAX_ATTACHMENTS:
            raise Unprocessable(f"attachment index must be 0 to {MAX_ATTACHMENTS - 1}")
        if len(blob) > MAX_ATTACHMENT + 65_536:
            raise PayloadTooLarge("an attachment is at most 256 MiB")
        now = self._clock.now()
        result = await self._store.threads.put_attachment(
            rid, index, digest(blob), blob, {"size": len(blob), "posted_at": now},
            HistoryEvent(at=now, actor=who.person, action=f"attachment.{index}"),
            self._audit.event(who, "attachment.upload", referral=rid, request_id=request_id))
        if result == "conflict":
            raise Conflict(f"attachment {index} already holds other bytes", code=Codes.DUPLICATE_ID)
        if result == "closed":
            raise _closed()
        if result == "exists":  # the same bytes again: answered as before, and audited
            await self._audit.record(who, "attachment.upload", referral=rid, outcome="existing",
                                     request_id=request_id)
        return result == "created"

    async def attachment(self, who: Principal, rid: str, index: int) -> bytes:
        referral = await self._referrals.get(who, rid)
        await self._directory.require_recipient(who, referral)
        self._consent.check_referral(referral, self._clock.now())
        blob = await self._store.threads.attachment(rid, index)
        if blob is None:
            raise NotFound(f"attachment {index} is not on the hub: not uploaded yet, or "
                           "deleted", code=Codes.ATTACHMENT_GONE)
        await self._audit.record(who, "attachment.download", referral=rid)
        return blob

"""Moving a referral through its statuses (FHIR R4 Task). The acknowledgement needs a
receipt signed by a device of the receiving escalation group; each change is one atomic
store step, so fifty concurrent acknowledgements make exactly one transition.

Whether a change is allowed is decided on the referral as the person asking may know it
(flowback.py): a sender from whom the agreement keeps the status is refused, or not,
exactly as for a referral still waiting, and every answer is that person's view."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable

from hub.api.codes import Codes
from hub.clock import Clock
from hub.crypto import EnvelopeError, ReceiptStatus, verify_receipt
from hub.errors import Conflict, Forbidden, Unprocessable
from hub.models import OPEN_STATUSES, TRANSITIONS, HistoryEvent, Referral, Status
from hub.routing.ladder import WITHDRAWN, member
from hub.store import Store, TransitionResult

from .access import require_sender
from .auditor import Auditor
from .directory import DirectoryService
from .flowback import CONSENT_ENDED, SENDER_CANCELLED, Reach, Sight
from .principal import Principal
from .referrals import ReferralService
from .timers import TimerPlanner


class LifecycleService:
    def __init__(self, *, store: Store, clock: Clock, directory: DirectoryService,
                 referrals: ReferralService, timers: TimerPlanner, auditor: Auditor):
        self._store = store
        self._clock = clock
        self._directory = directory
        self._referrals = referrals
        self._timers = timers
        self._audit = auditor
        self.after_change: Callable[[Referral], Awaitable[None]] | None = None  # Subscriptions

    async def acknowledge(self, who: Principal, rid: str, receipt_b64: str,
                          request_id: str | None = None) -> Sight:
        referral = await self._referrals.get(who, rid)
        roster = await self._directory.require_recipient(who, referral)
        now = self._clock.now()
        try:
            raw = base64.b64decode(receipt_b64, validate=True)
            receipt, device = verify_receipt(
                raw, envelope_id=bytes.fromhex(referral.id),
                header_hash=bytes.fromhex(referral.header_hash),
                devices=roster.devices_of(roster.group_members(referral.type), int(now)))
        except (binascii.Error, ValueError, EnvelopeError):
            raise Unprocessable("the receipt does not verify: sign it with your device for this "
                                "referral's envelope", code=Codes.BAD_RECEIPT) from None
        if receipt.status is not ReceiptStatus.ACKNOWLEDGED or device.person != who.person:
            raise Unprocessable("the receipt must be an acknowledgement signed by your own "
                                "device", code=Codes.BAD_RECEIPT)
        return await self._move(who, referral, Status.RECEIVED, request_id,
                                fields={"acknowledged_at": now, "acknowledged_by": who.person})

    async def accept(self, who: Principal, rid: str, request_id: str | None = None) -> Sight:
        return await self._as_recipient(who, rid, Status.ACCEPTED, request_id)

    async def reject(self, who: Principal, rid: str, reason: str,
                     request_id: str | None = None) -> Sight:
        return await self._as_recipient(who, rid, Status.REJECTED, request_id,
                                        fields={"reason_code": reason}, code=reason)

    async def progress(self, who: Principal, rid: str, request_id: str | None = None) -> Sight:
        return await self._as_recipient(who, rid, Status.IN_PROGRESS, request_id)

    async def complete(self, who: Principal, rid: str, outcome: str,
                       request_id: str | None = None) -> Sight:
        return await self._as_recipient(who, rid, Status.COMPLETED, request_id,
                                        fields={"outcome_code": outcome}, code=outcome)

    async def cancel(self, who: Principal, rid: str, reason: str,
                     request_id: str | None = None) -> Sight:
        """The sender cancels. When the referral closed where the sender cannot see it (the
        agreement keeps the status from flowing back), the cancellation is recorded beside
        the closed status, so the sender's answer is the same as for an open one."""
        referral = await self._referrals.get(who, rid)
        require_sender(who, referral)
        seen = await self._referrals.sight(who, referral)
        _require_move(seen, Status.CANCELLED)
        cancelled = self._step(who, Status.CANCELLED, request_id, fields={"reason_code": reason},
                               code=reason)
        if seen.reach is not Reach.OWN:
            return await self._referrals.sight(who, await self._until_applied(referral,
                                                                              cancelled))

        async def cancelled_unseen(current: Referral) -> TransitionResult:
            if current.status in TRANSITIONS[Status.CANCELLED]:
                return await cancelled(current)
            now = self._clock.now()
            await self._store.referrals.mark_receipt(
                current, "sender_cancelled_at", now,
                HistoryEvent(at=now, actor=who.person, action=SENDER_CANCELLED, code=reason),
                self._audit.event(who, "referral.cancelled", referral=rid,
                                  request_id=request_id))
            return TransitionResult(True, current.status)

        return await self._referrals.sight(who, await self._until_applied(referral,
                                                                          cancelled_unseen))

    async def revoke_consent(self, who: Principal, rid: str, reason: str,
                             request_id: str | None = None) -> Sight:
        """The survivor withdrew consent, as the sending or the receiving agency records it.
        At once: status 'revoked', every envelope, reply and attachment deleted, timers
        stopped, notices not sent yet cancelled, and a content-free notice queued for
        everyone who had access (lua/end_consent.lua)."""
        referral = await self._referrals.get(who, rid)
        _require_party(who, referral, "a withdrawal of consent is recorded by the sending or "
                                      "the receiving agency")
        seen = await self._referrals.sight(who, referral)
        if seen.status in CONSENT_ENDED:
            raise Conflict(f"the referral is already {seen.status}", code=Codes.ILLEGAL_TRANSITION)

        async def withdraw(referral: Referral) -> TransitionResult:
            if referral.status in CONSENT_ENDED:
                raise Conflict(f"the referral is already {referral.status}",
                               code=Codes.ILLEGAL_TRANSITION)
            now = self._clock.now()
            return await self._store.referrals.end_consent(
                referral, Status.REVOKED,
                {"updated_at": now, "revoked_at": now, "revoked_by": who.person,
                 "reason_code": reason},
                HistoryEvent(at=now, actor=who.person, action="status.revoked",
                             from_status=referral.status, to_status=Status.REVOKED, code=reason),
                self._audit.event(who, "referral.revoked", referral=rid, request_id=request_id),
                notify_at=now, notify_member=member(rid, WITHDRAWN),
                obligations=self._timers.obligations(referral),
                closes=(HistoryEvent(at=now, actor="hub", action="mdt.action.closed"),
                        self._audit.event(who, "mdt.action.closed", referral=rid,
                                          request_id=request_id)))

        return await self._referrals.sight(who, await self._until_applied(referral, withdraw))

    async def narrow_consent(self, who: Principal, rid: str, *, share_outcome: bool,
                             request_id: str | None = None) -> Sight:
        """The survivor narrowed their consent (either agency records it): it can only
        take back, never give more; widening takes new consent, that is a new referral.
        A request that changes nothing in the asker's view is answered and audited, and
        writes nothing."""
        referral = await self._referrals.get(who, rid)
        _require_party(who, referral, "consent is recorded by the sending or the receiving "
                                      "agency")
        seen = await self._referrals.sight(who, referral)
        if seen.status in CONSENT_ENDED:
            raise Conflict(f"the referral is {seen.status}: there is no consent left",
                           code=Codes.ILLEGAL_TRANSITION)
        if share_outcome and not seen.referral.consent.share_outcome:
            raise Forbidden("consent can only be narrowed here; sharing more needs the "
                            "survivor's new consent on a new referral", code=Codes.CONSENT_WIDENED)
        if share_outcome or not seen.referral.consent.share_outcome:
            await self._audit.record(who, "consent.narrowed", referral=rid,
                                     outcome="unchanged", request_id=request_id)
            return seen
        for _ in range(3):
            record = await self._store.referrals.consent_record(rid)
            if record is None:
                break
            stored, consent = record
            now = self._clock.now()
            if await self._store.referrals.narrow_consent(
                    seen.referral, stored, consent.model_copy(update={"share_outcome": False}),
                    HistoryEvent(at=now, actor=who.person, action="consent.narrowed"),
                    self._audit.event(who, "consent.narrowed", referral=rid,
                                      request_id=request_id), now):
                return await self._referrals.read(who, rid)
        raise Conflict("the referral changed while you were updating it; reload and retry",
                       code=Codes.CONCURRENT_CHANGE)

    async def _as_recipient(self, who: Principal, rid: str, to: Status, request_id: str | None,
                            fields: dict[str, object] | None = None,
                            code: str | None = None) -> Sight:
        referral = await self._referrals.get(who, rid)
        await self._directory.require_recipient(who, referral)
        return await self._move(who, referral, to, request_id, fields=fields or {}, code=code)

    async def _move(self, who: Principal, referral: Referral, to: Status, request_id: str | None,
                    *, fields: dict[str, object], code: str | None = None) -> Sight:
        step = self._step(who, to, request_id, fields=fields, code=code)
        return await self._referrals.sight(who, await self._until_applied(referral, step))

    def _step(self, who: Principal, to: Status, request_id: str | None, *,
              fields: dict[str, object], code: str | None
              ) -> Callable[[Referral], Awaitable[TransitionResult]]:
        """The change to ``to``, as one atomic store step on the referral as it is now."""
        async def move(referral: Referral) -> TransitionResult:
            if referral.status not in TRANSITIONS[to]:
                raise Conflict(f"a referral that is '{referral.status}' cannot become '{to}'",
                               code=Codes.ILLEGAL_TRANSITION)
            now = self._clock.now()
            deadlines, timer_fields = self._timers.on_transition(referral, to, now)
            return await self._store.referrals.transition(
                referral, to, {**fields, **timer_fields, "updated_at": now},
                HistoryEvent(at=now, actor=who.person, action=f"status.{to}",
                             from_status=referral.status, to_status=to, code=code),
                deadlines,
                self._audit.event(who, f"referral.{to}", referral=referral.id,
                                  request_id=request_id),
                (HistoryEvent(at=now, actor="hub", action="mdt.action.closed"),
                 self._audit.event(who, "mdt.action.closed", referral=referral.id,
                                   request_id=request_id)) if to not in OPEN_STATUSES else None)

        return move

    async def _until_applied(self, referral: Referral,
                             change: Callable[[Referral], Awaitable[TransitionResult]]
                             ) -> Referral:
        """Apply ``change``; when another change won the race, re-read and decide again."""
        for _ in range(3):
            result = await change(referral)
            fresh = await self._store.referrals.get(referral.id)
            if result.ok and fresh is not None:
                if self.after_change is not None:
                    await self.after_change(fresh)
                return fresh
            if fresh is None:
                break
            referral = fresh
        raise Conflict("the referral changed while you were updating it; reload and retry",
                       code=Codes.CONCURRENT_CHANGE)


def _require_move(seen: Sight, to: Status) -> None:
    """Refuse, in the asker's own terms, a change their view of the referral does not allow."""
    if seen.status not in TRANSITIONS[to]:
        raise Conflict(f"a referral that is '{seen.status}' cannot become '{to}'",
                       code=Codes.ILLEGAL_TRANSITION)


def _require_party(who: Principal, referral: Referral, message: str) -> None:
    if who.agency not in (referral.sender_agency, referral.destination) \
            or not who.has("sender", "point_person", "backup", "agency_admin"):
        raise Forbidden(message, code=Codes.NOT_ALLOWED)

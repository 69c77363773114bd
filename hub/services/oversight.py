"""What coordinators do about one referral from the dashboard: read its dossier (status
history, receipts, escalation steps and their outcomes, audit trail; metadata only), nudge
the receiving agency (the current step's notice again, at most once in NUDGE_EVERY), and
mark it reviewed at a team meeting with a reason code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from hub.api.codes import Codes
from hub.clock import Clock
from hub.errors import BadRequest, Conflict, Forbidden, TooManyRequests
from hub.models import OPEN_STATUSES, AuditEvent, HistoryEvent, Referral
from hub.routing.ccr import Ccr
from hub.store import Store
from hub.store.outbox import NoticeRecord
from hub.store.oversight import Owed

from . import trails
from .access import not_found
from .auditor import Auditor
from .flowback import sight
from .principal import Principal
from .scope import in_scope, queue_scope
from .timers import TimerPlanner

NUDGE_EVERY = 15 * 60
ReviewCode = Literal["discussed", "agency-followed-up", "systemic-issue", "resolved", "other"]
REVIEW_CODES: tuple[str, ...] = ReviewCode.__args__  # type: ignore[attr-defined]

Nudger = Callable[[Referral, str, str], Awaitable[int]]


@dataclass(frozen=True)
class Dossier:
    referral: Referral
    history: list[HistoryEvent]
    notices: list[NoticeRecord]
    audit: list[AuditEvent] | None  # None: not for this reader
    owed: list[Owed]  # the deadlines it still owes
    audit_problem: str = ""  # where the trail's index disagrees with the sealed log


class OversightService:
    def __init__(self, *, store: Store, clock: Clock, ccr: Ccr, auditor: Auditor,
                 timers: TimerPlanner, nudger: Nudger):
        self._store = store
        self._ccr = ccr
        self._timers = timers
        self._clock = clock
        self._audit = auditor
        self._nudge = nudger

    async def _get(self, who: Principal, rid: str) -> Referral:
        """The referral, if it is in ``who``'s queue scope (the receiving agency's people,
        or coordinators); 404 otherwise, exactly as for a missing one."""
        scope = queue_scope(who)
        referral = await self._store.referrals.get(rid)
        if referral is None or not in_scope(scope, referral.destination):
            raise not_found(rid)
        return referral

    async def dossier(self, who: Principal, rid: str) -> Dossier:
        """The receiving agency's and the coordinators' view (flowback.py: the whole of it)."""
        seen = sight(who, await self._get(who, rid), self._ccr, self._clock.now(),
                     await self._store.referrals.history(rid))
        notices = await self._store.notices.of_referral(rid)
        trail = await trails.read(self._store, rid) \
            if who.has("coordinator", "agency_admin") else None
        owed = await self._store.oversight.owed_by(self._timers.obligations(seen.referral))
        return Dossier(seen.referral, list(seen.history or ()), notices,
                       seen.audit(trail.events) if trail else None, owed,
                       trail.problem if trail else "")

    async def nudge(self, who: Principal, rid: str, timer: str) -> int:
        referral = await self._get(who, rid)
        if not who.has("coordinator", "agency_admin"):
            raise Forbidden("coordinators and agency admins nudge", code=Codes.NOT_ALLOWED)
        if referral.status not in OPEN_STATUSES:
            raise Conflict(f"the referral is {referral.status}: nothing to nudge",
                           code=Codes.NOTHING_TO_NUDGE)
        if f"{rid}:{timer}" not in self._timers.obligations(referral):
            raise BadRequest(f"this referral has no deadline '{timer}': choose the "
                             "acknowledgement or one of its follow-ups", code=Codes.BAD_TIMER)
        now = self._clock.now()
        if not await self._store.oversight.take_nudge(rid, now, now + NUDGE_EVERY):
            raise TooManyRequests("this referral was nudged less than 15 minutes ago; give "
                                  "the agency time to answer", code=Codes.NUDGED_RECENTLY)
        queued = await self._nudge(referral, timer, f"nudge:{now:.0f}")
        await self._audit.record(who, "dashboard.nudge", referral=rid,
                                 outcome="ok" if queued else "nothing_due")
        if not queued:
            await self._store.oversight.drop_nudge(rid)
            raise Conflict("that deadline is met or has no one left to notify",
                           code=Codes.NOTHING_TO_NUDGE)
        return queued

    async def review(self, who: Principal, rid: str, code: ReviewCode) -> None:
        await self._get(who, rid)
        if not who.is_coordinator:
            raise Forbidden("coordinators mark referrals reviewed", code=Codes.NOT_ALLOWED)
        now = self._clock.now()
        if not await self._store.oversight.review(
                rid, {"review_code": code, "reviewed_at": str(now)},
                HistoryEvent(at=now, actor=who.person, action="reviewed", code=code),
                self._audit.event(who, "dashboard.review", referral=rid)):
            raise not_found(rid)

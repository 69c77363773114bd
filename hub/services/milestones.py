"""Milestones the receiving agency records on a referral it accepted: codes from
milestones.toml for the referral's type, never free text. Recording one stops its timer and
meets its obligation in the same step (store/milestones.py); a code that misses another
(a no-show) makes that one a gap at once, which the engine tells (escalation/missed.py).
Only the receiving agency records; the sender and coordinators are told 403, anyone else
404, as for a missing referral."""

from __future__ import annotations

from dataclasses import dataclass

from hub.api.codes import Codes
from hub.clock import Clock
from hub.errors import Conflict, Forbidden, Unprocessable
from hub.models import HistoryEvent, Referral, Status
from hub.routing.ccr import Ccr
from hub.routing.ladder import member
from hub.routing.milestones import GAP, PREFIX, Milestone
from hub.store import Store
from hub.store.milestones import RecordedMilestone, Recording

from .access import not_found
from .auditor import Auditor
from .flowback import sight
from .principal import Principal

RECORDS = ("point_person", "backup", "agency_admin")
WHILE = (Status.ACCEPTED.value, Status.IN_PROGRESS.value)  # recorded in these statuses


@dataclass(frozen=True)
class MilestoneView:
    """A referral's milestones as one reader may know them: those of its type, each
    recorded (when, in time) or owed, and the gaps."""

    configured: tuple[Milestone, ...]
    recorded: tuple[RecordedMilestone, ...]
    gaps: dict[str, float]
    due: dict[str, float]  # code -> deadline, of those still owed


class MilestoneService:
    def __init__(self, *, store: Store, clock: Clock, ccr: Ccr, auditor: Auditor):
        self._store = store
        self._clock = clock
        self._ccr = ccr
        self._audit = auditor

    async def record(self, who: Principal, rid: str, code: str) -> tuple[bool,
                                                                        RecordedMilestone]:
        """Record ``code`` on the referral: (True, the record) when new, (False, the record
        kept) when it was recorded before (a retry answers the same)."""
        referral = await self._receiving(who, rid)
        milestone = self._milestone(referral, code)
        now = self._clock.now()
        found, value = await self._store.milestones.record(
            referral, self._recording(referral, milestone), by=who.person, now=now,
            statuses=WHILE, history=HistoryEvent(at=now, actor=who.person,
                                                 action="milestone.recorded", code=code),
            audit=self._audit.event(who, "milestone.recorded", referral=rid))
        if found == "missing":
            raise not_found(rid)
        if found == "status":
            raise Conflict(f"the referral is {value}; milestones are recorded once it is "
                           "accepted and until it is closed")
        assert isinstance(value, RecordedMilestone)
        return found == "ok", value

    async def view(self, who: Principal, rid: str) -> MilestoneView:
        """The referral's milestones for ``who``: its agencies and coordinators; a sender
        the agreement keeps from the status, or whose survivor did not agree to share how it
        went (consent's ``share_outcome``, flowback.py), sees none recorded and no gaps."""
        referral = await self._store.referrals.get(rid)
        if referral is None or not (who.is_coordinator or who.agency in (
                referral.sender_agency, referral.destination)):
            raise not_found(rid)
        configured = self._ccr.milestones.of(referral.type)
        history = await self._store.referrals.history(rid) if who.agency == \
            referral.sender_agency and not who.is_coordinator else None
        if not sight(who, referral, self._ccr, self._clock.now(), history).milestones:
            return MilestoneView(configured, (), {}, {})
        owed = await self._store.oversight.owed_by([member(rid, m.timer) for m in configured
                                                    if m.within is not None])
        return MilestoneView(configured, tuple(await self._store.milestones.recorded(rid)),
                             await self._store.milestones.gaps(rid),
                             {o.timer.removeprefix(PREFIX): o.due for o in owed})

    async def _receiving(self, who: Principal, rid: str) -> Referral:
        referral = await self._store.referrals.get(rid)
        if referral is None:
            raise not_found(rid)
        if who.agency != referral.destination:
            if who.is_coordinator or who.agency == referral.sender_agency:
                raise Forbidden("only the receiving agency records milestones",
                                code=Codes.NOT_ALLOWED)
            raise not_found(rid)
        if not who.has(*RECORDS):
            raise Forbidden("only the receiving agency's point person, backups or agency "
                            "admin record milestones", code=Codes.NOT_ALLOWED)
        return referral

    def _milestone(self, referral: Referral, code: str) -> Milestone:
        found = self._ccr.milestones.find(referral.type, code)
        if found is None:
            known = [m.code for m in self._ccr.milestones.of(referral.type)]
            listed = ", ".join(known) if known else "none are configured for this type"
            raise Unprocessable(f"that code is no milestone of a '{referral.type}' referral; "
                                f"use one of: {listed}", code=Codes.UNKNOWN_MILESTONE)
        return found

    def _recording(self, referral: Referral, milestone: Milestone) -> Recording:
        rid = referral.id
        missed = self._ccr.milestones.find(referral.type, milestone.misses) \
            if milestone.misses else None
        return Recording(
            milestone.code, member(rid, milestone.timer) if milestone.within else None,
            missed.code if missed else None, member(rid, missed.timer) if missed else None,
            member(rid, GAP + missed.code) if missed else None)

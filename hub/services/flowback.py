"""What one person may know of one referral. Every answer about a referral (the JSON API,
its history, audit trail and replies, the pages, and the refusals that depend on its state)
is made from the ``Sight`` that ``sight()`` makes here, and from nothing else.

How far a reader sees (``Reach``):

- FULL: the receiving agency and the coordinators (who need decline reasons for the
  figures) see everything.
- STATUS: the sending agency follows the status, but learns the outcome and decline codes
  only when the agreement lets outcomes flow back *and* the survivor agreed (consent's
  ``share_outcome``); otherwise it sees that the referral closed, not how.
- OWN: when the agreement keeps the status from flowing back, the sending agency knows only
  what it did itself and what consent did, which the hub tells it anyway: the referral as
  sent ('requested'), its own cancellation, narrowing, replies and uploads, consent
  withdrawn (by whoever recorded it) or run out (at consent's ``expires_at``, which the
  sender set). That view is replayed from the history, so two referrals that differ only in
  what the receiving agency did look the same to the sender, down to ``updated_at``,
  ``reply_count``, the audit trail and which requests are refused.

Milestones and gaps (``milestones_flow_back``) are narrowed as the outcome is: the sending
agency learns of the milestones recorded and the gaps (their notices, the milestones'
listing, the history and audit entries) only when the agreement lets the status flow back
*and* the survivor agreed (consent's ``share_outcome``); narrowing consent takes them back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

from hub.models import AuditEvent, HistoryEvent, Referral, Status
from hub.routing.ccr import Ccr

from .principal import Principal

OUTCOMES = (Status.COMPLETED, Status.REJECTED)  # closing codes the sender may not learn
SENDER_CANCELLED = "sender.cancelled"  # the sender cancelled what had closed out of its sight
CONSENT_ENDED = (Status.REVOKED, Status.EXPIRED)
NARRATIVE_PURGED = "narrative.purged"  # the receiving agency's own record keeping
RECEIVERS_OWN = frozenset({NARRATIVE_PURGED})  # never shown to the sending agency
RECEIVERS_OWN_AUDIT = frozenset({"referral.narrative_purged", "referral.purge_narrative"})
MILESTONE = "milestone."  # the history and audit actions of milestones and gaps
Row = TypeVar("Row", bound=dict)


class Reach(Enum):
    FULL = "full"
    STATUS = "status"
    OWN = "own"


def status_flows_back(referral: Referral, ccr: Ccr) -> bool:
    """Whether the sharing agreement lets what the receiving agency does reach the sender."""
    agreement = ccr.agreement(referral.sender_agency, referral.destination, referral.type)
    return bool(agreement and agreement.status_flows_back)


def milestones_flow_back(referral: Referral, ccr: Ccr) -> bool:
    """Whether the sending agency learns of the milestones recorded and the gaps: where the
    agreement lets the status flow back and the survivor agreed to share how it went
    (consent's ``share_outcome``, as for the outcome; narrowing consent takes them back)."""
    return status_flows_back(referral, ccr) and referral.consent.share_outcome


def reach(who: Principal, referral: Referral, ccr: Ccr) -> Reach:
    if who.is_coordinator or who.agency != referral.sender_agency:
        return Reach.FULL
    if not status_flows_back(referral, ccr):
        return Reach.OWN
    agreement = ccr.agreement(referral.sender_agency, referral.destination, referral.type)
    shared = bool(agreement and agreement.outcome_flows_back and referral.consent.share_outcome)
    return Reach.FULL if shared else Reach.STATUS


def needs_history(who: Principal, referral: Referral, ccr: Ccr) -> bool:
    """Whether ``sight`` needs the referral's history to make ``who``'s view of it."""
    return reach(who, referral, ccr) is Reach.OWN


@dataclass(frozen=True)
class Sight:
    """One referral as one reader may know it: the only referral the web layer renders."""

    referral: Referral
    reach: Reach
    history: tuple[HistoryEvent, ...] | None  # None: not read for this answer
    sender_side: bool = False  # the reader is of the sending agency (not a coordinator)
    milestones: bool = True  # the reader learns of milestones and gaps (milestones_flow_back)

    @property
    def status(self) -> Status:
        return self.referral.status

    def replies(self, rows: Iterable[Row]) -> list[Row]:
        """The replies' metadata the reader may see (OWN: only its own agency's)."""
        return [r for r in rows if self.shows_reply(r)]

    def shows_reply(self, row: dict) -> bool:
        return self.reach is not Reach.OWN or row.get("from_agency") == \
            self.referral.sender_agency

    def audit(self, events: Iterable[AuditEvent]) -> list[AuditEvent]:
        """The audit trail the reader may see (OWN: only its own agency's doings)."""
        return [e for e in events
                if (self.reach is not Reach.OWN or e.agency == self.referral.sender_agency)
                and not (self.sender_side and e.action in RECEIVERS_OWN_AUDIT)
                and (self.milestones or not e.action.startswith(MILESTONE))]


def sight(who: Principal, referral: Referral, ccr: Ccr, now: float,
          history: Iterable[HistoryEvent] | None = None) -> Sight:
    """``referral`` as ``who`` may know it at ``now``. ``history`` is required when
    ``needs_history`` says so, and otherwise only shaped for the reader when given."""
    how = reach(who, referral, ccr)
    referral = _links_for(who, referral)
    events = tuple(history) if history is not None else None
    sender_side = not who.is_coordinator and who.agency == referral.sender_agency
    milestones = not sender_side or milestones_flow_back(referral, ccr)
    if sender_side and events is not None:  # the receiving agency's own record keeping
        events = tuple(e for e in events if e.action not in RECEIVERS_OWN
                       and (milestones or not e.action.startswith(MILESTONE)))
    if how is Reach.FULL:
        return Sight(referral if not sender_side else referral.model_copy(
            update={"narrative_purged_at": None}), how, events, sender_side, milestones)
    if how is Reach.STATUS:
        return Sight(_without_codes(referral), how, None if events is None else tuple(
            e.model_copy(update={"code": None}) if e.to_status in OUTCOMES else e
            for e in events), sender_side, milestones)
    if events is None:
        raise ValueError("the sending agency's own view is replayed from the history")
    ours = frozenset(p.id for p in ccr.people_of(referral.sender_agency))
    replay = _Replay(referral, ours)
    for event in events:
        replay.consent_ran_out_by(event.at)
        replay.see(event)
    replay.consent_ran_out_by(now)
    return Sight(replay.referral(), how, tuple(replay.events), sender_side, False)


def _links_for(who: Principal, referral: Referral) -> Referral:
    """An onward referral's parent is shown to the agency that forwarded it only (the
    receiver and the coordinators are not party to the parent); the case's link id to the
    two agencies of its pair only (services/onward.py)."""
    if referral.parent is None and referral.case_link is None:
        return referral
    if who.agency == referral.sender_agency and not who.is_coordinator:
        return referral
    party = who.agency == referral.destination and not who.is_coordinator
    return referral.model_copy(update={"parent": None,
                                       "case_link": referral.case_link if party else None})


def _without_codes(referral: Referral) -> Referral:
    update: dict[str, object] = {"outcome_code": None, "narrative_purged_at": None}
    if referral.status in OUTCOMES:
        update["reason_code"] = None  # a decline reason is an outcome too
    return referral.model_copy(update=update)


@dataclass
class _Replay:
    """The sending agency's view, replayed from the history: its own steps, and consent's."""

    original: Referral
    ours: frozenset[str]
    status: Status = Status.REQUESTED
    updated: float = 0.0
    reason: str | None = None
    revoked_at: float | None = None
    revoked_by: str | None = None
    replies: int = 0
    narrowed_here: bool = False  # the sending agency took the outcome back
    narrowed_anywhere: bool = False  # someone did: the consent as sent shared it
    events: list[HistoryEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.updated = self.original.submitted_at

    def consent_ran_out_by(self, at: float) -> None:
        ends = self.original.consent.expires_at
        if self.status is Status.REQUESTED and at >= ends:
            self._become(Status.EXPIRED, ends, "hub", None)

    def see(self, e: HistoryEvent) -> None:
        mine = e.actor in self.ours
        if e.action == "consent.narrowed":
            self.narrowed_anywhere = True
        if e.action in ("status.cancelled", SENDER_CANCELLED):
            if mine and self.status is Status.REQUESTED:
                self._become(Status.CANCELLED, e.at, e.actor, e.code)
        elif e.action == "status.revoked":
            if self.status not in CONSENT_ENDED:
                actor = e.actor if mine else self.original.destination
                self._become(Status.REVOKED, e.at, actor, e.code if mine else None)
                self.revoked_at, self.revoked_by = e.at, actor
        elif mine and not e.action.startswith("status."):
            self._own_step(e)

    def _own_step(self, e: HistoryEvent) -> None:
        self.events.append(e)
        if e.action == "consent.narrowed":
            self.narrowed_here, self.updated = True, e.at
        elif e.action == "reply":
            self.replies += 1

    def _become(self, status: Status, at: float, actor: str, code: str | None) -> None:
        self.events.append(HistoryEvent(at=at, actor=actor, action=f"status.{status}",
                                        from_status=self.status, to_status=status, code=code))
        self.status, self.updated = status, at
        if status in (Status.CANCELLED, Status.REVOKED):
            self.reason = code

    def referral(self) -> Referral:
        consent = self.original.consent
        shared = (consent.share_outcome or self.narrowed_anywhere) and not self.narrowed_here
        return self.original.model_copy(update={
            "status": self.status, "generation": len(self.events), "updated_at": self.updated,
            "notified_at": None, "opened_at": None, "acknowledged_at": None,
            "acknowledged_by": None, "reason_code": self.reason, "outcome_code": None,
            "revoked_at": self.revoked_at, "revoked_by": self.revoked_by,
            "reply_count": self.replies, "sender_cancelled_at": None,
            "narrative_purged_at": None, "timers": {}, "escalated_at": None,
            "consent": consent.model_copy(update={"share_outcome": shared})})

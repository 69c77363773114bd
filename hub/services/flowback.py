"""What flows back to the sending agency, under its sharing agreement and the survivor's
consent. When the agreement keeps the status from flowing back, the sender sees only what
it did itself: the referral as sent ('requested'), no receipts, no codes, and in the
history only its own people's steps. Otherwise it follows the status, and learns the
outcome and decline codes only when the agreement lets outcomes flow back *and* the
survivor agreed (consent's ``share_outcome``). The receiving agency and the coordinators
(who need decline reasons for the figures) see everything."""

from __future__ import annotations

from hub.models import HistoryEvent, Referral, Status
from hub.routing.directory import Ccr

from .principal import Principal

OUTCOMES = (Status.COMPLETED, Status.REJECTED)  # closing codes the sender may not learn


def _sender(who: Principal, referral: Referral) -> bool:
    return not who.is_coordinator and who.agency == referral.sender_agency


def status_flows_to(who: Principal, referral: Referral, ccr: Ccr) -> bool:
    if not _sender(who, referral):
        return True
    agreement = ccr.agreement(referral.sender_agency, referral.destination, referral.type)
    return bool(agreement and agreement.status_flows_back)


def outcome_flows_to(who: Principal, referral: Referral, ccr: Ccr) -> bool:
    if who.is_coordinator or who.agency != referral.sender_agency:
        return True
    agreement = ccr.agreement(referral.sender_agency, referral.destination, referral.type)
    return bool(agreement and agreement.outcome_flows_back and referral.consent.share_outcome)


def as_seen_by(who: Principal, referral: Referral, ccr: Ccr) -> Referral:
    if not status_flows_to(who, referral, ccr):
        return referral.model_copy(update={
            "status": Status.REQUESTED, "notified_at": None, "opened_at": None,
            "acknowledged_at": None, "acknowledged_by": None, "reason_code": None,
            "outcome_code": None})
    if outcome_flows_to(who, referral, ccr):
        return referral
    update: dict[str, object] = {"outcome_code": None}
    if referral.status in OUTCOMES:
        update["reason_code"] = None  # a decline reason is an outcome too
    return referral.model_copy(update=update)


def history_as_seen_by(who: Principal, referral: Referral, events: list[HistoryEvent],
                       ccr: Ccr) -> list[HistoryEvent]:
    if not status_flows_to(who, referral, ccr):
        ours = {p.id for p in ccr.people_of(referral.sender_agency)}
        return [e for e in events if e.actor in ours]
    if outcome_flows_to(who, referral, ccr):
        return events
    return [e.model_copy(update={"code": None}) if e.to_status in OUTCOMES else e
            for e in events]

"""What flows back to the sending agency: the outcome and decline codes of a referral it
sent only when its sharing agreement lets outcomes flow back *and* the survivor agreed
(consent's ``share_outcome``); otherwise the sender learns only that the referral closed.
The receiving agency and the coordinators (who need decline reasons for the figures) see
the codes."""

from __future__ import annotations

from hub.models import HistoryEvent, Referral, Status
from hub.routing.directory import Ccr

from .principal import Principal

OUTCOMES = (Status.COMPLETED, Status.REJECTED)  # closing codes the sender may not learn


def outcome_flows_to(who: Principal, referral: Referral, ccr: Ccr) -> bool:
    if who.is_coordinator or who.agency != referral.sender_agency:
        return True
    agreement = ccr.agreement(referral.sender_agency, referral.destination, referral.type)
    return bool(agreement and agreement.outcome_flows_back and referral.consent.share_outcome)


def as_seen_by(who: Principal, referral: Referral, ccr: Ccr) -> Referral:
    if outcome_flows_to(who, referral, ccr):
        return referral
    update: dict[str, object] = {"outcome_code": None}
    if referral.status in OUTCOMES:
        update["reason_code"] = None  # a decline reason is an outcome too
    return referral.model_copy(update=update)


def history_as_seen_by(who: Principal, referral: Referral, events: list[HistoryEvent],
                       ccr: Ccr) -> list[HistoryEvent]:
    if outcome_flows_to(who, referral, ccr):
        return events
    return [e.model_copy(update={"code": None}) if e.to_status in OUTCOMES else e
            for e in events]

"""A referral as a FHIR R4 Task (the SDOH Clinical Care IG's referral Task), made from the
reader's Sight (services/flowback.py) and nothing else, exactly as the JSON API's view is:
what the agreement or consent keeps from the reader, no Task shows either.

The Task carries metadata only. ``for`` and ``focus`` are identifiers the hub cannot
resolve (the referral's id under the bridge's systems): the Patient and ServiceRequest are
sealed inside the envelope, and only the hospital's bridge knows which of its resources
they were."""

from __future__ import annotations

from typing import Any

from hub.api import fhir
from hub.models import Referral, Status
from hub.routing.ccr import Ccr
from hub.routing.ladder import ACK, AUDIENCES, Reached, reached
from hub.services.flowback import Sight

# The IG requires statusReason on a rejected or cancelled Task: when the reader may not
# learn the reason (flow-back), it says so rather than leave the field out.
WITHHELD = "not-shared"
CLOSED_WITHOUT_CODE = {Status.REVOKED: "consent-withdrawn", Status.EXPIRED: "consent-expired"}


def organization(agency: str, ccr: Ccr) -> dict[str, str]:
    found = ccr.find_agency(agency)
    reference = {"reference": f"Organization/{agency}"}
    return reference | ({"display": found.name} if found is not None else {})


def task(seen: Sight, ccr: Ccr) -> dict[str, Any]:
    """``seen`` as a Task (validated by the caller with the rest of the answer)."""
    r = seen.referral
    body: dict[str, Any] = {
        "resourceType": "Task", "id": r.id,
        "meta": {"versionId": str(r.generation), "lastUpdated": fhir.instant(r.changed_at),
                 **({"tag": [fhir.DRILL_TAG]} if r.drill else {})},
        "identifier": [{"system": fhir.REFERRAL_SYSTEM, "value": r.id}],
        "status": fhir.TASK_STATUS[r.status], "intent": "order",
        "priority": fhir.PRIORITY[r.urgency],
        "code": {"coding": [fhir.TASK_CODE]},
        "focus": {"identifier": {"system": fhir.FOCUS_SYSTEM, "value": r.id}},
        "for": {"identifier": {"system": fhir.FOR_SYSTEM, "value": r.id}},
        "authoredOn": fhir.instant(r.submitted_at),
        "lastModified": fhir.instant(r.changed_at),
        "requester": organization(r.sender_agency, ccr),
        "owner": organization(r.destination, ccr),
        "businessStatus": _business_status(r, ccr),
        "extension": [{"url": fhir.CONSENT_EXTENSION,
                       "valueInstant": fhir.instant(r.consent.expires_at)}],
    }
    reason = status_reason(r)
    if reason is not None:
        body["statusReason"] = reason
    if r.ack_due_at is not None and r.status is Status.REQUESTED:
        body["restriction"] = {"period": {"end": fhir.instant(r.ack_due_at)}}
    if r.outcome_code is not None:
        body["output"] = [{"type": fhir.coding(fhir.INPUT_SYSTEM, fhir.OUTCOME_OUTPUT),
                           "valueCodeableConcept": fhir.coding(fhir.OUTCOME_SYSTEM,
                                                               r.outcome_code)}]
    return body


def _business_status(r: Referral, ccr: Ccr) -> dict[str, Any]:
    """The hub's own status, the furthest receipt it has, and how far the escalation of
    the deadline that runs now has gone."""
    codings = [{"system": fhir.STATUS_SYSTEM, "code": str(r.status)}]
    for receipt, at in (("acknowledged", r.acknowledged_at), ("opened", r.opened_at),
                        ("delivered", r.notified_at)):
        if at is not None:
            codings.append({"system": fhir.RECEIPT_SYSTEM, "code": receipt})
            break
    text = str(r.status)
    level = escalation(r, ccr)
    if level is not None:
        code = (level.widest or "none").replace("_", "-")
        codings.append({"system": fhir.ESCALATION_SYSTEM, "code": code})
        if level.fired:
            text += f"; escalated to the {AUDIENCE_WORDS[code]} ({level.fired} rung" \
                    f"{'s' if level.fired > 1 else ''})"
    return {"coding": codings, "text": text}


AUDIENCE_WORDS = {"point-person": "point person", "backups": "backups",
                  "coordinator": "coordinator"}


def escalation(r: Referral, ccr: Ccr) -> Reached | None:
    """How far the escalation of the deadline that runs now has gone: the
    acknowledgement's while the referral waits for it, the follow-ups' (taken together)
    while it is accepted or in progress; None when no deadline runs, or the reader may not
    know (flowback.py keeps the ladders from a sender kept from the status)."""
    policy = ccr.policy(r.type, r.urgency)
    if policy is None or not r.timers:
        return None
    if r.status is Status.REQUESTED:
        return reached(policy, r.timers.get(ACK))
    if r.status in (Status.ACCEPTED, Status.IN_PROGRESS) and policy.follow_ups:
        each = [reached(policy, r.timers.get(f"fu:{f.name}")) for f in policy.follow_ups]
        widest = max((e.widest for e in each if e.widest), key=AUDIENCES.index, default=None)
        return Reached(sum(e.fired for e in each), widest)
    return None


def status_reason(r: Referral) -> dict[str, Any] | None:
    if r.status not in (Status.REJECTED, Status.CANCELLED, *CLOSED_WITHOUT_CODE):
        return None
    code = r.reason_code or CLOSED_WITHOUT_CODE.get(r.status)
    if code is None:
        return {**fhir.coding(fhir.REASON_SYSTEM, WITHHELD),
                "text": "the reason is not shared with your agency"}
    return fhir.coding(fhir.REASON_SYSTEM, code)

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
        "meta": {"versionId": str(r.generation), "lastUpdated": fhir.instant(r.updated_at),
                 **({"tag": [fhir.DRILL_TAG]} if r.drill else {})},
        "identifier": [{"system": fhir.REFERRAL_SYSTEM, "value": r.id}],
        "status": fhir.TASK_STATUS[r.status], "intent": "order",
        "priority": fhir.PRIORITY[r.urgency],
        "code": {"coding": [fhir.TASK_CODE]},
        "focus": {"identifier": {"system": fhir.FOCUS_SYSTEM, "value": r.id}},
        "for": {"identifier": {"system": fhir.FOR_SYSTEM, "value": r.id}},
        "authoredOn": fhir.instant(r.submitted_at),
        "lastModified": fhir.instant(r.updated_at),
        "requester": organization(r.sender_agency, ccr),
        "owner": organization(r.destination, ccr),
        "businessStatus": _business_status(r),
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


def _business_status(r: Referral) -> dict[str, Any]:
    """The hub's own status, and the furthest receipt it has."""
    codings = [{"system": fhir.STATUS_SYSTEM, "code": str(r.status)}]
    for receipt, at in (("acknowledged", r.acknowledged_at), ("opened", r.opened_at),
                        ("delivered", r.notified_at)):
        if at is not None:
            codings.append({"system": fhir.RECEIPT_SYSTEM, "code": receipt})
            break
    return {"coding": codings, "text": str(r.status)}


def status_reason(r: Referral) -> dict[str, Any] | None:
    if r.status not in (Status.REJECTED, Status.CANCELLED, *CLOSED_WITHOUT_CODE):
        return None
    code = r.reason_code or CLOSED_WITHOUT_CODE.get(r.status)
    if code is None:
        return {**fhir.coding(fhir.REASON_SYSTEM, WITHHELD),
                "text": "the reason is not shared with your agency"}
    return fhir.coding(fhir.REASON_SYSTEM, code)

"""A Task written back (PUT) read as one step of the referral's lifecycle: the status it
asks for, with what that step needs, mapped onto the lifecycle service, which keeps its
rules (who may, from which status, the device-signed receipt).

- ``received`` needs ``input`` of type acknowledgement-receipt (INPUT_SYSTEM) with
  ``valueBase64Binary``: the receipt the acknowledging person's device signed.
- ``rejected`` and ``cancelled`` need ``statusReason`` with a code of REASON_SYSTEM.
- ``completed`` needs ``output`` of type outcome with a code of OUTCOME_SYSTEM.
Nothing else of the Task can be changed here; the same status again changes nothing."""

from __future__ import annotations

from typing import Any, get_args

from hub.api import fhir
from hub.api.codes import Codes
from hub.build import Services
from hub.errors import Conflict, HubError, Unprocessable
from hub.models import CancelReason, OutcomeCode, RejectReason
from hub.services.flowback import Sight
from hub.services.principal import Principal


class VersionChanged(HubError):
    status, code = 412, Codes.VERSION_CHANGED


async def change(services: Services, who: Principal, rid: str, body: dict[str, Any],
                 if_match: str | None) -> Sight:
    if body.get("id") != rid:
        raise Unprocessable("the Task's id must be the one in the address",
                            code=Codes.INVALID_BODY)
    seen = await services.referrals.read(who, rid)
    if if_match is not None and if_match.strip() != f'W/"{seen.referral.generation}"':
        raise VersionChanged(f"the Task is at version {seen.referral.generation} now, not "
                             f"{if_match}; read it again and decide on what it says")
    to = body.get("status")
    if to == fhir.TASK_STATUS[seen.status]:
        return seen
    life = services.lifecycle
    if to == "received":
        return await life.acknowledge(who, rid, _receipt(body))
    if to == "accepted":
        return await life.accept(who, rid)
    if to == "in-progress":
        return await life.progress(who, rid)
    if to == "rejected":
        return await life.reject(who, rid, _reason(body, get_args(RejectReason)))
    if to == "cancelled":
        return await life.cancel(who, rid, _reason(body, get_args(CancelReason)))
    if to == "completed":
        return await life.complete(who, rid, _outcome(body))
    raise Conflict(f"a referral's Task cannot be set to '{to}' (from "
                   f"'{fhir.TASK_STATUS[seen.status]}'); the statuses it moves through are "
                   "received, accepted, rejected, in-progress, completed and cancelled",
                   code=Codes.ILLEGAL_TRANSITION)


def _receipt(body: dict[str, Any]) -> str:
    for item in body.get("input") or ():
        if fhir.code_of(item.get("type"), fhir.INPUT_SYSTEM) == fhir.RECEIPT_INPUT:
            value = item.get("valueBase64Binary")
            if isinstance(value, str):
                return value
    raise Unprocessable("acknowledging needs the receipt your device signed: an input of "
                        f"type {fhir.INPUT_SYSTEM}|{fhir.RECEIPT_INPUT} with valueBase64Binary "
                        "(docs/fhir.md)", code=Codes.BAD_RECEIPT)


def _reason(body: dict[str, Any], allowed: tuple[str, ...]) -> str:
    code = fhir.code_of(body.get("statusReason"), fhir.REASON_SYSTEM)
    if code is None or code not in allowed:
        raise Unprocessable(f"this status needs statusReason with a code of "
                            f"{fhir.REASON_SYSTEM}: one of {', '.join(allowed)}",
                            code=Codes.INVALID_BODY)
    return code


def _outcome(body: dict[str, Any]) -> str:
    allowed = get_args(OutcomeCode)
    for item in body.get("output") or ():
        if fhir.code_of(item.get("type"), fhir.INPUT_SYSTEM) == fhir.OUTCOME_OUTPUT:
            code = fhir.code_of(item.get("valueCodeableConcept"), fhir.OUTCOME_SYSTEM)
            if code is not None and code in allowed:
                return code
    raise Unprocessable(f"completing needs an output of type {fhir.INPUT_SYSTEM}|"
                        f"{fhir.OUTCOME_OUTPUT} with a code of {fhir.OUTCOME_SYSTEM}: one of "
                        f"{', '.join(allowed)}", code=Codes.INVALID_BODY)

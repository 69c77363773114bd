"""FHIR R4 as the hub and the hospital's bridge both speak it: the systems of the
identifiers and codes they share, the statuses a Task may take, an OperationOutcome, and
the check every resource passes on its way in or out (``checked``: the pydantic R4 models
of fhir.resources; R4B's Task, Bundle, CapabilityStatement, Subscription and
OperationOutcome are R4's, field for field, for what the hub writes). Pure: no HTTP, no
Redis."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from datetime import UTC, datetime
from functools import cache
from importlib import import_module
from typing import Any

import orjson
from pydantic import ValidationError

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"
BASE = "https://ccr-hub.org/fhir"  # the hub's own CodeSystems and extensions live under it
REFERRAL_SYSTEM = f"{BASE}/sid/referral"  # a Task's identifier: the referral's id
FOCUS_SYSTEM = f"{BASE}/sid/sealed-request"  # focus: the sealed ServiceRequest, by referral id
FOR_SYSTEM = f"{BASE}/sid/sealed-subject"  # for: the sealed Patient, by referral id
STATUS_SYSTEM = f"{BASE}/CodeSystem/referral-status"  # businessStatus: the hub's own status
RECEIPT_SYSTEM = f"{BASE}/CodeSystem/receipt"  # businessStatus: the furthest receipt
# businessStatus: the widest audience the escalation has told (none, point-person, backups,
# coordinator) about the deadline that runs now
ESCALATION_SYSTEM = f"{BASE}/CodeSystem/escalation"
REASON_SYSTEM = f"{BASE}/CodeSystem/reason"  # statusReason: decline, cancel, revoke codes
OUTCOME_SYSTEM = f"{BASE}/CodeSystem/outcome"  # output: the closing outcome code
INPUT_SYSTEM = f"{BASE}/CodeSystem/task-input"  # input types the hub reads
DRILL_TAG = {"system": f"{BASE}/CodeSystem/drill", "code": "drill",
             "display": "DRILL: practice only, made-up content"}  # a drill's Task's meta.tag
RECEIPT_INPUT = "acknowledgement-receipt"  # Task.input: the device-signed receipt (base64)
OUTCOME_OUTPUT = "outcome"  # Task.output: the outcome code of a completed referral
CONSENT_EXTENSION = f"{BASE}/StructureDefinition/consent-expires"  # Task.extension
TASK_CODE = {"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}
PRIORITY = {"routine": "routine", "urgent": "urgent", "emergent": "stat"}

# R4 Task.status has no 'revoked' or 'expired': both are 'cancelled' with the hub's own
# status in businessStatus and the reason in statusReason (the IG requires one).
TASK_STATUS = {"requested": "requested", "received": "received", "accepted": "accepted",
               "rejected": "rejected", "in-progress": "in-progress", "completed": "completed",
               "cancelled": "cancelled", "revoked": "cancelled", "expired": "cancelled"}
TASK_STATUSES = ("requested", "received", "accepted", "rejected", "in-progress", "completed",
                 "cancelled")

_MODELS = {"Task": "task", "Bundle": "bundle", "OperationOutcome": "operationoutcome",
           "CapabilityStatement": "capabilitystatement", "Subscription": "subscription",
           "Parameters": "parameters", "ServiceRequest": "servicerequest",
           "Patient": "patient", "Consent": "consent", "DocumentReference": "documentreference",
           "QuestionnaireResponse": "questionnaireresponse", "Organization": "organization"}


class NotFhir(ValueError):
    """A resource that is not valid R4 (or not one the hub knows): ``problems`` says where."""

    def __init__(self, problems: str):
        super().__init__(problems)
        self.problems = problems


@cache
def model(resource_type: str) -> Any:
    name = _MODELS.get(resource_type)
    if name is None:
        raise NotFhir(f"resourceType '{resource_type}' is not one this endpoint takes "
                      f"(it takes {', '.join(sorted(_MODELS))})")
    module = import_module(f"fhir.resources.R4B.{name}")
    return getattr(module, resource_type)


def checked(resource: object, expected: str | None = None) -> dict[str, Any]:
    """``resource`` (a JSON object) if it validates as the R4 resource it says it is (and
    as ``expected``, when given); otherwise NotFhir naming the first problems. A Bundle's
    entries are checked one by one, each as the resource it is."""
    if not isinstance(resource, dict):
        raise NotFhir("a FHIR resource is a JSON object")
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        raise NotFhir("the resource has no resourceType")
    if expected is not None and kind != expected:
        raise NotFhir(f"expected a {expected}, got a {kind}")
    entries = resource.get("entry") if kind == "Bundle" else None
    if isinstance(entries, list) and all(isinstance(e, dict) for e in entries):
        for i, entry in enumerate(entries):
            if "resource" in entry:
                try:
                    checked(entry["resource"])
                except NotFhir as e:
                    raise NotFhir(f"entry[{i}].resource: {e.problems}") from None
        _validate(kind, {**resource, "entry": [{k: v for k, v in e.items() if k != "resource"}
                                               for e in entries]})
    else:
        _validate(kind, resource)
    return resource


_VALID: OrderedDict[bytes, None] = OrderedDict()  # digests of resources that validated
_REMEMBERED = 50_000


def _validate(kind: str, resource: dict[str, Any]) -> None:
    """Validate with the R4 model, once per distinct resource: one that validated is
    remembered by the digest of its canonical JSON (the same bytes validate the same way),
    so a Task polled again costs a hash, not a model (a page of 50: ~0.5 ms, not ~50)."""
    try:
        digest = hashlib.blake2b(orjson.dumps(resource, option=orjson.OPT_SORT_KEYS),
                                 digest_size=16).digest()
    except TypeError:
        raise NotFhir("the resource holds something that is not JSON") from None
    if digest in _VALID:
        _VALID.move_to_end(digest)
        return
    try:
        model(kind).model_validate(resource)
    except ValidationError as e:
        raise NotFhir(describe(e)) from None
    _VALID[digest] = None
    if len(_VALID) > _REMEMBERED:
        _VALID.popitem(last=False)


def describe(error: ValidationError) -> str:
    parts = []
    for e in error.errors()[:5]:
        where = ".".join(str(p) for p in e["loc"]) or "resource"
        parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)


def instant(seconds: float) -> str:
    """An epoch time as a FHIR instant, UTC, to the millisecond."""
    when = datetime.fromtimestamp(seconds, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_instant(text: str) -> float:
    """A FHIR dateTime or instant (with a zone; a date alone is midnight UTC) as epoch
    seconds; ValueError if it is neither."""
    if len(text) == 10:
        text += "T00:00:00Z"
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("a time needs its zone (Z or +hh:mm)")
    return when.timestamp()


def outcome(severity: str, code: str, text: str, *, details: str | None = None,
            expression: str | None = None) -> dict[str, Any]:
    """An OperationOutcome of one issue: what went wrong, in words saying what to fix."""
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": text}
    if details:
        issue["details"] = {"coding": [{"system": f"{BASE}/CodeSystem/error",
                                        "code": details}], "text": text}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    found = {"system": system, "code": code}
    return {"coding": [found | ({"display": display} if display else {})]}


def code_of(concept: object, system: str) -> str | None:
    """The code of ``system`` in a CodeableConcept (a JSON object), if any."""
    if not isinstance(concept, dict):
        return None
    for c in concept.get("coding") or ():
        if isinstance(c, dict) and c.get("system") == system and isinstance(c.get("code"), str):
            return c["code"]
    return None

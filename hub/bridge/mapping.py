"""The EHR's FHIR read into what the bridge seals: a discharge handoff (hub/api/contents),
its consent metadata, destination, referral type and urgency, and the C-CDA to attach.
Pure: it takes the resources and the time, and refuses what it cannot map with a
BadHandoff naming the element (FHIRPath-like) and what to send instead.

Where each part comes from (docs/fhir.md has the table):
- ServiceRequest: performer = Organization/<destination agency id>; category (CATEGORY
  system) = the referral type (default discharge-handoff); code codings of NEED_SYSTEM =
  the needs; priority = urgency; occurrenceDateTime = when the survivor leaves; note = the
  summary.
- Patient: name, birthDate, communication language.
- QuestionnaireResponse (SAFE_CONTACT questionnaire): how the survivor may be reached
  safely. Required: the bridge never takes Patient.telecom for a safe number.
- Consent: active; dateTime = given; provision.period.end = expires; provision.actor =
  the destination; extensions for method, documented-by, scope and share-outcome.
- DocumentReference: content.attachment.data (a C-CDA/CCD or ASTM CCR), sealed as an
  attachment under its title."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, cast, get_args

from pydantic import ValidationError

from hub.api import fhir
from hub.api.contents import ConsentDetails, DischargeHandoff, Need, Person, SafeContact
from hub.models import Consent, ConsentMethod

CATEGORY_SYSTEM = f"{fhir.BASE}/CodeSystem/referral-type"
NEED_SYSTEM = f"{fhir.BASE}/CodeSystem/need"
SAFE_CONTACT = f"{fhir.BASE}/Questionnaire/safe-contact"
EXT = f"{fhir.BASE}/StructureDefinition"
URGENCY = {"routine": "routine", "urgent": "urgent", "asap": "urgent", "stat": "emergent"}
TAKEN = ("ServiceRequest", "Patient", "Consent", "QuestionnaireResponse", "DocumentReference")


class BadHandoff(ValueError):
    def __init__(self, message: str, expression: str | None = None):
        super().__init__(message)
        self.message = message
        self.expression = expression


@dataclass(frozen=True)
class Handoff:
    """What the bridge seals and submits for one EHR request."""

    destination: str
    referral_type: str
    urgency: str
    content: DischargeHandoff
    consent: Consent
    attachments: tuple[bytes, ...]
    ehr_refs: dict[str, str]  # 'ServiceRequest', 'Patient' -> the EHR's own ids


def resources_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The resources of a transaction Bundle, or of an IG Task's ``contained``, by type
    (one of each), after each validates as R4."""
    fhir.checked(body)
    if body["resourceType"] == "Bundle":
        if body.get("type") != "transaction":
            raise BadHandoff("post a Bundle of type transaction", "Bundle.type")
        found = [e.get("resource") for e in body.get("entry") or ()]
    elif body["resourceType"] == "Task":
        found = list(body.get("contained") or ())
    else:
        raise BadHandoff("post a transaction Bundle or a Task", "resourceType")
    by_type: dict[str, dict[str, Any]] = {}
    for r in found:
        kind = r.get("resourceType") if isinstance(r, dict) else None
        if kind not in TAKEN:
            raise BadHandoff(f"the bridge takes {', '.join(TAKEN)}; not {kind}", kind)
        if kind in by_type:
            raise BadHandoff(f"one {kind} per handoff", kind)
        by_type[kind] = fhir.checked(r)
    for needed in TAKEN[:4]:
        if needed not in by_type:
            raise BadHandoff(f"a handoff needs a {needed}" + (
                f" answering {SAFE_CONTACT}: the survivor's safe-contact preferences"
                if needed == "QuestionnaireResponse" else ""), needed)
    return by_type


def handoff(body: dict[str, Any], *, sender_person: str, now: int) -> Handoff:
    r = resources_of(body)
    request, patient = r["ServiceRequest"], r["Patient"]
    destination = _destination(request)
    kind = fhir.code_of(request.get("category", [{}])[0] if request.get("category") else None,
                        CATEGORY_SYSTEM) or "discharge-handoff"
    consent = _consent(r["Consent"], destination, kind, sender_person, now)
    document = r.get("DocumentReference")
    attachments, names = _attachments(document) if document else ((), None)
    try:
        content = DischargeHandoff(
            survivor=_person(patient), needs=_needs(request),
            discharge_at=_required(request, "occurrenceDateTime", "ServiceRequest"),
            safe_contact=_safe_contact(r["QuestionnaireResponse"], patient),
            consent=_consent_details(r["Consent"], consent),
            summary="\n".join(n["text"] for n in request.get("note") or () if n.get("text"))
            or None, attachment_names=names)
    except ValidationError as e:
        raise BadHandoff(f"the handoff does not hold together: {fhir.describe(e)}") from None
    return Handoff(destination, kind, URGENCY.get(request.get("priority", "urgent"), "urgent"),
                   content, consent, attachments,
                   {k: r[k]["id"] for k in ("ServiceRequest", "Patient") if r[k].get("id")})


def _required(resource: dict[str, Any], element: str, kind: str) -> Any:
    value = resource.get(element)
    if not value:
        raise BadHandoff(f"{kind}.{element} is required", f"{kind}.{element}")
    return value


def _destination(request: dict[str, Any]) -> str:
    for performer in request.get("performer") or ():
        ref = performer.get("reference", "")
        if ref.startswith("Organization/"):
            return ref.split("/", 1)[1]
    raise BadHandoff("ServiceRequest.performer must name the receiving agency as "
                     "Organization/<agency id of the CCR>", "ServiceRequest.performer")


def _needs(request: dict[str, Any]) -> tuple[Need, ...]:
    allowed = get_args(Need)
    codes = tuple(c["code"] for c in (request.get("code") or {}).get("coding") or ()
                  if c.get("system") == NEED_SYSTEM)
    if not codes or not set(codes) <= set(allowed):
        raise BadHandoff(f"ServiceRequest.code needs codings of {NEED_SYSTEM}: one or more "
                         f"of {', '.join(allowed)}", "ServiceRequest.code")
    return cast(tuple[Need, ...], codes)


def _person(patient: dict[str, Any]) -> Person:
    names = patient.get("name") or ()
    if not names:
        raise BadHandoff("Patient.name is required", "Patient.name")
    first = names[0]
    text = first.get("text") or " ".join([*first.get("given", ()), first.get("family", "")])
    preferred = next((" ".join(n.get("given", ())) for n in names if n.get("use") == "usual"),
                     None)
    return Person(name=text.strip(), preferred_name=preferred,
                  date_of_birth=patient.get("birthDate"))


def _answers(questionnaire: dict[str, Any]) -> dict[str, list[Any]]:
    if questionnaire.get("questionnaire") != SAFE_CONTACT:
        raise BadHandoff(f"the QuestionnaireResponse must answer {SAFE_CONTACT}",
                         "QuestionnaireResponse.questionnaire")
    found: dict[str, list[Any]] = {}
    for item in questionnaire.get("item") or ():
        for answer in item.get("answer") or ():
            value = next((v for k, v in answer.items() if k.startswith("value")), None)
            if isinstance(value, dict):
                value = value.get("code")
            found.setdefault(item.get("linkId", ""), []).append(value)
    return found


def _safe_contact(questionnaire: dict[str, Any], patient: dict[str, Any]) -> SafeContact:
    a = _answers(questionnaire)
    language = next((c["code"] for comm in patient.get("communication") or ()
                     for c in (comm.get("language") or {}).get("coding") or ()), "en")

    def one(link: str, default: Any = None) -> Any:
        return (a.get(link) or [default])[0]

    return SafeContact(channels=tuple(a.get("safe-channels") or ()), phone=one("safe-phone"),
                       email=one("safe-email"), voicemail_ok=bool(one("voicemail-ok", False)),
                       may_name_agency=bool(one("may-name-agency", False)),
                       language=language.split("-")[0],
                       interpreter_needed=bool(one("interpreter-needed", False)),
                       notes=one("notes"))


def _extension(resource: dict[str, Any], name: str) -> Any:
    for ext in resource.get("extension") or ():
        if ext.get("url") == f"{EXT}/{name}":
            return next((v for k, v in ext.items() if k.startswith("value")), None)
    return None


def _consent(c: dict[str, Any], destination: str, kind: str, sender_person: str,
             now: int) -> Consent:
    if c.get("status") != "active":
        raise BadHandoff("the Consent must be active", "Consent.status")
    actors = [a.get("reference", {}).get("reference") for a in
              (c.get("provision") or {}).get("actor") or ()]
    if f"Organization/{destination}" not in actors:
        raise BadHandoff(f"the Consent's provision.actor must name Organization/{destination}, "
                         "the agency it lets the handoff go to", "Consent.provision.actor")
    end = ((c.get("provision") or {}).get("period") or {}).get("end")
    if not end:
        raise BadHandoff("Consent.provision.period.end is required: consent is time-limited",
                         "Consent.provision.period.end")
    found = _extension(c, "consent-method") or "written"
    if found not in get_args(ConsentMethod):
        raise BadHandoff(f"consent-method must be one of {', '.join(get_args(ConsentMethod))}",
                         "Consent.extension")
    method = cast(ConsentMethod, found)
    try:
        return Consent(agency=destination, purposes=(kind,),
                       given_at=int(fhir.parse_instant(_required(c, "dateTime", "Consent"))),
                       method=method, documented_by=_extension(c, "consent-documented-by")
                       or sender_person, expires_at=int(fhir.parse_instant(end)),
                       share_outcome=bool(_extension(c, "share-outcome")))
    except (ValueError, ValidationError):
        raise BadHandoff("Consent.dateTime and provision.period.end must be times with a "
                         "zone", "Consent.dateTime") from None


def _consent_details(c: dict[str, Any], consent: Consent) -> ConsentDetails:
    return ConsentDetails(method=consent.method, given_at=c["dateTime"],
                          documented_by=consent.documented_by,
                          scope=_extension(c, "consent-scope")
                          or f"a discharge handoff to {consent.agency}",
                          limits=_extension(c, "consent-limits"))


def _attachments(document: dict[str, Any]) -> tuple[tuple[bytes, ...], tuple[str, ...]]:
    blobs, names = [], []
    for i, content in enumerate(document.get("content") or ()):
        attachment = content.get("attachment") or {}
        try:
            blobs.append(base64.b64decode(attachment.get("data", ""), validate=True))
        except binascii.Error:
            raise BadHandoff("the DocumentReference's attachment.data is not base64",
                             f"DocumentReference.content[{i}].attachment.data") from None
        if not blobs[-1]:
            raise BadHandoff("the bridge seals the document itself: send it inline as "
                             "attachment.data, not by url",
                             f"DocumentReference.content[{i}].attachment.data")
        names.append(attachment.get("title") or f"discharge-summary-{i + 1}.xml")
    return tuple(blobs), tuple(names)

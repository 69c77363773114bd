"""An EHR's handoff as the bridge takes it: a transaction Bundle with a ServiceRequest,
Patient, Consent, the safe-contact QuestionnaireResponse and a C-CDA DocumentReference.
docs/fhir.md shows it; the tests and bench.fhir post it. Fictional data only."""

from __future__ import annotations

import base64
from typing import Any

from hub.api import fhir

from .mapping import CATEGORY_SYSTEM, EXT, NEED_SYSTEM, SAFE_CONTACT


def ccda(family: str = "Doe") -> bytes:
    """A (much shortened) C-CDA discharge summary."""
    return (f'<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"><title>Discharge '
            f"summary</title><recordTarget><patientRole><patient><name><given>Dana</given>"
            f"<family>{family}</family></name></patient></patientRole></recordTarget>"
            "</ClinicalDocument>").encode()


def handoff_bundle(now: float, *, destination: str = "harbor-house",
                   safe_contact: bool = True, family: str = "Doe", note: str = "",
                   document: bytes | None = None) -> dict[str, Any]:
    """A handoff to ``destination`` at ``now``: ``family`` is the survivor's family name,
    ``note`` the ServiceRequest's note, ``document`` the C-CDA (default: ``ccda(family)``);
    without ``safe_contact``, no QuestionnaireResponse (which the bridge refuses)."""
    request = {
        "resourceType": "ServiceRequest", "id": "sr-881", "status": "active",
        "intent": "order", "priority": "urgent",
        "category": [fhir.coding(CATEGORY_SYSTEM, "discharge-handoff")],
        "code": {"coding": [{"system": NEED_SYSTEM, "code": "shelter"},
                            {"system": NEED_SYSTEM, "code": "advocacy"}]},
        "subject": {"reference": "Patient/pt-42"},
        "occurrenceDateTime": fhir.instant(now + 4 * 3600),
        "performer": [{"reference": f"Organization/{destination}"}],
        "note": [{"text": note or "Needs a bed tonight"}]}
    patient = {"resourceType": "Patient", "id": "pt-42",
               "name": [{"given": ["Dana"], "family": family}], "birthDate": "1991-04-02",
               "telecom": [{"system": "phone", "value": "+15555550999"}],
               "communication": [{"language": {"coding": [{"code": "es"}]}}]}
    consent = {
        "resourceType": "Consent", "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                              "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": "Patient/pt-42"}, "dateTime": fhir.instant(now - 600),
        "policyRule": {"text": "CCR release"},
        "extension": [{"url": f"{EXT}/consent-documented-by", "valueString": "mercy-nurse-1"}],
        "provision": {"type": "permit", "period": {"end": fhir.instant(now + 30 * 86400)},
                      "actor": [{"role": {"coding": [{"code": "IRCP"}]},
                                 "reference": {"reference": f"Organization/{destination}"}}]}}
    answers = {"resourceType": "QuestionnaireResponse", "status": "completed",
               "questionnaire": SAFE_CONTACT, "item": [
                   {"linkId": "safe-channels", "answer": [{"valueCoding": {"code": "sms"}}]},
                   {"linkId": "safe-phone", "answer": [{"valueString": "+15555550123"}]},
                   {"linkId": "voicemail-ok", "answer": [{"valueBoolean": False}]},
                   {"linkId": "may-name-agency", "answer": [{"valueBoolean": False}]}]}
    summary = {"resourceType": "DocumentReference", "status": "current",
               "content": [{"attachment": {"contentType": "application/xml",
                                           "title": "discharge-summary.xml",
                                           "data": base64.b64encode(
                                               document or ccda(family)).decode()}}]}
    resources: list[dict[str, Any]] = [request, patient, consent,
                                       *([answers] if safe_contact else []), summary]
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": r, "request": {"method": "POST", "url": r["resourceType"]}}
        for r in resources]}



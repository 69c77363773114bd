"""A synthetic EHR: the FHIR it sends a bridge (a transaction Bundle with a ServiceRequest,
Patient, Consent, the safe-contact QuestionnaireResponse and a C-CDA DocumentReference),
and a loopback FHIR server that takes the Task updates written back to it."""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

from hub.api import fhir
from hub.bridge.mapping import CATEGORY_SYSTEM, EXT, NEED_SYSTEM, SAFE_CONTACT

CANARY = "CANARY-7c1e9f"
CCDA = f"""<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"><title>Discharge
summary</title><recordTarget><patientRole><patient><name><given>Dana</given><family>{CANARY}
</family></name></patient></patientRole></recordTarget></ClinicalDocument>""".encode()


def instant(seconds: float) -> str:
    return fhir.instant(seconds)


def handoff_bundle(now: float, *, destination: str = "harbor-house",
                   safe_contact: bool = True) -> dict[str, Any]:
    request = {
        "resourceType": "ServiceRequest", "id": "sr-881", "status": "active",
        "intent": "order", "priority": "urgent",
        "category": [fhir.coding(CATEGORY_SYSTEM, "discharge-handoff")],
        "code": {"coding": [{"system": NEED_SYSTEM, "code": "shelter"},
                            {"system": NEED_SYSTEM, "code": "advocacy"}]},
        "subject": {"reference": "Patient/pt-42"},
        "occurrenceDateTime": instant(now + 4 * 3600),
        "performer": [{"reference": f"Organization/{destination}"}],
        "note": [{"text": f"Needs a bed tonight; {CANARY} in the note"}]}
    patient = {"resourceType": "Patient", "id": "pt-42",
               "name": [{"given": ["Dana"], "family": CANARY}], "birthDate": "1991-04-02",
               "telecom": [{"system": "phone", "value": "+15555550999"}],
               "communication": [{"language": {"coding": [{"code": "es"}]}}]}
    consent = {
        "resourceType": "Consent", "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                              "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": "Patient/pt-42"}, "dateTime": instant(now - 600),
        "policyRule": {"text": "CCR release"},
        "extension": [{"url": f"{EXT}/consent-documented-by", "valueString": "mercy-nurse-1"}],
        "provision": {"type": "permit", "period": {"end": instant(now + 30 * 86400)},
                      "actor": [{"role": {"coding": [{"code": "IRCP"}]},
                                 "reference": {"reference": f"Organization/{destination}"}}]}}
    answers = {"resourceType": "QuestionnaireResponse", "status": "completed",
               "questionnaire": SAFE_CONTACT, "item": [
                   {"linkId": "safe-channels", "answer": [{"valueCoding": {"code": "sms"}}]},
                   {"linkId": "safe-phone", "answer": [{"valueString": "+15555550123"}]},
                   {"linkId": "voicemail-ok", "answer": [{"valueBoolean": False}]},
                   {"linkId": "may-name-agency", "answer": [{"valueBoolean": False}]}]}
    document = {"resourceType": "DocumentReference", "status": "current",
                "content": [{"attachment": {"contentType": "application/xml",
                                            "title": "discharge-summary.xml",
                                            "data": base64.b64encode(CCDA).decode()}}]}
    resources = [request, patient, consent, *([answers] if safe_contact else []), document]
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": r, "request": {"method": "POST", "url": r["resourceType"]}}
        for r in resources]}


class Ehr:
    """The EHR's FHIR server: keeps every Task written to it, in order, and every
    notification a hub's Subscription sent it."""

    def __init__(self) -> None:
        self.tasks: list[dict[str, Any]] = []
        self.notifications: list[tuple[dict[str, str], bytes]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_put("/fhir/Task/{id}", self._put_task)
        app.router.add_post("/hooks/tasks", self._notified)
        return app

    async def _put_task(self, request: web.Request) -> web.Response:
        self.tasks.append(fhir.checked(await request.json(), "Task"))
        return web.json_response(self.tasks[-1])

    async def _notified(self, request: web.Request) -> web.Response:
        self.notifications.append((dict(request.headers), await request.read()))
        return web.Response(status=200)

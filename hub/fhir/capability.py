"""GET /fhir/R4/metadata: the CapabilityStatement, made from the route table and the
search parameters, so it says exactly what the facade does."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.api import fhir
from hub.services.subscriptions import TOPIC

from . import search
from .answers import answer, base

RELEASED = "2026-12-06"  # when this facade's capabilities last changed


def statement(root: str) -> dict[str, Any]:
    from .routes import ROUTES  # the table names this module's handler

    def interactions(resource: str) -> list[dict[str, str]]:
        return [{"code": r.interaction} for r in ROUTES
                if r.interaction and r.resource == resource]

    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": RELEASED,
        "kind": "instance", "fhirVersion": fhir.FHIR_VERSION, "format": ["json"],
        "publisher": "CCR Hub",
        "implementation": {"description": "CCR Hub: referral Tasks only (Patient, "
                           "ServiceRequest and Consent stay sealed)", "url": root},
        "rest": [{
            "mode": "server",
            "security": {
                "cors": False,
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "SMART-on-FHIR"}]}],
                "extension": [{
                    "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/"
                           "oauth-uris",
                    "extension": [{"url": "token", "valueUri": f"{root}/auth/token"}]}],
                "description": "SMART Backend Services (client_credentials, private_key_jwt "
                               "RS384/ES384) or a CCR Hub API token as a bearer token"},
            "resource": [{
                "type": "Task", "interaction": interactions("Task"),
                "versioning": "versioned-update",
                "readHistory": False, "updateCreate": False, "conditionalCreate": False,
                "conditionalUpdate": False, "conditionalDelete": "not-supported",
                "searchParam": [{"name": name, "type": kind, "documentation": words}
                                for name, (kind, words) in search.PARAMETERS.items()],
                "documentation": "Update (PUT) changes the status only; see docs/fhir.md. "
                                 + "; ".join(f"{k}: {v}" for k, v in search.RESULT.items())},
                {"type": "Subscription", "interaction": interactions("Subscription"),
                 "operation": [{"name": "status", "definition": "http://hl7.org/fhir/uv/"
                                "subscriptions-backport/OperationDefinition/"
                                "backport-subscription-status"}],
                 "documentation": f"R4 Subscriptions Backport: topic {TOPIC}, filters "
                                  "owner, requester, status; rest-hook, id-only, HMAC-signed "
                                  "(docs/fhir.md)"}],
        }],
    }


async def metadata(request: web.Request) -> web.Response:
    return answer(statement(base(request)))

"""The FHIR routes: one table drives the router, the FHIR middleware's authentication and
audit, and the CapabilityStatement's interactions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from . import capability, handlers, smart, subscriptions

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TASK = "/fhir/R4/Task/{id:[0-9a-f]{32}}"
SUBSCRIPTION = "/fhir/R4/Subscription/{sid:[0-9a-f]{32}}"


@dataclass(frozen=True)
class FhirRoute:
    method: str
    path: str
    handler: Handler
    name: str
    scope: str = ""  # the SMART scope it needs; "" for a route without authentication
    audited: bool = False  # the service writes its audit event itself
    interaction: str = ""  # its interaction in the CapabilityStatement
    resource: str = "Task"


R = FhirRoute
ROUTES: tuple[FhirRoute, ...] = (
    R("GET", "/fhir/R4/metadata", capability.metadata, "fhir.metadata"),
    R("GET", "/fhir/R4/.well-known/smart-configuration", smart.configuration,
      "fhir.smart-configuration"),
    R("POST", "/fhir/R4/auth/token", smart.token, "fhir.token"),
    R("GET", "/fhir/R4/Task", handlers.search, "fhir.task.search", "system/Task.read",
      interaction="search-type"),
    R("GET", TASK, handlers.read, "fhir.task.read", "system/Task.read", interaction="read"),
    R("PUT", TASK, handlers.update, "fhir.task.update", "system/Task.write", audited=True,
      interaction="update"),
    R("POST", "/fhir/R4/Subscription", subscriptions.create, "fhir.subscription.create",
      "system/Subscription.write", interaction="create", resource="Subscription"),
    R("GET", SUBSCRIPTION, subscriptions.read, "fhir.subscription.read",
      "system/Subscription.read", interaction="read", resource="Subscription"),
    R("DELETE", SUBSCRIPTION, subscriptions.delete, "fhir.subscription.delete",
      "system/Subscription.write", interaction="delete", resource="Subscription"),
    R("GET", SUBSCRIPTION + "/$status", subscriptions.status, "fhir.subscription.status",
      "system/Subscription.read", resource="Subscription"),
)

BY_NAME = {r.name: r for r in ROUTES}

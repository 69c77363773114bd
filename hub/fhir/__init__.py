"""The FHIR R4 dialect of the hub's API, under /fhir/R4, beside the JSON API (hub/web):
Task read, search and status updates, a CapabilityStatement, SMART Backend Services, and
errors as OperationOutcome. Its handlers call the same services as the JSON API's, and
every Task is made from the reader's Sight (services/flowback.py). docs/fhir.md."""

from __future__ import annotations

from aiohttp import web

from .routes import ROUTES


def add_fhir_routes(app: web.Application) -> None:
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler, name=route.name)

"""Health, metrics (scrape.py), the OpenAPI document and the audit log's verification."""

from __future__ import annotations

from aiohttp import web

from hub.api import schemas as s
from hub.api.codes import Codes
from hub.errors import Unavailable
from hub.services.errors import STORAGE_UNAVAILABLE

from .context import SETTINGS, principal, respond, services
from .openapi import openapi_document
from .scrape import with_token


async def healthz(request: web.Request) -> web.Response:
    """This process and Redis answer (a load balancer's question), and the engine's
    figures beside them, which do not change the answer."""
    if not await services(request).monitor.redis_answers():
        raise Unavailable("Redis is not answering", code=Codes.REDIS_DOWN,
                          retry_after=request.app[SETTINGS].unavailable_retry_after)
    try:
        figures = s.EngineFigures(**(await services(request).engine_health.health()).doc())
    except STORAGE_UNAVAILABLE:
        figures = None
    return respond(s.Health(status="ok", redis="ok", engine=figures))


async def engine_health(request: web.Request) -> web.Response:
    """200 while escalation runs, 503 (with the same figures) when it does not."""
    health = await services(request).engine_health.health()
    return respond(s.EngineStatus(status="ok" if health.running else "stale", **health.doc()),
                   200 if health.running else 503)


async def metrics(request: web.Request) -> web.Response:
    return await with_token(request)


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


async def audit_verify(request: web.Request) -> web.Response:
    verdict = await services(request).auditlog.verify_for(principal(request))
    return respond(s.AuditVerdict(**verdict.doc()))

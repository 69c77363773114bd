"""Health, metrics (scrape.py), the OpenAPI document and the audit log's verification."""

from __future__ import annotations

from aiohttp import web

from hub.errors import Unavailable

from . import schemas as s
from .context import principal, respond, services
from .openapi import openapi_document
from .scrape import with_token


async def healthz(request: web.Request) -> web.Response:
    try:
        ok = await services(request).store.ping()
    except Exception:
        ok = False
    if not ok:
        raise Unavailable("Redis is not answering", code="redis_down")
    return respond(s.Health(status="ok", redis="ok"))


async def metrics(request: web.Request) -> web.Response:
    return await with_token(request)


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


async def audit_verify(request: web.Request) -> web.Response:
    verdict = await services(request).auditlog.verify_for(principal(request))
    return respond(s.AuditVerdict(**verdict.doc()))

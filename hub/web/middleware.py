"""The middlewares, outermost first: metrics, request id and errors to JSON, the deadline
for a request's body, authentication (with each person's request limit), and the audit
event every request leaves."""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time

from aiohttp import web

from hub.api.codes import Codes
from hub.errors import Forbidden, HubError, Unavailable
from hub.logs import client_request_id_var, request_id_var
from hub.services.errors import STORAGE_UNAVAILABLE

from .context import (
    ERROR,
    METRICS,
    PRINCIPAL,
    REQUEST_ID,
    SERVICES,
    SETTINGS,
    client_address,
    session_cookie,
)
from .routes import BY_NAME, Route

log = logging.getLogger(__name__)


def _route(request: web.Request) -> Route | None:
    return BY_NAME.get(request.match_info.route.name or "")


def error_response(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status,
                             headers=headers or None)


def refusal(error: HubError) -> web.Response:
    """``error`` answered: its status, its code and message, and its headers."""
    return error_response(error.status, error.code, error.message, **error.headers)


_HTTP_CODES = {404: (Codes.NOT_FOUND, "no such endpoint; see /v1/openapi.json"),
               405: (Codes.METHOD_NOT_ALLOWED, "that method is not allowed on this endpoint"),
               413: (Codes.PAYLOAD_TOO_LARGE, "the body is over the size limit")}


# A request id ties log lines and audit events together; it is no secret, so it comes from
# `random` (reseeded in each forked process), not a syscall. A client's own X-Request-Id
# (1-64 letters, digits, dashes) is kept beside it as client_request_id, never in its place.
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


@web.middleware
async def errors(request: web.Request, handler) -> web.StreamResponse:
    rid = f"{random.getrandbits(64):016x}"  # the hub's own, answered as X-Request-Id
    theirs = request.headers.get("X-Request-Id", "")  # kept apart, in the audit events
    request[REQUEST_ID] = rid
    token = request_id_var.set(rid)
    client_token = client_request_id_var.set(theirs if _REQUEST_ID.fullmatch(theirs) else None)
    try:
        response = await handler(request)
    except HubError as e:
        request[ERROR] = e.code
        response = refusal(e)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        code, message = _HTTP_CODES.get(e.status, (Codes.HTTP_ERROR, e.reason))
        if e.status == 413:
            message = f"the body is over the {request.app[SETTINGS].max_body_bytes}-byte limit"
        allow = {"Allow": e.headers["Allow"]} if "Allow" in e.headers else {}  # RFC 9110: 405
        response = error_response(e.status, code, message, **allow)
    except STORAGE_UNAVAILABLE as e:
        log.warning("redis unavailable (%s)", type(e).__name__)
        response = refusal(Unavailable("storage is unavailable; retry shortly",
                                       retry_after=request.app[SETTINGS].unavailable_retry_after))
    except Exception:
        log.exception("unhandled error")
        response = error_response(500, Codes.INTERNAL, f"internal error; quote request id {rid}")
    finally:
        request_id_var.reset(token)
        client_request_id_var.reset(client_token)
    response.headers["X-Request-Id"] = rid
    return response


@web.middleware
async def slow_bodies(request: web.Request, handler) -> web.StreamResponse:
    """A request's body must arrive within the client timeout of its headers; a client that
    trickles it is answered 408 and its connection closed. (The headers' own deadline is
    the server's: app.py.)"""
    if request.body_exists:
        seconds = request.app[SETTINGS].client_timeout
        try:
            async with asyncio.timeout(seconds):
                await request.read()  # kept by aiohttp for the handler
        except TimeoutError:
            log.warning("a request body took over %s s to arrive: cut off", seconds)
            response = error_response(408, Codes.REQUEST_TIMEOUT, f"the request's body took "
                                      f"more than {seconds:g} seconds to arrive; send it "
                                      "again on a faster connection")
            response.force_close()
            return response
    return await handler(request)


@web.middleware
async def metrics(request: web.Request, handler) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    route = request.match_info.route.name or "unmatched"
    registry = request.app[METRICS]
    registry.requests.labels(route, str(response.status)).inc()
    registry.latency.labels(route).observe(time.perf_counter() - started)
    return response


@web.middleware
async def authenticate(request: web.Request, handler) -> web.StreamResponse:
    route = _route(request)
    if route is None or not route.auth:
        return await handler(request)
    request[PRINCIPAL] = await _principal(request, route)
    await request.app[SERVICES].limits.admit(request[PRINCIPAL])
    return await handler(request)


async def _principal(request: web.Request, route: Route):
    header = request.headers.get("Authorization", "")
    if not header and session_cookie(request) in request.cookies:
        return await _session_principal(request)
    token = header[7:].strip() if header.startswith("Bearer ") else None
    return await request.app[SERVICES].tokens.authenticate(
        token, client_address(request), rechecked_by_write=route.token_rechecked)


async def _session_principal(request: web.Request):
    """The hub's own pages call the API with their session cookie (no token in the page);
    a call that changes something must carry the session's CSRF token as X-CSRF-Token."""
    services = request.app[SERVICES]
    current = await services.sessions.resolve(request.cookies[session_cookie(request)])
    if current is None:
        await services.tokens.refuse(client_address(request),
                                     message="your session has ended; sign in again")
    if request.method not in ("GET", "HEAD", "OPTIONS") and \
            not current.csrf_ok(request.headers.get("X-CSRF-Token")):
        raise Forbidden("send the page's CSRF token as X-CSRF-Token", code=Codes.BAD_CSRF)
    return current.principal


@web.middleware
async def audit(request: web.Request, handler) -> web.StreamResponse:
    """Every request leaves an audit event: state changes write theirs in the same atomic
    step as the change; everything else (reads, denials, bad input) is written here."""
    route = _route(request)
    try:
        response = await handler(request)
    except HubError as e:
        await _record(request, route, e.code)
        raise
    if route is not None and route.auth and not route.audited:
        await _record(request, route, "ok")
    return response


async def _record(request: web.Request, route: Route | None, outcome: str) -> None:
    if route is None or not route.auth or outcome in (Codes.UNAUTHORIZED, Codes.RATE_LIMITED):
        return  # failed sign-ins are audited by the token service
    await request.app[SERVICES].auditor.record(
        request.get(PRINCIPAL), route.name, referral=request.match_info.get("rid"),
        outcome=outcome, request_id=request[REQUEST_ID])

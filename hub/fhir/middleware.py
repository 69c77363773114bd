"""The FHIR routes' own middleware: who is asking (a SMART access token or a CCR Hub API
token, with the scope the route needs), the audit event every request leaves (as the JSON
API's audit middleware writes it), and every error answered as an OperationOutcome. It
acts on /fhir paths only: the JSON API keeps its own errors (hub/web/middleware.py)."""

from __future__ import annotations

import logging

from aiohttp import web

from hub.api import fhir
from hub.api.codes import Codes
from hub.errors import Forbidden, HubError
from hub.services.errors import STORAGE_UNAVAILABLE
from hub.services.smart import SCOPES, Grant
from hub.web.context import ERROR, PRINCIPAL, REQUEST_ID, SERVICES, SETTINGS, client_address

from .answers import GRANT
from .routes import BY_NAME, FhirRoute

log = logging.getLogger(__name__)

# FHIR's issue type for each HTTP status the hub answers with
ISSUE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
         408: "timeout", 409: "conflict", 410: "deleted", 412: "conflict", 413: "too-long",
         422: "processing", 429: "throttled", 503: "transient"}
ALL_SCOPES = frozenset(SCOPES)


def problem(status: int, code: str, message: str, **headers: str) -> web.Response:
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="fhir"')
    body = fhir.outcome("fatal" if status >= 500 else "error", ISSUE.get(status, "exception"),
                        message, details=code)
    fhir.checked(body)
    return web.json_response(body, status=status, headers=headers or None,
                             content_type=fhir.FHIR_JSON)


@web.middleware
async def fhir_routes(request: web.Request, handler) -> web.StreamResponse:
    if not request.path.startswith("/fhir/"):
        return await handler(request)
    route = BY_NAME.get(request.match_info.route.name or "")
    try:
        if route is not None and route.scope:
            request[GRANT] = await _grant(request, route)
            request[PRINCIPAL] = request[GRANT].principal
        response = await handler(request)
    except HubError as e:
        request[ERROR] = e.code
        await _record(request, route, e.code)
        return problem(e.status, e.code, e.message, **e.headers)
    except fhir.NotFhir as e:
        await _record(request, route, Codes.NOT_FHIR)
        return problem(400, Codes.NOT_FHIR, f"not a valid FHIR R4 resource: {e.problems}")
    except web.HTTPException as e:
        if e.status < 400:
            raise
        return _http_problem(request, e)
    except STORAGE_UNAVAILABLE as e:
        log.warning("redis unavailable (%s)", type(e).__name__)
        after = str(request.app[SETTINGS].unavailable_retry_after)
        return problem(503, Codes.UNAVAILABLE, "storage is unavailable; retry shortly",
                       **{"Retry-After": after})
    except Exception:
        log.exception("unhandled error")
        return problem(500, Codes.INTERNAL,
                       f"internal error; quote request id {request[REQUEST_ID]}")
    if route is not None and route.scope and not route.audited:
        await _record(request, route, "ok")
    return response


def _http_problem(request: web.Request, e: web.HTTPException) -> web.Response:
    if e.status == 404:
        return problem(404, Codes.NOT_FOUND, "this FHIR endpoint serves Task only (and "
                       "metadata); see /fhir/R4/metadata. Patient, ServiceRequest and the "
                       "rest stay sealed at the sender's bridge")
    if e.status == 405:
        return problem(405, Codes.METHOD_NOT_ALLOWED, "that interaction is not supported "
                       "here; see /fhir/R4/metadata", Allow=e.headers.get("Allow", ""))
    if e.status == 413:
        limit = request.app[SETTINGS].max_body_bytes
        return problem(413, Codes.PAYLOAD_TOO_LARGE, f"the body is over the {limit}-byte limit")
    return problem(e.status, Codes.HTTP_ERROR, e.reason)


async def _grant(request: web.Request, route: FhirRoute) -> Grant:
    """Who is asking, and whether their token carries the route's scope. A CCR Hub API
    token (ccr_...) stands for its person with every scope their roles allow."""
    services = request.app[SERVICES]
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.startswith("Bearer ") else ""
    if token.startswith("ccr_") or not token:
        who = await services.tokens.authenticate(token or None, client_address(request))
        found = Grant(who, "", ALL_SCOPES | {f"agency/{who.agency}"})
    else:
        resolved = await services.smart.resolve(token)
        if resolved is None:
            await services.tokens.refuse(client_address(request), message=(
                "the access token is unknown or expired; get a new one from "
                "/fhir/R4/auth/token"))
        found = resolved
    await services.limits.admit(found.principal)
    if not found.allows(route.scope):
        raise Forbidden(f"this needs the scope {route.scope}; ask for it at the token "
                        "endpoint (the operator registers which scopes a client may have)",
                        code=Codes.BAD_SCOPE)
    return found


async def _record(request: web.Request, route: FhirRoute | None, outcome: str) -> None:
    if route is None or not route.scope or outcome in (Codes.UNAUTHORIZED,
                                                        Codes.RATE_LIMITED):
        return  # failed sign-ins are audited by the token service
    await request.app[SERVICES].auditor.record(
        request.get(PRINCIPAL), route.name, referral=request.match_info.get("id"),
        outcome=outcome, request_id=request[REQUEST_ID])

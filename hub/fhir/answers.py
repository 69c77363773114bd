"""What every FHIR handler shares: the grant of who is asking, a FHIR body read and
checked, a resource answered after it is checked, and the base address links start from."""

from __future__ import annotations

import json
from typing import Any

import orjson
from aiohttp import web

from hub.api import fhir
from hub.api.codes import Codes
from hub.errors import BadRequest, Unauthorized
from hub.services.smart import Grant
from hub.web.context import SETTINGS

PREFIX = "/fhir/R4"
GRANT = web.RequestKey("fhir_grant", Grant)
BODY_TYPES = (fhir.FHIR_JSON, "application/json")


def grant(request: web.Request) -> Grant:
    found = request.get(GRANT)
    if found is None:
        raise Unauthorized("a bearer token is required (SMART Backend Services or a CCR Hub "
                           "API token)")
    return found


def base(request: web.Request) -> str:
    """The FHIR base as the hub's public address names it."""
    return request.app[SETTINGS].public_base_url.rstrip("/") + PREFIX


async def resource(request: web.Request, expected: str) -> dict[str, Any]:
    """The request's body: one R4 resource of type ``expected``, validated."""
    if request.content_type not in BODY_TYPES:
        raise BadRequest(f"send the body as {fhir.FHIR_JSON}", code=Codes.BAD_CONTENT_TYPE)
    try:
        data = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("the body is not valid JSON", code=Codes.BAD_JSON) from None
    return fhir.checked(data, expected)


def answer(body: dict[str, Any], status: int = 200, **headers: str) -> web.Response:
    """``body`` after it validates as R4: the hub never answers a resource that does not."""
    fhir.checked(body)
    return web.Response(body=orjson.dumps(body), status=status, headers=headers or None,
                        content_type=fhir.FHIR_JSON)

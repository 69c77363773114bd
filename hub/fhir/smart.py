"""SMART Backend Services' two addresses: the discovery document and the token endpoint
(services/smart.py decides)."""

from __future__ import annotations

from aiohttp import web

from hub.api.codes import Codes
from hub.errors import BadRequest
from hub.services.smart import ALGORITHMS, SCOPES
from hub.web.context import SERVICES

from .answers import base

FORM = "application/x-www-form-urlencoded"


async def configuration(request: web.Request) -> web.Response:
    return web.json_response({
        "token_endpoint": f"{base(request)}/auth/token",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "scopes_supported": [*SCOPES, "agency/<your agency id>"],
        "capabilities": ["client-confidential-asymmetric"]})


async def token(request: web.Request) -> web.Response:
    if request.content_type != FORM:
        raise BadRequest(f"send the token request as {FORM}", code=Codes.BAD_CONTENT_TYPE)
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    services = request.app[SERVICES]
    issued = await services.smart.issue(form)
    return web.json_response(issued, headers={"Cache-Control": "no-store",
                                              "Pragma": "no-cache"})

"""Typed application keys and the small helpers every handler uses: who is asking, the
validated body, a JSON answer."""

from __future__ import annotations

import json
import re
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from hub.api.codes import Codes
from hub.build import Services
from hub.config import Settings
from hub.errors import BadRequest, Unauthorized, Unprocessable
from hub.loops import Guard
from hub.metrics import Metrics
from hub.services.engine import EngineWatch
from hub.services.principal import Principal

SERVICES = web.AppKey("services", Services)
SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", Metrics)
GUARD = web.AppKey("guard", Guard)  # what ends this process when a loop of it fails
WATCH = web.AppKey("engine_watch", EngineWatch)  # the dead man's switch
REQUEST_ID = web.RequestKey("request_id", str)
PRINCIPAL = web.RequestKey("principal", Principal)
ERROR = web.RequestKey("error", str)
SESSION_COOKIE = "ccr_session"  # a signed-in browser's session (services/sessions.py)
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

M = TypeVar("M", bound=BaseModel)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def principal(request: web.Request) -> Principal:
    who = request.get(PRINCIPAL)
    if who is None:
        raise Unauthorized("a valid API token is required: 'Authorization: Bearer ccr_...'")
    return who


def session_cookie(request: web.Request) -> str:
    """The session cookie's name: in production with the __Host- prefix (the browser keeps
    it only if Secure, for this host alone, path /), plain over dev's http."""
    production = request.app[SETTINGS].mode == "production"
    return f"__Host-{SESSION_COOKIE}" if production else SESSION_COOKIE


def client_address(request: web.Request) -> str:
    """Who is asking: the TCP peer, or, when the peer is one of HUB_TRUSTED_PROXIES, the
    nearest address before it in X-Forwarded-For that is not a trusted proxy (each proxy
    appends the address it heard from; what a client wrote itself comes first)."""
    peer = request.remote or "unknown"
    trusted = request.app[SETTINGS].trusted_proxies
    if not trusted or not _among(peer, trusted):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getall("X-Forwarded-For", ()))
            .split(",") if h.strip()]
    for hop in reversed(hops):
        if not _among(hop, trusted):
            return hop if _address(hop) else peer  # a proxy never writes garbage: not ours
    return hops[0] if hops else peer


def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text)
    except ValueError:
        return None


def _among(text: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    found = _address(text)
    return found is not None and any(found in n for n in networks)


def request_id(request: web.Request) -> str:
    return request[REQUEST_ID]


def describe(error: ValidationError) -> str:
    parts = []
    for e in error.errors()[:5]:
        where = ".".join(str(p) for p in e["loc"]) or "body"
        parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)


async def body(request: web.Request, model: type[M]) -> M:
    if request.content_type != "application/json":
        raise BadRequest("send the body as JSON with 'Content-Type: application/json'",
                         code=Codes.BAD_CONTENT_TYPE)
    raw = await request.read()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON", code=Codes.BAD_JSON) from None
    except RecursionError:  # nested deeper than the interpreter's stack
        raise BadRequest("the body's JSON is nested too deeply", code=Codes.BAD_JSON) from None
    return validated(model, data)


def validated(model: type[M], data: object) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise Unprocessable(f"invalid request body: {describe(e)}",
                            code=Codes.INVALID_BODY) from None


def respond(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(body=model.model_dump_json().encode(), status=status,
                        content_type="application/json")


_DIGITS = re.compile(r"[0-9]{1,9}")  # ASCII digits only: not '١', '²' or '1_000'


def whole_number(raw: str, what: str, low: int, high: int,
                 code: Codes = Codes.BAD_REQUEST) -> int:
    """``raw`` as a whole number from ``low`` to ``high``, written in ASCII digits (no
    sign, no spaces, at most nine), or a 400 saying so."""
    if not _DIGITS.fullmatch(raw):
        raise BadRequest(f"{what} must be a whole number from {low} to {high}, in digits 0-9",
                         code=code)
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest(f"{what} must be between {low} and {high}", code=code)
    return value


def query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    return default if raw is None else whole_number(raw, f"'{name}'", low, high)

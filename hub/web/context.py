"""Typed application keys and the small helpers every handler uses: who is asking, the
validated body, a JSON answer."""

from __future__ import annotations

import json
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

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
                         code="bad_content_type")
    raw = await request.read()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON", code="bad_json") from None
    except RecursionError:  # nested deeper than the interpreter's stack
        raise BadRequest("the body's JSON is nested too deeply", code="bad_json") from None
    return validated(model, data)


def validated(model: type[M], data: object) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise Unprocessable(f"invalid request body: {describe(e)}", code="invalid_body") from None


def respond(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(body=model.model_dump_json().encode(), status=status,
                        content_type="application/json")


def query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"'{name}' must be a whole number") from None
    if not low <= value <= high:
        raise BadRequest(f"'{name}' must be between {low} and {high}")
    return value

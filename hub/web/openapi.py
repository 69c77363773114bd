"""/v1/openapi.json, generated from the route table and the pydantic models that validate
the requests, so the document and the checks are the same thing."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from hub.adapters import INBOUND, RECEIVERS
from hub.api import schemas as s
from hub.crypto.header import MAX_ATTACHMENTS
from hub.models import Status

# Path parameters whose route takes any segment, checked by the handler instead.
PATH_SCHEMAS: dict[str, dict[str, Any]] = {
    "index": {"type": "integer", "minimum": 0, "maximum": MAX_ATTACHMENTS - 1}}
_LISTING = [
    {"name": "status", "in": "query", "required": False, "style": "form", "explode": False,
     "description": "only these statuses, comma-separated",
     "schema": {"type": "array", "items": {"enum": [v.value for v in Status]}}},
    {"name": "offset", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 0}},
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
]
_AGENDA = [
    {"name": "date", "in": "query", "required": False,
     "description": "the meeting day, YYYY-MM-DD (default today, UTC)",
     "schema": {"type": "string", "format": "date"}},
    {"name": "agency", "in": "query", "required": False,
     "description": "only referrals this agency sent or received, or owes an action item on",
     "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"}},
    {"name": "page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 1}},
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
]
QUERY = {"referral.inbox": _LISTING, "referral.outbox": _LISTING, "mdt.agenda": _AGENDA}
FORMS = {f"report.{r.route}": r.schema for r in RECEIVERS.values()  # bodies sent as
         if r.form} | {f"answer.{r.route}": r.schema for r in INBOUND.values()  # application/
                       if r.form}  # x-www-form-urlencoded
REPEATABLE = {"referral.submit", "reply.post", "attachment.put"}  # the same again: 200
RID = {"rid": "$request.path.rid"}


def _links(route: Any, routes: Any) -> dict[str, Any]:
    """OpenAPI links: where the id a call returns is used next (and stateful fuzzing
    follows them)."""
    if route.name == "referral.submit":
        return {r.name: {"operationId": r.name, "parameters": {"rid": "$response.body#/id"}}
                for r in routes if "{rid" in r.path}
    if route.name == "reply.post":
        return {"reply.envelope": {"operationId": "reply.envelope",
                                   "parameters": {**RID, "reply_id": "$response.body#/id"}}}
    if route.name == "attachment.put":
        return {"attachment.get": {"operationId": "attachment.get",
                                   "parameters": {**RID, "index": "$request.path.index"}}}
    return {}


def _path(path: str) -> tuple[str, list[tuple[str, str | None]]]:
    params: list[tuple[str, str | None]] = []

    def repl(m: re.Match[str]) -> str:
        params.append((m.group(1), m.group(2)))
        return "{" + m.group(1) + "}"

    return re.sub(r"\{(\w+)(?::((?:[^{}]|\{\d+(?:,\d+)?\})*))?\}", repl, path), params


def _path_parameter(name: str, regex: str | None) -> dict[str, Any]:
    schema = {"type": "string", "pattern": f"^{regex}$"} if regex else \
        PATH_SCHEMAS.get(name, {"type": "string"})
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _ref(model: type) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _request_body(route: Any) -> dict[str, Any] | None:
    if route.body is not None:
        content = {"application/json": {"schema": _ref(route.body)}}
    elif route.name in FORMS:
        content = {"application/x-www-form-urlencoded": {"schema": _ref(FORMS[route.name])}}
    elif route.octets_in:
        content = {"application/octet-stream": {"schema": {"type": "string",
                                                           "format": "binary"}}}
    else:
        return None
    return {"required": True, "content": content}


def _success(route: Any, routes: Any) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "OK"}
    if route.response is not None:
        ok["content"] = {"application/json": {"schema": _ref(route.response)}}
    elif route.octets_out:
        ok["content"] = {"application/octet-stream": {"schema": {"type": "string",
                                                                 "format": "binary"}}}
    links = _links(route, routes)
    if links:
        ok["links"] = links
    answers = {str(route.ok): ok}
    if route.name in REPEATABLE:
        answers["200"] = {**ok, "description": "The same again: the existing one"}
    for status, description in route.also:
        answers[str(status)] = {**ok, "description": description}
    return answers


def _operation(route: Any, params: list[tuple[str, str | None]], routes: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": route.name, "summary": route.summary,
                          "parameters": [_path_parameter(*p) for p in params]
                          + QUERY.get(route.name, [])}
    if route.auth:
        op["security"] = [{"bearer": []}]
    body = _request_body(route)
    if body is not None:
        op["requestBody"] = body
    error = {"description": "Error", "content": {"application/json": {
        "schema": _ref(s.ErrorBody)}}}
    op["responses"] = {**_success(route, routes), "4XX": error}
    return op


@cache
def openapi_document() -> dict[str, Any]:
    from .routes import ROUTES

    models = {r.body for r in ROUTES if r.body} | {r.response for r in ROUTES if r.response}
    models |= {s.ErrorBody, *FORMS.values()}
    _, schema = models_json_schema([(m, "validation") for m in sorted(models, key=str)],
                                   ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        path, params = _path(route.path)
        paths.setdefault(path, {})[route.method.lower()] = _operation(route, params, ROUTES)
    return {
        "openapi": "3.1.0",
        "info": {"title": "CCR Hub", "version": "1",
                 "description": "Routes sealed referrals between agencies; never reads them."},
        "paths": paths,
        "components": {"schemas": schema.get("$defs", {}),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }

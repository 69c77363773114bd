"""/v1/openapi.json, generated from the route table and the pydantic models that validate
the requests, so the document and the checks are the same thing."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from . import schemas as s


def _path(path: str) -> tuple[str, list[str]]:
    names: list[str] = []

    def repl(m: re.Match[str]) -> str:
        names.append(m.group(1))
        return "{" + m.group(1) + "}"

    return re.sub(r"\{(\w+)(?::(?:[^{}]|\{\d+\})*)?\}", repl, path), names


def _ref(model: type) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(route: Any, params: list[str]) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": route.name, "summary": route.summary,
                          "parameters": [{"name": p, "in": "path", "required": True,
                                          "schema": {"type": "string"}} for p in params]}
    if route.auth:
        op["security"] = [{"bearer": []}]
    if route.body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": _ref(route.body)}}}
    elif route.octets_in:
        op["requestBody"] = {"required": True, "content": {"application/octet-stream": {
            "schema": {"type": "string", "format": "binary"}}}}
    ok: dict[str, Any] = {"description": "OK"}
    if route.response is not None:
        ok["content"] = {"application/json": {"schema": _ref(route.response)}}
    elif route.octets_out:
        ok["content"] = {"application/octet-stream": {"schema": {"type": "string",
                                                                 "format": "binary"}}}
    error = {"description": "Error", "content": {"application/json": {
        "schema": _ref(s.ErrorBody)}}}
    op["responses"] = {str(route.ok): ok, "4XX": error}
    return op


@cache
def openapi_document() -> dict[str, Any]:
    from .routes import ROUTES

    models = {r.body for r in ROUTES if r.body} | {r.response for r in ROUTES if r.response}
    models.add(s.ErrorBody)
    _, schema = models_json_schema([(m, "validation") for m in sorted(models, key=str)],
                                   ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        path, params = _path(route.path)
        paths.setdefault(path, {})[route.method.lower()] = _operation(route, params)
    return {
        "openapi": "3.1.0",
        "info": {"title": "CCR Hub", "version": "1",
                 "description": "Routes sealed referrals between agencies; never reads them."},
        "paths": paths,
        "components": {"schemas": schema.get("$defs", {}),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }

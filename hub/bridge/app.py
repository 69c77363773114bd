"""The bridge's local FHIR endpoint for the EHR:

- POST /fhir/R4 with a transaction Bundle, or POST /fhir/R4/Task with an IG Task carrying
  the resources contained: sealed and submitted (a transaction-response Bundle, or 201 and
  the Task);
- GET /fhir/R4/Task/{id} and GET /fhir/R4/Task?...: the hub's Tasks, with the EHR's own
  references, for the EHR to poll;
- GET /fhir/R4/metadata.

Errors are OperationOutcomes; the hub's refusals come through with their status and
words. Nothing the EHR posts is logged or written to disk."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

import orjson
from aiohttp import web

from hub.api import fhir
from hub.client.errors import HubApiError
from hub.crypto import TrustError

from .core import Bridge
from .mapping import BadHandoff

log = logging.getLogger(__name__)
BRIDGE = web.AppKey("bridge", Bridge)
EHR_TOKEN = web.AppKey("ehr_token", str)
TASK = "/fhir/R4/Task/{id:[0-9a-f]{32}}"


def problem(status: int, code: str, message: str, expression: str | None = None
            ) -> web.Response:
    body = fhir.outcome("error" if status < 500 else "fatal", code, message,
                        expression=expression)
    return web.Response(body=orjson.dumps(body), status=status, content_type=fhir.FHIR_JSON)


def answer(body: dict[str, Any], status: int = 200, **headers: str) -> web.Response:
    return web.Response(body=orjson.dumps(fhir.checked(body)), status=status,
                        content_type=fhir.FHIR_JSON, headers=headers or None)


@web.middleware
async def outcomes(request: web.Request, handler) -> web.StreamResponse:
    expected = request.app[EHR_TOKEN]
    given = request.headers.get("Authorization", "")
    if expected and not secrets.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        return problem(401, "login", "send the bridge's EHR token as 'Authorization: Bearer'")
    try:
        return await handler(request)
    except BadHandoff as e:
        return problem(422, "processing", e.message, e.expression)
    except fhir.NotFhir as e:
        return problem(400, "invalid", f"not a valid FHIR R4 resource: {e.problems}")
    except TrustError as e:
        return problem(502, "security", f"the destination's roster does not verify against "
                       f"the pinned root ({e}); nothing was sent: tell the agency admin")
    except HubApiError as e:
        status = e.status if 400 <= e.status < 600 else 502
        return problem(status, "processing" if status < 500 else "transient",
                       f"the hub refused it: {e.message} ({e.code})")
    except web.HTTPException as e:
        if e.status < 400:
            raise
        return problem(e.status, "not-supported", "the bridge takes a transaction Bundle at "
                       "/fhir/R4, a Task at /fhir/R4/Task, and serves Task reads and searches")
    except Exception:
        log.exception("unhandled error in the bridge")
        return problem(500, "exception", "the bridge failed; its log says where")


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type not in (fhir.FHIR_JSON, "application/json"):
        raise BadHandoff(f"send {fhir.FHIR_JSON}")
    try:
        data = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise fhir.NotFhir("the body is not JSON") from None
    return fhir.checked(data)


async def transaction(request: web.Request) -> web.Response:
    body = await _body(request)
    if body["resourceType"] != "Bundle":
        raise BadHandoff("post a transaction Bundle here, or a Task to /fhir/R4/Task",
                         "resourceType")
    task = await request.app[BRIDGE].submit(body)
    location = f"Task/{task['id']}/_history/{task['meta']['versionId']}"
    entries = []
    for entry in body.get("entry") or ():
        created = entry["resource"]["resourceType"] == "ServiceRequest"
        entries.append({"response": {"status": "201 Created" if created else "200 OK",
                                     **({"location": location} if created else {})}}
                       | ({"resource": task} if created else {}))
    return answer({"resourceType": "Bundle", "type": "transaction-response",
                   "entry": entries})


async def post_task(request: web.Request) -> web.Response:
    task = await request.app[BRIDGE].submit(await _body(request))
    return answer(task, 201, Location=f"Task/{task['id']}")


async def read(request: web.Request) -> web.Response:
    return answer(await request.app[BRIDGE].task(request.match_info["id"]))


async def search(request: web.Request) -> web.Response:
    return answer(await request.app[BRIDGE].search(dict(request.query)))


async def metadata(request: web.Request) -> web.Response:
    return answer({
        "resourceType": "CapabilityStatement", "status": "active", "date": "2026-12-06",
        "kind": "instance", "fhirVersion": fhir.FHIR_VERSION, "format": ["json"],
        "rest": [{"mode": "server", "interaction": [{"code": "transaction"}],
                  "resource": [{"type": "Task", "interaction": [
                      {"code": "create"}, {"code": "read"}, {"code": "search-type"}]}]}]})


def create_bridge_app(bridge: Bridge, *, ehr_token: str = "") -> web.Application:
    app = web.Application(middlewares=[outcomes], client_max_size=32 * 1024 * 1024)
    app[BRIDGE] = bridge
    app[EHR_TOKEN] = ehr_token
    app.router.add_post("/fhir/R4", transaction)
    app.router.add_post("/fhir/R4/Task", post_task)
    app.router.add_get(TASK, read)
    app.router.add_get("/fhir/R4/Task", search)
    app.router.add_get("/fhir/R4/metadata", metadata)
    return app

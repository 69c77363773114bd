"""Delivery reports from the providers, one route per receiver the adapters declare
(hub/adapters RECEIVERS: POST /v1/reports/{route}). No token: the service checks the
provider's signature over exactly what it sent before anything is read or applied."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from hub.api.codes import Codes
from hub.errors import BadRequest
from hub.reports import Inbound, Received, Receiver

from .context import SETTINGS, body, services, validated

FORM = "application/x-www-form-urlencoded"
Handler = Callable[[web.Request], Awaitable[web.Response]]


async def _form(request: web.Request, kind: type[Receiver | Inbound]) -> dict[str, str]:
    if request.content_type != FORM:
        raise BadRequest(f"send {kind.called} as {FORM}", code=Codes.BAD_CONTENT_TYPE)
    try:
        posted = await request.post()
    except (ValueError, LookupError):  # a charset Python does not know, undecodable bytes
        raise BadRequest("the body is not a readable form", code=Codes.BAD_FORM) from None
    return {k: v for k, v in posted.items() if isinstance(v, str)}


async def _received(request: web.Request, kind: type[Receiver | Inbound]) -> Received:
    form = await _form(request, kind) if kind.form else {}
    url = request.app[SETTINGS].public_base_url.rstrip("/") + request.path_qs
    return Received(await request.read(), form, url, request.headers)


def receiving(kind: type[Receiver]) -> Handler:
    """The route's handler for ``kind``'s reports: checked, read, applied."""

    async def receive(request: web.Request) -> web.Response:
        reports = services(request).deliveries
        received = await _received(request, kind)
        await reports.check(kind.route, received)
        parsed = validated(kind.schema, received.form) if kind.form \
            else await body(request, kind.schema)
        report = kind.read(parsed)
        result = await reports.apply(report.message_id, report.status, report.error)
        return web.json_response({"result": result})

    return receive


def answering(kind: type[Inbound]) -> Handler:
    """The route's handler for what people answer through ``kind``'s provider: checked,
    read, claimed (services/claims.py), answered in the provider's form."""

    async def answer(request: web.Request) -> web.Response:
        hub = services(request)
        received = await _received(request, kind)
        await hub.deliveries.check(kind.route, received)
        parsed = validated(kind.schema, received.form) if kind.form \
            else await body(request, kind.schema)
        said = kind.read(parsed)
        answered = await (hub.claims.by_call(said.call, said.text) if said.call
                          else hub.claims.by_reply(said.sender, said.text))
        text, content_type = kind.respond(answered.outcome, answered.words, answered.language)
        return web.Response(text=text, content_type=content_type)

    return answer

"""HTTP handlers for web push: a person turns push notices on and off for one of their
devices (the device page does it from the browser), and reads the key to subscribe with."""

from __future__ import annotations

from aiohttp import web

from hub.api import schemas as s

from .context import body, principal, respond, services

DEVICE = "{device:[0-9a-f]{32}}"


async def get_push(request: web.Request) -> web.Response:
    return respond(await services(request).push.settings(principal(request),
                                                         request.match_info["device"]))


async def subscribe(request: web.Request) -> web.Response:
    who, device = principal(request), request.match_info["device"]
    push = services(request).push
    created = await push.subscribe(who, device, await body(request, s.PushSubscription))
    return respond(await push.settings(who, device), status=201 if created else 200)


async def unsubscribe(request: web.Request) -> web.Response:
    who, device = principal(request), request.match_info["device"]
    push = services(request).push
    await push.unsubscribe(who, device)
    return respond(s.PushSettings(public_key=push.public_key, subscribed=False))

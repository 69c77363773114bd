"""Subscription create, read, delete and $status (the R4 Subscriptions Backport), each
calling the subscriptions service for the client's agency."""

from __future__ import annotations

from aiohttp import web

from hub.web.context import SERVICES

from .answers import answer, grant, resource


async def create(request: web.Request) -> web.Response:
    body = await resource(request, "Subscription")
    who = grant(request)
    made = await request.app[SERVICES].subscriptions.create(who.principal, who.client, body)
    return answer(made, 201, Location=f"Subscription/{made['id']}")


async def read(request: web.Request) -> web.Response:
    return answer(await request.app[SERVICES].subscriptions.read(
        grant(request).principal, request.match_info["sid"]))


async def delete(request: web.Request) -> web.Response:
    await request.app[SERVICES].subscriptions.delete(grant(request).principal,
                                                      request.match_info["sid"])
    return web.Response(status=204)


async def status(request: web.Request) -> web.Response:
    return answer(await request.app[SERVICES].subscriptions.status(
        grant(request).principal, request.match_info["sid"]))

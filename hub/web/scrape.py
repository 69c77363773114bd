"""Prometheus figures, which say which agency's inbox just grew and which routes are busy,
so they are never served to whoever asks: on a listen address of their own (loopback by
default, HUB_METRICS_HOST and HUB_METRICS_PORT), and on the API's address only to a scraper
holding the scrape token (HUB_METRICS_TOKEN_FILE)."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hub.errors import NotFound

from .context import METRICS, SERVICES, SETTINGS, client_address

MAIN = web.AppKey("main", web.Application)
SCRAPE_TOKEN = web.AppKey("scrape_token", str)


async def figures(app: web.Application) -> web.Response:
    """The hub's figures now, from the web app ``app``."""
    registry = app[METRICS]
    registry.engine(await app[SERVICES].engine_health.health())
    for agency, depth in (await app[SERVICES].monitor.inbox_depths()).items():
        registry.inbox_depth.labels(agency).set(depth)
    return web.Response(body=generate_latest(registry.registry),
                        headers={"Content-Type": CONTENT_TYPE_LATEST})


async def with_token(request: web.Request) -> web.Response:
    """``/metrics`` on the API's address: for the holder of the scrape token only; a wrong
    one is a failed sign-in like any other."""
    expected = request.app.get(SCRAPE_TOKEN)
    if not expected:
        raise NotFound("no such endpoint: the figures are served on the metrics address "
                       "(HUB_METRICS_HOST, HUB_METRICS_PORT)")
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(offered.encode(), expected.encode()):
        await request.app[SERVICES].tokens.refuse(
            client_address(request), message="send the scrape token: 'Authorization: Bearer "
                                              "<the contents of HUB_METRICS_TOKEN_FILE>'")
    return await figures(request.app)


async def _scrape(request: web.Request) -> web.Response:
    return await figures(request.app[MAIN])


def listener(main: web.Application) -> Callable[[web.Application],
                                                AsyncIterator[None]]:
    """A cleanup context that serves ``/metrics`` of ``main`` on the metrics address while
    ``main`` runs (each pre-forked process binds it too: SO_REUSEPORT)."""
    async def serve(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        site_app = web.Application()
        site_app[MAIN] = main
        site_app.router.add_get("/metrics", _scrape)
        runner = web.AppRunner(site_app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, settings.metrics_host, settings.metrics_port,
                          reuse_port=True).start()
        yield
        await runner.cleanup()

    return serve

"""The aiohttp application factory (aiohttp-demos style): typed app keys, resources
opened and closed in cleanup_ctx, one error middleware."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from hub.build import Services, build_services
from hub.config import Settings, read_secret

from . import middleware, scrape
from .context import CONTENT_SECURITY_POLICY, METRICS, SERVICES, SETTINGS
from .pages import setup_pages
from .routes import add_routes

log = logging.getLogger(__name__)


async def check_durability(services: Services, settings: Settings) -> None:
    """A 201 must mean the write survives a crash: in production, refuse to start unless
    Redis appends every write to its AOF and fsyncs it."""
    config = await services.store.durability()
    durable = config.get("appendonly") == "yes" and config.get("appendfsync") == "always"
    if durable:
        return
    problem = (f"Redis has appendonly={config.get('appendonly')} "
               f"appendfsync={config.get('appendfsync')}; set 'appendonly yes' and "
               "'appendfsync always' so that an acknowledged referral survives a crash")
    if settings.mode == "production":
        raise RuntimeError(f"refusing to start: {problem}")
    log.warning("dev mode: %s", problem)


def create_app(settings: Settings, services: Services | None = None) -> web.Application:
    from hub.metrics import Metrics

    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[middleware.metrics, middleware.errors, middleware.slow_bodies,
                     middleware.authenticate, middleware.audit],
        # a connection that has not sent a whole request's headers within the client
        # timeout (from its start, or from the answer before) is closed; after a body cut
        # off (slow_bodies) the rest is read for no longer than that either
        handler_args={"keepalive_timeout": settings.client_timeout,
                      "lingering_time": min(10.0, settings.client_timeout)})
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app[scrape.SCRAPE_TOKEN] = read_secret(settings.metrics_token_file) or ""
    owned = services is None

    async def resources(app: web.Application) -> AsyncIterator[None]:
        app[SERVICES] = services or build_services(settings)
        await check_durability(app[SERVICES], settings)
        yield
        if owned:
            await app[SERVICES].close()

    app.cleanup_ctx.append(resources)
    add_routes(app)
    setup_pages(app)
    app.on_response_prepare.append(_security_headers)
    return app


def serving(app: web.Application) -> web.Application:
    """``app`` as a server process runs it: with its metrics address (scrape.py), and, once
    it has started, everything loaded so far (modules, models, templates, the CCR, the
    services: some 70,000 objects that live as long as the process) moved out of the
    garbage collector's sight, so a full collection
    takes microseconds instead of some 30 ms that every request in flight would wait out;
    and the youngest generation is collected every 20,000 allocations instead of 700, as a
    request makes thousands. (Tests build apps without it: their process collects as
    usual.)"""

    async def settle_heap(app: web.Application) -> None:
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)

    app.on_startup.append(settle_heap)  # after the services open (cleanup_ctx runs first)
    return with_metrics_address(app)


def with_metrics_address(app: web.Application) -> web.Application:
    """``app`` serving /metrics on the metrics address too, unless its port is 0."""
    if app[SETTINGS].metrics_port:
        app.cleanup_ctx.append(scrape.listener(app))
    return app


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer: never cached, never framed, never sniffed, no referrer; pages run no
    script but the hub's own files; in production, browsers told to use https only (HSTS,
    a year, subdomains too)."""
    if request.app[SETTINGS].mode == "production":
        response.headers.setdefault("Strict-Transport-Security",
                                    "max-age=31536000; includeSubDomains")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")

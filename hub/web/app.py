"""The aiohttp application factory (aiohttp-demos style): typed app keys, resources
opened and closed in cleanup_ctx, one error middleware."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import AsyncIterator, Mapping
from functools import partial

from aiohttp import web

from hub.adapters import senders_from_settings
from hub.adapters.base import Sender
from hub.build import Services, build_services
from hub.config import Settings, read_secret
from hub.escalation.alarm import EngineAlarm, RecoveryAlert
from hub.fhir import add_fhir_routes
from hub.fhir.middleware import fhir_routes
from hub.loops import Guard
from hub.services.engine import EngineWatch

from . import middleware, scrape
from .context import CONTENT_SECURITY_POLICY, GUARD, METRICS, SERVICES, SETTINGS, WATCH
from .pages import setup_pages
from .routes import add_routes

log = logging.getLogger(__name__)


async def check_durability(services: Services, settings: Settings) -> None:
    """A 201 must mean the write survives a crash: in production, refuse to start unless
    Redis appends every write to its AOF and fsyncs it."""
    durable, problem = await services.monitor.durable()
    if durable:
        return
    if settings.mode == "production":
        raise RuntimeError(f"refusing to start: {problem}")
    log.warning("dev mode: %s", problem)


async def check_replicas(services: Services, settings: Settings) -> None:
    """Say at start-up when changes will be refused for want of a replica to confirm
    them (HUB_REDIS_REPLICA_ACKS); they are accepted again once enough are connected."""
    if settings.replica_acks == 0:
        return
    connected = await services.monitor.replicas()
    if connected < settings.replica_acks:
        log.error("Redis has %d replica(s) connected and each change waits for %d to hold "
                  "it: changes are answered 503 until enough are connected (for a single-node "
                  "CCR set HUB_REDIS_REPLICA_ACKS=0; docs/operations.md)", connected,
                  settings.replica_acks)


def create_app(settings: Settings, services: Services | None = None, *,
               senders: Mapping[str, Sender] | None = None) -> web.Application:
    """The hub's app. ``senders`` are what its dead man's switch alerts through (by
    default, the adapters the settings configure)."""
    from hub.metrics import Metrics

    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[middleware.metrics, middleware.errors, fhir_routes, middleware.slow_bodies,
                     middleware.authenticate, middleware.audit],
        # a connection that has not sent a whole request's headers within the client
        # timeout (from its start, or from the answer before) is closed; after a body cut
        # off (slow_bodies) the rest is read for no longer than that either
        handler_args={"keepalive_timeout": settings.client_timeout,
                      "lingering_time": min(10.0, settings.client_timeout)})
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app[scrape.SCRAPE_TOKEN] = read_secret(settings.metrics_token_file) or ""
    app[GUARD] = Guard(stop=None)  # a real server's comes with serving()
    owned = services is None

    async def resources(app: web.Application) -> AsyncIterator[None]:
        app[SERVICES] = services or build_services(settings)
        await check_durability(app[SERVICES], settings)
        await check_replicas(app[SERVICES], settings)
        await app[SERVICES].tasks.prepare(app[SERVICES].clock.now())
        yield
        if owned:
            await app[SERVICES].close()

    app.cleanup_ctx.append(resources)
    app.cleanup_ctx.append(partial(watching, senders=senders))
    add_routes(app)
    add_fhir_routes(app)
    setup_pages(app)
    app.on_response_prepare.append(_security_headers)
    return app


async def watching(app: web.Application, *, senders: Mapping[str, Sender] | None
                   ) -> AsyncIterator[None]:
    """The dead man's switch, beside the app: it looks at the engine's heartbeats every
    few seconds for as long as the app runs (hub/services/engine.py), and alerts through
    the adapters (hub/escalation/alarm.py)."""
    settings, services = app[SETTINGS], app[SERVICES]
    adapters = senders if senders is not None else senders_from_settings(settings, services.push)
    alarm = EngineAlarm(ccr=services.ccr, clock=services.clock, senders=adapters,
                        base_url=settings.public_base_url)
    app[WATCH] = EngineWatch(engine=services.engine_health, tell=alarm.tell)
    services.grants.on_recovery = RecoveryAlert(
        ccr=services.ccr, clock=services.clock, senders=adapters,
        base_url=settings.public_base_url).tell
    stop = threading.Event()
    task = asyncio.create_task(_watch(app, stop))
    yield
    stop.set()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    for adapter in adapters.values() if senders is None else ():
        await adapter.close()


async def _watch(app: web.Application, stop: threading.Event) -> None:
    try:
        await app[WATCH].run(stop)
    except asyncio.CancelledError:
        raise
    except Exception as e:  # noqa: BLE001 - not an outage: this process must end
        app[GUARD].fail("the engine watch", e)


def failed(app: web.Application) -> bool:
    """Whether a loop of this app's process failed (its command then exits non-zero)."""
    return app[GUARD].failure is not None


def serving(app: web.Application, guard: Guard | None = None) -> web.Application:
    """``app`` as a server process runs it: with its metrics address (scrape.py) and its
    ``guard``, and, once it has started, everything loaded so far (modules, models,
    templates, the CCR, the services: some 70,000 objects that live as long as the process)
    moved out of the garbage collector's sight, so a full collection
    takes microseconds instead of some 30 ms that every request in flight would wait out;
    and the youngest generation is collected every 20,000 allocations instead of 700, as a
    request makes thousands. (Tests build apps without it: their process collects as
    usual.)"""

    async def settle_heap(app: web.Application) -> None:
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)

    app.on_startup.append(settle_heap)  # after the services open (cleanup_ctx runs first)
    if guard is not None:
        app[GUARD] = guard
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

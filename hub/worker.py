"""The background worker: RQ workers on the hub's queue, and the ticker (in a thread of
the same process) that hands due timers and deliveries to them. Jobs take ids only."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from functools import partial

from redis import Redis
from rq import Queue, SimpleWorker
from rq.timeouts import TimerDeathPenalty

from hub.config import Settings
from hub.escalation import runtime


def queue_name(settings: Settings) -> str:
    return f"{settings.key_prefix}-jobs"


def queue_for(settings: Settings, connection: Redis) -> Queue:
    return Queue(queue_name(settings), connection=connection)


def _tick_forever(settings: Settings, queue: Queue, stop: threading.Event) -> None:
    from hub.build import build_services
    from hub.escalation.ticker import Ticker

    async def go() -> None:
        services = build_services(settings)
        try:
            await asyncio.gather(
                Ticker(services.store, services.clock, queue, services.ladder,
                       lease=settings.timer_lease).run(stop),
                services.auditlog.run(stop))  # the audit log's sealer
        finally:
            await services.close()

    asyncio.run(go())


def _prepare(settings: Settings) -> tuple[Redis, Queue, threading.Event, threading.Thread]:
    """This process's engine for ``settings``, the queue, and a ticker thread (not started)
    with the event that stops it."""
    if settings.redis_url is None:
        raise ValueError("no Redis URL: set HUB_REDIS_URL or use 'hub run'")
    runtime.install(partial(runtime.engine_from_settings, settings))
    connection = Redis.from_url(settings.redis_url)
    queue = queue_for(settings, connection)
    stop = threading.Event()
    ticker = threading.Thread(target=_tick_forever, args=(settings, queue, stop),
                              name="ticker", daemon=True)
    return connection, queue, stop, ticker


def run_worker(settings: Settings, *, burst: bool = False, ticker: bool = True) -> bool:
    """Work the queue until stopped (or, with ``burst``, until it is empty). Unless
    ``ticker`` is off, a ticker thread claims due timers for the whole time."""
    connection, queue, stop, thread = _prepare(settings)
    ticking = ticker and not burst
    if ticking:
        thread.start()
    try:
        # Jobs run in this process (no fork per job), so they share one engine: its Redis
        # connection, verified rosters and mail and SMS sessions outlive a single job.
        return SimpleWorker([queue], connection=connection).work(burst=burst)
    finally:
        stop.set()
        if ticking:
            thread.join(5)
        runtime.reset()


class ThreadWorker(SimpleWorker):
    """An RQ worker on a thread of the dev web server, which keeps the signals for itself.
    It waits for jobs a second at a time so that it notices a stop request, and times jobs
    out with a timer thread instead of SIGALRM."""

    death_penalty_class = TimerDeathPenalty

    def __init__(self, *args, **kwargs):
        super().__init__(*args, worker_ttl=16, **kwargs)

    def _install_signal_handlers(self) -> None:
        pass

    def stop(self) -> None:
        self._stop_requested = True  # what RQ's own signal handler sets when idle


def start_beside_server(settings: Settings) -> Callable[[], None]:
    """Dev mode (`hub serve --with-worker`): the worker and the ticker on threads of this
    process. Returns the function that stops them."""
    connection, queue, stop, ticker = _prepare(settings)
    worker = ThreadWorker([queue], connection=connection)
    threads = [ticker, threading.Thread(target=worker.work, name="worker", daemon=True)]
    for thread in threads:
        thread.start()

    def halt() -> None:
        stop.set()
        worker.stop()
        for thread in threads:
            thread.join(5)
        runtime.reset()
        connection.close()

    return halt

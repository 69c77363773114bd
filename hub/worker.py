"""The background worker: RQ workers on the hub's queue, the ticker that hands due timers
and deliveries to them, and the audit log's sealer (each in a thread of the same process).
Jobs take ids only."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from functools import partial

from rq import Queue, SimpleWorker
from rq.timeouts import TimerDeathPenalty

from hub.config import Settings
from hub.escalation import runtime
from hub.store.connection import jobs_redis_at


def queue_name(settings: Settings) -> str:
    return f"{settings.key_prefix}-jobs"


def _tick_forever(settings: Settings, queue: Queue, stop: threading.Event) -> None:
    from hub.build import build_services
    from hub.escalation.ticker import Ticker

    async def go() -> None:
        services = build_services(settings)
        try:
            await Ticker(services.store, services.clock, queue, services.ladder,
                         lease=settings.timer_lease).run(stop)
        finally:
            await services.close()

    asyncio.run(go())


def _seal_forever(settings: Settings, stop: threading.Event) -> None:
    """The audit log's sealer, on a thread and loop of its own so it never delays a tick."""
    from hub.build import build_services

    async def go() -> None:
        services = build_services(settings)
        try:
            await services.auditlog.run(stop)
        finally:
            await services.close()

    asyncio.run(go())


def _prepare(settings: Settings) -> tuple[Queue, threading.Event, list[threading.Thread]]:
    """This process's engine for ``settings``, the queue, and the ticker and sealer
    threads (not started) with the event that stops them."""
    if settings.redis_url is None:
        raise ValueError("no Redis URL: set HUB_REDIS_URL or use 'hub run'")
    runtime.install(partial(runtime.engine_from_settings, settings))
    queue = Queue(queue_name(settings), connection=jobs_redis_at(settings.redis_url))
    stop = threading.Event()
    threads = [threading.Thread(target=_tick_forever, args=(settings, queue, stop),
                                name="ticker", daemon=True),
               threading.Thread(target=_seal_forever, args=(settings, stop), name="sealer",
                                daemon=True)]
    return queue, stop, threads


def run_worker(settings: Settings, *, burst: bool = False, ticker: bool = True) -> bool:
    """Work the queue until stopped (or, with ``burst``, until it is empty). Unless
    ``ticker`` is off, a ticker thread claims due timers for the whole time."""
    queue, stop, threads = _prepare(settings)
    ticking = ticker and not burst
    for thread in threads if ticking else ():
        thread.start()
    try:
        # Jobs run in this process (no fork per job), so they share one engine: its Redis
        # connection, verified rosters and mail and SMS sessions outlive a single job.
        return SimpleWorker([queue], connection=queue.connection).work(burst=burst)
    finally:
        stop.set()
        for thread in threads if ticking else ():
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
    queue, stop, threads = _prepare(settings)
    worker = ThreadWorker([queue], connection=queue.connection)
    threads.append(threading.Thread(target=worker.work, name="worker", daemon=True))
    for thread in threads:
        thread.start()

    def halt() -> None:
        stop.set()
        worker.stop()
        for thread in threads:
            thread.join(5)
        runtime.reset()
        queue.connection.close()

    return halt

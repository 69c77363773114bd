"""The background worker: RQ workers on the hub's queue, and the ticker (in a thread of
the same process) that hands due timers and deliveries to them. Jobs take ids only."""

from __future__ import annotations

import asyncio
import threading

from redis import Redis
from rq import Queue, SimpleWorker

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
            await Ticker(services.store, services.clock, queue, services.ladder,
                         lease=settings.timer_lease).run(stop)
        finally:
            await services.close()

    asyncio.run(go())


def run_worker(settings: Settings, *, burst: bool = False, ticker: bool = True) -> bool:
    """Work the queue until stopped (or, with ``burst``, until it is empty). Unless
    ``ticker`` is off, a ticker thread claims due timers for the whole time."""
    if settings.redis_url is None:
        raise ValueError("no Redis URL: set HUB_REDIS_URL or use 'hub run'")
    connection = Redis.from_url(settings.redis_url)
    queue = queue_for(settings, connection)
    stop = threading.Event()
    thread = None
    if ticker and not burst:
        thread = threading.Thread(target=_tick_forever, args=(settings, queue, stop),
                                  name="ticker", daemon=True)
        thread.start()
    try:
        # Jobs run in this process (no fork per job), so they share one engine: its Redis
        # connection, verified rosters and mail and SMS sessions outlive a single job.
        return SimpleWorker([queue], connection=connection).work(burst=burst)
    finally:
        stop.set()
        if thread is not None:
            thread.join(5)
        runtime.reset()

"""The background worker: an RQ worker on the hub's queue. Jobs (deadline checks and
notices) are plain functions that take ids only, never anything identifying."""

from __future__ import annotations

from redis import Redis
from rq import Queue, Worker

from hub.config import Settings


def queue_name(settings: Settings) -> str:
    return f"{settings.key_prefix}-jobs"


def run_worker(settings: Settings, *, burst: bool = False) -> bool:
    """Work the queue until stopped (or, with ``burst``, until it is empty)."""
    if settings.redis_url is None:
        raise ValueError("no Redis URL: set HUB_REDIS_URL or use 'hub run'")
    connection = Redis.from_url(settings.redis_url)
    worker = Worker([Queue(queue_name(settings), connection=connection)],
                    connection=connection)
    return worker.work(burst=burst, with_scheduler=not burst)

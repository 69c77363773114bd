"""How a job gets its engine. RQ runs plain functions in a worker process; each job opens
its own event loop and Redis connection, so the engine is built per job by a factory:
from the process settings by default, or one a test installs (with a fake clock and its
own channels)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TypeVar

from .engine import Engine

T = TypeVar("T")
EngineFactory = Callable[[], AbstractAsyncContextManager[Engine]]


@asynccontextmanager
async def engine_from_settings() -> AsyncIterator[Engine]:
    from hub.build import build_services
    from hub.config import load_settings

    from .channels import channels_from_settings

    settings = load_settings()
    services = build_services(settings)
    channels = channels_from_settings(settings)
    try:
        yield services.engine(channels, settings.public_base_url)
    finally:
        for adapter in channels.values():
            close = getattr(adapter, "close", None)
            if close is not None:
                await close()
        await services.close()


_factory: list[EngineFactory] = [engine_from_settings]


def install(factory: EngineFactory) -> None:
    _factory[0] = factory


def reset() -> None:
    _factory[0] = engine_from_settings


def run(work: Callable[[Engine], Awaitable[T]]) -> T:
    """Run one job's work on a fresh event loop (on its own thread if this one already
    runs a loop, as when a test works the queue in-process)."""
    async def go() -> T:
        async with _factory[0]() as engine:
            return await work(engine)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(go())
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result()

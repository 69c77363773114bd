"""How a job gets its engine. RQ runs plain functions; the engine (Redis connection, the
CCR, the verified rosters, the channel adapters) lives on one event loop per process, in a
thread of its own, built on the first job and reused by every later one. The factory is
built from the process settings by default; a test installs its own (fake clock, its own
channels). A forked child starts afresh: loops and threads do not survive a fork."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, TypeVar

from .engine import Engine

if TYPE_CHECKING:
    from hub.config import Settings

T = TypeVar("T")
EngineFactory = Callable[[], AbstractAsyncContextManager[Engine]]


@asynccontextmanager
async def engine_from_settings(settings: Settings | None = None) -> AsyncIterator[Engine]:
    """The engine for ``settings`` (by default, this process's)."""
    from hub.adapters import senders_from_settings
    from hub.build import build_services
    from hub.config import load_settings

    from .flood import FloodLimits

    settings = settings or load_settings()
    services = build_services(settings, lenient_replicas=True)
    senders = senders_from_settings(settings)
    try:
        yield services.engine(senders, settings.public_base_url, lease=settings.timer_lease,
                              limits=FloodLimits(settings.notice_limit_person,
                                                 settings.notice_limit_agency,
                                                 settings.notice_window))
    finally:
        for adapter in senders.values():
            await adapter.close()
        await services.close()


class _Runner:
    """One event loop thread and one engine for this process."""

    def __init__(self, factory: EngineFactory):
        self.factory = factory
        self.pid = os.getpid()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.context: AbstractAsyncContextManager[Engine] | None = None
        self.engine: Engine | None = None
        self.lock = threading.Lock()

    def _start(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="engine",
                                       daemon=True)
        self.thread.start()
        self.context = self.factory()
        self.engine = self._call(self.context.__aenter__())

    def _call(self, coro: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def run(self, work: Callable[[Engine], Awaitable[T]]) -> T:
        with self.lock:
            if self.loop is None:
                self._start()
        return self._call(work(self.engine))

    def close(self) -> None:
        if self.loop is None or self.pid != os.getpid():
            return
        try:
            self._call(self.context.__aexit__(None, None, None))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()
            self.loop = None


_runner = [_Runner(engine_from_settings)]


def install(factory: EngineFactory) -> None:
    _runner[0].close()
    _runner[0] = _Runner(factory)


def reset() -> None:
    install(engine_from_settings)


def run(work: Callable[[Engine], Awaitable[T]]) -> T:
    runner = _runner[0]
    if runner.pid != os.getpid():  # a forked child: the parent's loop thread is not here
        runner = _runner[0] = _Runner(runner.factory)
    return runner.run(work)

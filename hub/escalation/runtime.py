"""How a job gets its engine. RQ runs plain module-level functions (jobs.py) and can hand
them nothing but their arguments (ids), so the engine a process's jobs run on is installed
here by whatever starts the jobs: `hub worker` installs hub/build.py's engine_from_settings,
a test its own factory (fake clock, its own adapters). This module builds nothing itself; a
job in a process with no engine installed fails saying so.

The engine (Redis connection, the CCR, the verified rosters, the adapters) lives on one
event loop, in a thread of its own, made on the first job and reused by every later one. A
forked child starts afresh: loops and threads do not survive a fork."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

from .engine import Engine

T = TypeVar("T")
EngineFactory = Callable[[], AbstractAsyncContextManager[Engine]]


@dataclass(frozen=True)
class _Running:
    """An engine entered on its own event loop, which a thread runs."""

    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    context: AbstractAsyncContextManager[Engine]
    engine: Engine

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class EngineRunner:
    """One event loop thread and one engine for this process."""

    def __init__(self, factory: EngineFactory):
        self.factory = factory
        self.pid = os.getpid()
        self.running: _Running | None = None
        self.lock = threading.Lock()

    def _start(self) -> _Running:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="engine", daemon=True)
        thread.start()
        context = self.factory()
        try:
            engine = asyncio.run_coroutine_threadsafe(context.__aenter__(), loop).result()
        except BaseException:  # no engine: stop its loop, and the next job tries again
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()
            raise
        return _Running(loop, thread, context, engine)

    def run(self, work: Callable[[Engine], Coroutine[Any, Any, T]]) -> T:
        with self.lock:
            if self.running is None:
                self.running = self._start()
            running = self.running
        return running.call(work(running.engine))

    def close(self) -> None:
        running = self.running
        if running is None or self.pid != os.getpid():
            return
        try:
            running.call(running.context.__aexit__(None, None, None))
        finally:
            running.stop()
            self.running = None


_runner: EngineRunner | None = None  # this process's, once installed (see the docstring)


def install(factory: EngineFactory) -> None:
    """Run this process's jobs on the engine ``factory`` makes (closing any before)."""
    global _runner
    reset()
    _runner = EngineRunner(factory)


def reset() -> None:
    """Close this process's engine, if any; jobs then fail until one is installed."""
    global _runner
    if _runner is not None:
        _runner.close()
        _runner = None


async def _ready(engine: Engine) -> None:
    return None


def prepare() -> None:
    """Build this process's engine now (the CCR loaded, the adapters made), so the first
    rung a worker fires does not wait for it: with a CCR of thousands of people that is a
    second or more."""
    run(_ready)


def run(work: Callable[[Engine], Coroutine[Any, Any, T]]) -> T:
    global _runner
    if _runner is None:
        raise RuntimeError("no escalation engine in this process: jobs run in `hub worker` "
                           "(or wherever runtime.install was called)")
    if _runner.pid != os.getpid():  # a forked child: the parent's loop thread is not here
        _runner = EngineRunner(_runner.factory)
    return _runner.run(work)

"""Long-running loops that outlive Redis: the ticker, the sealer, the jobs, the RQ worker's
own loop and the web's watch on the engine.

Redis going away, for any length of time, is waited out: each loop retries with a capped,
jittered delay and carries on when Redis answers again. Anything else is a fault the loop
cannot handle, and it ends the whole process with a non-zero exit (`Guard`), so that a
supervisor starts a fresh one: a process never lives on with a dead loop."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from hub.store import TRANSIENT_ERRORS

if TYPE_CHECKING:
    from hub.clock import Clock
    from hub.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
FIRST, CAP = 0.1, 5.0  # seconds: the first retry's delay and the longest
EXIT_FAILED = 1  # a process whose loop failed ends with this
GRACE = 30.0  # seconds a failed process has to stop by itself before it is ended at once


@dataclass
class Backoff:
    """The delay before each retry: doubling from ``first`` up to ``cap``, each drawn at
    random from the upper half of its span, so loops that lost Redis together do not all
    come back in the same instant."""

    first: float = FIRST
    cap: float = CAP
    rand: random.Random = field(default_factory=random.Random)
    failures: int = 0
    waited: float = 0.0

    def next(self) -> float:
        ceiling = min(self.cap, self.first * 2 ** min(self.failures, 32))
        self.failures += 1
        delay = self.rand.uniform(ceiling / 2, ceiling)
        self.waited += delay
        return delay

    def reset(self) -> None:
        self.failures, self.waited = 0, 0.0


class Heartbeat:
    """A loop's heartbeat: records in Redis when ``loop`` last completed a cycle, at most
    once per ``every`` seconds (a write per tick would be an fsync per tick)."""

    def __init__(self, store: Store, clock: Clock, loop: str, every: float = 1.0):
        self._store = store
        self._clock = clock
        self._loop = loop
        self._every = every
        self._last = float("-inf")

    async def __call__(self) -> None:
        now = self._clock.now()
        if now - self._last >= self._every:
            await self._store.engine.beat(self._loop, now)
            self._last = now


def _waiting(name: str, error: Exception, backoff: Backoff, delay: float) -> None:
    """Say so the first time, then every tenth retry: an outage does not flood the log."""
    if backoff.failures == 1 or backoff.failures % 10 == 0:
        log.warning("%s: Redis is unavailable (%s); retry %d in %.1f s", name,
                    type(error).__name__, backoff.failures, delay)


def _back(name: str, backoff: Backoff) -> None:
    if backoff.failures:
        log.warning("%s: Redis answers again after %.1f s; carrying on", name, backoff.waited)
        backoff.reset()


async def _nap(stop: threading.Event, seconds: float) -> None:
    """Sleep ``seconds``, waking within half a second of ``stop``."""
    while seconds > 0 and not stop.is_set():
        step = min(seconds, 0.5)
        await asyncio.sleep(step)
        seconds -= step


async def keep_going(name: str, cycle: Callable[[], Awaitable[float]], stop: threading.Event,
                     *, done: Callable[[], Awaitable[None]] | None = None,
                     backoff: Backoff | None = None) -> None:
    """Run ``cycle`` until ``stop``: each returns how long to pause before the next, and
    ``done`` (the heartbeat) runs after each that completed. Redis being unavailable is
    waited out; any other error is raised to the caller (whose process must then end)."""
    backoff = backoff or Backoff()
    while not stop.is_set():
        try:
            pause = await cycle()
            if done is not None:
                await done()
        except TRANSIENT_ERRORS as e:
            delay = backoff.next()
            _waiting(name, e, backoff, delay)
            await _nap(stop, delay)
            continue
        _back(name, backoff)
        await _nap(stop, pause)


def _retry_after(name: str, error: Exception, backoff: Backoff,
                 give_up_after: float | None, stopping: Callable[[], bool]) -> float:
    """How long to wait before trying again after ``error`` (a Redis outage); raises it
    instead when out of time or asked to stop."""
    if stopping() or (give_up_after is not None and backoff.waited >= give_up_after):
        raise error
    delay = backoff.next()
    _waiting(name, error, backoff, delay)
    return delay


def hold(name: str, step: Callable[[], T], *, give_up_after: float | None = None,
         stopping: Callable[[], bool] = lambda: False, backoff: Backoff | None = None) -> T:
    """``step()``, tried again after each Redis outage until it gets through (for at most
    ``give_up_after`` seconds of waiting, or until ``stopping()``: then the outage's error
    is raised). Any other error is raised at once."""
    backoff = backoff or Backoff()
    while True:
        try:
            result = step()
        except TRANSIENT_ERRORS as e:
            time.sleep(_retry_after(name, e, backoff, give_up_after, stopping))
            continue
        _back(name, backoff)
        return result


async def hold_async(name: str, step: Callable[[], Awaitable[T]], *,
                     give_up_after: float | None = None) -> T:
    """`hold` for a coroutine: ``await step()`` until it gets through."""
    backoff = Backoff()
    while True:
        try:
            result = await step()
        except TRANSIENT_ERRORS as e:
            await asyncio.sleep(_retry_after(name, e, backoff, give_up_after, lambda: False))
            continue
        _back(name, backoff)
        return result


def _terminate_this_process() -> None:
    """SIGTERM to this process, which `hub worker` and `hub serve` take as a request to
    stop (their commands then exit non-zero); a process that has not ended GRACE seconds
    later is ended at once."""
    last_resort = threading.Timer(GRACE, os._exit, (EXIT_FAILED,))
    last_resort.daemon = True
    last_resort.start()
    os.kill(os.getpid(), signal.SIGTERM)


class Guard:
    """What a process does when one of its loops fails: log it, remember the first
    failure, and stop the process (by default `_terminate_this_process`). ``Guard(stop=None)``
    only logs and remembers (a hub inside a test)."""

    def __init__(self, *, stop: Callable[[], None] | None = _terminate_this_process):
        self.failure: str | None = None
        self._stop = stop
        self._lock = threading.Lock()

    def note(self, name: str, error: BaseException | str) -> bool:
        """Log and remember a failure (the first one only); whether it was the first."""
        with self._lock:
            if self.failure is not None:
                return False
            self.failure = f"{name} failed: {error}"
        detail = error if isinstance(error, BaseException) else None
        log.critical("%s failed; ending this process so that its supervisor starts it "
                     "again: %s", name, error, exc_info=detail)
        return True

    def fail(self, name: str, error: BaseException | str) -> None:
        """Note the failure and stop the process."""
        if self.note(name, error) and self._stop is not None:
            self._stop()


def guarded_thread(guard: Guard, name: str, target: Callable[[], object],
                   stop: threading.Event) -> threading.Thread:
    """A thread running ``target`` until ``stop``; if it raises, or returns (whatever it
    returns) before ``stop`` was set, ``guard`` ends the process."""
    def run() -> None:
        try:
            target()
        except BaseException as e:  # noqa: BLE001 - whatever it was, the process must end
            guard.fail(name, e)
            return
        if not stop.is_set():
            guard.fail(name, "it stopped on its own")

    return threading.Thread(target=run, name=name, daemon=True)

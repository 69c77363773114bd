"""The loops' rules (hub/loops.py): a Redis outage is waited out with a capped, jittered
delay and the loop carries on; anything else is raised, and a thread that dies takes its
process down. (tests/faults/ shows the same with real processes and a real Redis killed.)"""

from __future__ import annotations

import asyncio
import random
import threading

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from hub.loops import Backoff, Guard, guarded_thread, hold, keep_going


def test_the_retry_delay_doubles_up_to_its_cap_and_is_never_the_same_twice() -> None:
    backoff = Backoff(first=0.1, cap=5.0, rand=random.Random(7))
    delays = [backoff.next() for _ in range(12)]
    ceilings = [min(5.0, 0.1 * 2 ** n) for n in range(12)]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True)), delays
    assert max(delays) <= 5.0 and delays[-1] >= 2.5  # capped, and it got there
    assert len({round(d, 6) for d in delays[-5:]}) == 5, "capped delays must still jitter"
    assert backoff.waited == pytest.approx(sum(delays))
    backoff.reset()
    assert backoff.next() <= 0.1


async def test_a_loop_waits_out_an_outage_then_carries_on_with_its_heartbeat() -> None:
    stop, outcomes, beats = threading.Event(), [], []
    failures = iter([RedisConnectionError("refused"), RedisTimeoutError("stalled"),
                     RedisConnectionError("refused")])

    async def cycle() -> float:
        error = next(failures, None)
        if error is not None:
            outcomes.append(type(error).__name__)
            raise error
        outcomes.append("ok")
        if outcomes.count("ok") == 3:
            stop.set()
        return 0.0

    async def beat() -> None:
        beats.append(len(outcomes))

    await asyncio.wait_for(keep_going("test", cycle, stop, done=beat,
                                      backoff=Backoff(first=0.01, cap=0.02)), 5)
    assert outcomes == ["ConnectionError", "TimeoutError", "ConnectionError", "ok", "ok", "ok"]
    assert beats == [4, 5, 6], "a heartbeat after each completed cycle, none after a failure"


async def test_a_loop_raises_what_is_not_an_outage() -> None:
    async def cycle() -> float:
        raise ResponseError("WRONGTYPE Operation against a key holding the wrong kind")

    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await asyncio.wait_for(keep_going("test", cycle, threading.Event()), 5)


def test_hold_retries_a_step_through_an_outage_and_gives_up_when_asked() -> None:
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RedisConnectionError("refused")
        return "done"

    assert hold("test", flaky, backoff=Backoff(first=0.001, cap=0.002)) == "done"
    assert len(calls) == 3

    def down() -> str:
        raise RedisConnectionError("refused")

    with pytest.raises(RedisConnectionError):
        hold("test", down, give_up_after=0.01, backoff=Backoff(first=0.005, cap=0.005))
    with pytest.raises(RedisConnectionError):
        hold("test", down, stopping=lambda: True)
    with pytest.raises(ValueError):
        hold("test", lambda: int("x"))


def test_a_thread_that_dies_stops_its_process_once() -> None:
    stopped = []
    guard = Guard(stop=lambda: stopped.append(1))
    stop = threading.Event()

    def broken() -> None:
        raise ResponseError("WRONGTYPE")

    threads = [guarded_thread(guard, "ticker", broken, stop),
               guarded_thread(guard, "sealer", broken, stop)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert stopped == [1], "the process is asked to stop once, whichever thread died first"
    assert guard.failure is not None and "WRONGTYPE" in guard.failure


def test_a_guard_that_stops_in_its_own_way_never_ends_the_process_later() -> None:
    """Ending the process at once when it outstays its grace belongs to the default stop
    (a SIGTERM to itself); a guard given its own stop (a test's) leaves no timer behind
    that would end, a while later, whatever process it ran in."""
    before = set(threading.enumerate())
    guard = Guard(stop=lambda: None)
    guard.fail("ticker", "it broke")
    armed = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert armed == [], f"a timer is left to end this process: {armed}"


def test_a_thread_that_returns_before_it_was_stopped_counts_as_failed() -> None:
    guard = Guard(stop=None)
    thread = guarded_thread(guard, "sealer", lambda: None, threading.Event())
    thread.start()
    thread.join(5)
    assert guard.failure == "sealer failed: it stopped on its own"
    stop = threading.Event()
    stop.set()
    calm = Guard(stop=None)
    thread = guarded_thread(calm, "sealer", lambda: None, stop)
    thread.start()
    thread.join(5)
    assert calm.failure is None

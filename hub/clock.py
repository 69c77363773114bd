"""The only place the hub reads the wall clock. Everything else takes a Clock or a ``now``."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch, UTC."""


class SystemClock:
    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock tests move by hand: deadlines fall due without sleeping."""

    def __init__(self, start: float = 1_800_000_000.0):
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, when: float) -> None:
        self._now = float(when)


def monotonic() -> float:
    """Seconds on a clock that never goes back, for measuring intervals in this process."""
    return time.monotonic()


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def iso(ts: float) -> str:
    return utc(ts).strftime("%Y-%m-%dT%H:%M:%SZ")

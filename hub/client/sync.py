"""A synchronous face for scripts and EHR integration code: the same methods as the async
classes, each run to completion on a private event loop."""

from __future__ import annotations

import asyncio
import functools
import inspect
from typing import Any


class Blocking:
    """Wraps an object whose coroutine methods become plain blocking calls."""

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop | None = None):
        self._target = target
        self._loop = loop or asyncio.new_event_loop()

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not inspect.iscoroutinefunction(value):
            return value

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            return self._loop.run_until_complete(value(*args, **kwargs))

        return call

    def close(self) -> None:
        api = getattr(self._target, "api", self._target)
        self._loop.run_until_complete(api.close())
        self._loop.close()

    def __enter__(self) -> Blocking:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

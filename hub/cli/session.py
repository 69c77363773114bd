"""Opening a session with the hub from the command line: the signed-in API, or the whole
device (API, keys, pinned trust) whose verified rosters are saved back afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from hub.client import Agent, HubApi

from .home import Home

T = TypeVar("T")
HOME: list[Path | None] = [None]  # set from --home by main()


def home() -> Home:
    return Home.default(HOME[0])


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@asynccontextmanager
async def api_session() -> AsyncIterator[HubApi]:
    url, token = home().login()
    api = HubApi(url, token)
    try:
        yield api
    finally:
        await api.close()


@asynccontextmanager
async def agent_session() -> AsyncIterator[Agent]:
    where = home()
    device, trust = where.device(), where.trust()
    async with api_session() as api:
        agent = Agent(api, device, trust)
        try:
            yield agent
        finally:
            where.save_trust(agent.trust)

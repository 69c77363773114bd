"""Opening a session with the hub from the command line: the signed-in API, or the whole
device (API, keys, pinned trust) whose verified rosters are saved back afterwards. Each
takes the --home the command was given (None: HUB_HOME, else ~/.ccr-hub)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from hub.client import Agent, HubApi
from hub.crypto import DeviceIdentity

from .home import Home
from .problems import EXIT_REFUSED, Problem

T = TypeVar("T")
CONTENT_ROLES = frozenset({"sender", "point_person", "backup"})


def home(given: Path | None) -> Home:
    return Home.default(given)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@asynccontextmanager
async def api_session(given: Path | None) -> AsyncIterator[HubApi]:
    url, token = home(given).login()
    api = HubApi(url, token)
    try:
        yield api
    finally:
        await api.close()


async def _device(where: Home, api: HubApi) -> DeviceIdentity:
    """This computer's device; for someone whose roles never read content (a coordinator),
    that, rather than how to make a device they would have no use for."""
    if not where.device_key.exists():
        me = await api.me()
        if not CONTENT_ROLES & set(me.roles):
            who = "coordinators see" if "coordinator" in me.roles else \
                f"your roles ({', '.join(me.roles)}) give you"
            raise Problem(f"{who} a referral's metadata only, never its content: 'hub status "
                          "ID' shows what you may see", EXIT_REFUSED, kind="metadata_only")
    return where.device()


@asynccontextmanager
async def agent_session(given: Path | None) -> AsyncIterator[Agent]:
    where = home(given)
    async with api_session(given) as api:
        agent = Agent(api, await _device(where, api), where.trust(), cases=where.cases())
        try:
            yield agent
        finally:
            where.save_trust(agent.trust)
            where.save_cases(agent.cases)


async def zones(api: HubApi) -> dict[str, str]:
    """Each agency's time zone: times are shown in the receiving agency's."""
    return {a.id: a.timezone for a in await api.agencies()}

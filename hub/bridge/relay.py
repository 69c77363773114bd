"""Keeping the EHR informed: every few seconds the bridge looks at the hub's Tasks its
agency sent that changed (a search by requester and _lastUpdated) and, when the EHR has a
FHIR base configured, writes each new version back to it as a Task update. Between looks
the EHR may poll the bridge itself. A look that fails (the hub or the EHR away) is tried
again at the next one; a Task not yet written back stays owed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from hub.client.errors import HubApiError

from .core import Bridge

log = logging.getLogger(__name__)


@dataclass
class Relay:
    bridge: Bridge
    ehr_base_url: str | None
    session: aiohttp.ClientSession
    owed: dict[str, dict[str, Any]] = field(default_factory=dict)  # rid -> Task to write

    async def once(self) -> int:
        """One look: the Tasks written back to the EHR now."""
        for task in await self.bridge.follow():
            self.owed[task["id"]] = task
        if self.ehr_base_url is None:
            self.owed.clear()  # the EHR polls the bridge instead
            return 0
        told = 0
        for rid, task in list(self.owed.items()):
            url = f"{self.ehr_base_url.rstrip('/')}/Task/{rid}"
            async with self.session.put(url, json=task, headers={
                    "Content-Type": "application/fhir+json"}) as r:
                if r.status >= 300:
                    log.warning("the EHR answered %s to a Task update; trying again later",
                                r.status)
                    continue
            del self.owed[rid]
            told += 1
        return told

    async def run(self, every: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.once()
            except (HubApiError, aiohttp.ClientError, TimeoutError) as e:
                log.warning("could not follow the hub's Tasks (%s); trying again",
                            type(e).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

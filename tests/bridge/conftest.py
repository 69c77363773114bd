"""A bridge in front of a running hub: the device of Mercy's EHR integration person, the
agency roots pinned, and the bridge's FHIR endpoint served on loopback for a synthetic EHR."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient

from hub.bridge.app import create_bridge_app
from hub.bridge.core import Bridge
from hub.client.agent import Agent
from hub.client.api import HubApi
from tests.conftest import Hub


@dataclass
class Bridged:
    hub: Hub
    bridge: Bridge
    ehr: TestClient  # the EHR's client of the bridge


@pytest.fixture
async def bridged(hub, aiohttp_client) -> Bridged:
    me = hub.world.members["mercy-ehr"]
    api = HubApi(str(hub.client.make_url("")), me.token)
    agent = Agent(api, me.device, hub.world.trust(), clock=hub.clock.now)
    bridge = Bridge(agent, hub.clock.now)
    ehr = await aiohttp_client(create_bridge_app(bridge))
    yield Bridged(hub, bridge, ehr)
    await api.close()

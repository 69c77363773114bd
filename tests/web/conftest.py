"""A running hub over HTTP (pytest-aiohttp) on a real Redis, with the example CCR installed:
roots registered, rosters published, a token for everyone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from hub.build import Services, build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.sandbox import World, install_world, make_world
from hub.store import Store
from hub.web.app import create_app

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example"


@dataclass
class Hub:
    client: TestClient
    services: Services
    world: World
    store: Store
    clock: FakeClock


@pytest.fixture
async def hub(aiohttp_client, store: Store, clock: FakeClock, redis_url: str) -> Hub:
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE, max_body_bytes=2 * 1024 * 1024)
    services = build_services(settings, store=store, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    client = await aiohttp_client(create_app(settings, services))
    return Hub(client, services, world, store, clock)

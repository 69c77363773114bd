"""A server process settles its start-up heap: what it loaded before serving is moved out
of the garbage collector's sight, so a full collection no longer stalls every request in
flight for tens of milliseconds (bench.submit's p99 shows it)."""

from __future__ import annotations

import gc

from hub.build import build_services
from hub.config import Settings
from hub.web.app import create_app, serving
from tests.conftest import EXAMPLE


async def test_a_serving_process_moves_its_start_up_heap_out_of_the_collectors_sight(
        aiohttp_client, store, clock, redis_url) -> None:
    before = gc.get_threshold()
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE)
    app = serving(create_app(settings, build_services(settings, store=store, clock=clock)))
    client = await aiohttp_client(app)
    try:
        assert gc.get_freeze_count() > 10_000  # the modules, models, templates, the CCR
        assert gc.get_threshold()[0] == 20_000
        assert (await client.get("/healthz")).status == 200
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)

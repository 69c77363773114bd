"""Issue 17, 4: /metrics names agencies (hub_inbox_depth{agency=...}) and routes, so
polling it showed a referral arriving at a shelter as it happened. The figures are served
on a listen address of their own (loopback by default), and on the API's address only to
the holder of the scrape token."""

from __future__ import annotations

import socket

import aiohttp

from hub.config import Settings
from hub.web import app as web_app
from hub.web.app import create_app
from tests.conftest import EXAMPLE

from .conftest import submit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _a_referral_arrives(hub) -> None:
    await submit(hub)


async def test_anyone_on_the_api_address_learns_nothing_from_metrics(hub) -> None:
    await _a_referral_arrives(hub)
    r = await hub.client.get("/metrics")
    text = await r.text()
    assert r.status == 404 and "hub_inbox_depth" not in text and "harbor-house" not in text
    assert (await r.json())["error"]["code"] == "not_found"


async def test_the_scrape_token_opens_metrics_on_the_api_address(hub, aiohttp_client,
                                                                 redis_url, tmp_path) -> None:
    secret = tmp_path / "scrape-token"
    secret.write_text("s3cret-scrape-token\n")
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE, metrics_token_file=secret)
    client = await aiohttp_client(create_app(settings, hub.services))
    await _a_referral_arrives(hub)
    for wrong in ({}, {"Authorization": "Bearer not-it"}):
        r = await client.get("/metrics", headers=wrong)
        assert r.status == 401 and "hub_inbox_depth" not in await r.text()
    r = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert r.status == 200 and 'hub_inbox_depth{agency="harbor-house"} 1.0' in await r.text()


async def test_the_metrics_address_serves_every_series(hub, aiohttp_client, redis_url) -> None:
    port = free_port()
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE, metrics_port=port)
    api = await aiohttp_client(web_app.with_metrics_address(create_app(settings,
                                                                       hub.services)))
    await _a_referral_arrives(hub)
    async with aiohttp.ClientSession() as session, \
            session.get(f"http://127.0.0.1:{port}/metrics") as r:
        text = await r.text()
    assert r.status == 200 and 'hub_inbox_depth{agency="harbor-house"} 1.0' in text
    assert (await api.get("/metrics")).status == 404  # and not on the API's address

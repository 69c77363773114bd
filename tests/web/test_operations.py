"""Operations: health, Prometheus figures without identifying labels, the OpenAPI document
generated from the validating models, the durability check at start-up, request ids."""

from __future__ import annotations

import logging

import pytest

from hub.config import Settings
from hub.web.app import check_durability, create_app
from tests.conftest import EXAMPLE

DEST, TYPE = "harbor-house", "discharge-handoff"


async def test_healthz_checks_redis(hub) -> None:
    r = await hub.client.get("/healthz")
    doc = await r.json()
    assert r.status == 200 and (doc["status"], doc["redis"]) == ("ok", "ok")


async def test_metrics_count_requests_and_inbox_depth(hub, aiohttp_client, redis_url,
                                                      tmp_path) -> None:
    token = tmp_path / "scrape-token"
    token.write_text("scrape")
    scraper = await aiohttp_client(create_app(Settings(
        redis_url=redis_url, ccr_dir=EXAMPLE, metrics_token_file=token), hub.services))
    w = hub.world
    nurse = w.first("mercy-hospital", "sender")
    sealed = w.seal_referral(nurse, DEST, TYPE, b"{}")
    await scraper.post("/v1/referrals", json=w.submit_body(sealed, DEST, TYPE),
                       headers=nurse.auth)
    text = await (await scraper.get("/metrics", headers={"Authorization": "Bearer scrape"})).text()
    assert 'hub_inbox_depth{agency="harbor-house"} 1.0' in text
    assert 'hub_submissions_total{outcome="created"} 1.0' in text
    assert 'hub_requests_total{code="201",route="referral.submit"} 1.0' in text
    assert sealed.header.envelope_id.hex() not in text
    assert nurse.person not in text


async def test_openapi_lists_every_route_with_its_schemas(hub) -> None:
    doc = await (await hub.client.get("/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    submit = doc["paths"]["/v1/referrals"]["post"]
    ref = submit["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"envelope", "consent"}
    assert schema["additionalProperties"] is False
    assert "/v1/referrals/{rid}/acknowledge" in doc["paths"]


async def test_every_response_carries_the_hubs_own_request_id(hub) -> None:
    for theirs in ("abc123", "has spaces and <angle> brackets", "x" * 200):
        r = await hub.client.get("/healthz", headers={"X-Request-Id": theirs})
        ours = r.headers["X-Request-Id"]
        assert ours != theirs and len(ours) == 16 and int(ours, 16) >= 0


async def test_production_refuses_redis_without_fsync(hub, caplog) -> None:
    appendonly = (await hub.store.redis.config_get("appendonly"))["appendonly"]
    fsync = (await hub.store.redis.config_get("appendfsync"))["appendfsync"]
    if appendonly == "yes" and fsync == "always":
        pytest.skip("this Redis is durable; the refusal cannot be shown against it")
    with pytest.raises(RuntimeError, match="appendfsync always"):
        await check_durability(hub.services, Settings(mode="production"))
    caplog.set_level(logging.WARNING)
    await check_durability(hub.services, Settings(mode="dev"))
    assert "dev mode" in caplog.text

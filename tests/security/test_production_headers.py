"""Issue 17, 12: in production every answer carries HSTS, the session cookie has the
__Host- prefix (Secure, this host only, path /: a sibling subdomain cannot plant or read it;
dev over plain http keeps working without it), and HUB_TRUSTED_PROXIES lets the failed
sign-in limit see the real client behind a reverse proxy instead of the proxy."""

from __future__ import annotations

import secrets

import pytest

from hub.config import Settings
from hub.web import app as web_app
from hub.web.app import create_app
from tests.conftest import EXAMPLE


@pytest.fixture
def durable_enough(monkeypatch) -> None:
    async def durable(services, settings) -> None:
        return None  # the test Redis does not fsync every write; production refuses that
    monkeypatch.setattr(web_app, "check_durability", durable)


async def _client(hub, aiohttp_client, redis_url, **settings):
    return await aiohttp_client(create_app(
        Settings(redis_url=redis_url, ccr_dir=EXAMPLE, **settings), hub.services))


async def test_production_answers_tell_browsers_to_use_https_only(
        hub, aiohttp_client, redis_url, durable_enough) -> None:
    production = await _client(hub, aiohttp_client, redis_url, mode="production")
    for path in ("/healthz", "/signin", "/v1/inbox"):
        r = await production.get(path)
        assert r.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in (await hub.client.get("/healthz")).headers


async def test_the_production_session_cookie_is_host_prefixed_and_works(
        hub, aiohttp_client, redis_url, durable_enough) -> None:
    production = await _client(hub, aiohttp_client, redis_url, mode="production")
    form = await production.get("/signin")
    csrf = form.cookies["ccr_signin"].value
    r = await production.post("/signin", allow_redirects=False, cookies={"ccr_signin": csrf},
                              data={"csrf": csrf, "next": "/dashboard",
                                    "token": hub.world.members["ccr-coordinator"].token})
    assert r.status == 303
    cookie = r.cookies["__Host-ccr_session"]
    assert cookie["secure"] and cookie["path"] == "/" and not cookie["domain"]
    assert "ccr_session" not in r.cookies
    signed_in = {"Cookie": f"__Host-ccr_session={cookie.value}"}
    assert (await production.get("/v1/agencies", headers=signed_in)).status == 200
    assert (await production.get("/dashboard", headers=signed_in,
                                 allow_redirects=False)).status == 200
    plain = {"Cookie": f"ccr_session={cookie.value}"}  # without the prefix: not the session
    assert (await production.get("/v1/agencies", headers=plain)).status == 401


async def _fail(client, forwarded: str) -> int:
    r = await client.get("/v1/inbox", headers={
        "X-Forwarded-For": forwarded,
        "Authorization": f"Bearer ccr_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"})
    return r.status


async def test_behind_a_trusted_proxy_the_limit_counts_the_real_client(
        hub, aiohttp_client, redis_url) -> None:
    proxied = await _client(hub, aiohttp_client, redis_url, trusted_proxies="127.0.0.1")
    first = [await _fail(proxied, "198.51.100.7, 203.0.113.5") for _ in range(21)]
    assert first == [401] * 20 + [429]  # 203.0.113.5 is the client the proxy heard
    assert await _fail(proxied, "203.0.113.6") == 401  # another client, its own allowance
    assert await _fail(proxied, "10.9.9.9, 203.0.113.5") == 429  # a forged hop changes nothing
    events = [e for e in await hub.store.audit.events() if e.action == "auth"]
    assert {e.client for e in events} == {"203.0.113.5", "203.0.113.6"}


async def test_without_trust_a_forwarded_for_header_is_ignored(hub) -> None:
    answers = [await _fail(hub.client, f"203.0.113.{i}") for i in range(21)]
    assert answers == [401] * 20 + [429]
    events = [e for e in await hub.store.audit.events() if e.action == "auth"]
    assert {e.client for e in events} == {"127.0.0.1"}

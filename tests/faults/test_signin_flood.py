"""A thousand failed sign-ins, against one account (one token id with wrong secrets) and
across many, from one client address and from many: past 20 failures in five minutes a
scope is answered 429 with Retry-After, the real owner still signs in every time, and every
single failed attempt is in the audit log: each up to the limit as an event of its own, the
rest as one event per client address and window with their count.

The hub counts failures per peer address (hub/web/middleware.py `client_address` is the
TCP peer, `request.remote`; X-Forwarded-For is not read), so "many addresses" here are real
ones: the clients bind to 127.0.0.2, 127.0.0.3, ... (all loopback on Linux). A test also
shows that a forged X-Forwarded-For does not get an attacker a fresh allowance."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp
import pytest

from hub.services.tokens import FAILURE_LIMIT, FAILURE_WINDOW
from hub.web.context import SESSION_COOKIE

ATTEMPTS = 1000
OWNER = "harbor-intake"


def address(i: int) -> str:
    return f"127.0.{i // 250 + 1}.{i % 250 + 2}"


@asynccontextmanager
async def client_from(source: str) -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session


def wrong_secret(token_id: str) -> str:
    return f"ccr_{token_id}_{secrets.token_urlsafe(32)}"


def someone_else() -> str:
    return wrong_secret(secrets.token_hex(8))


async def _get(hub, session: aiohttp.ClientSession, token: str | None,
               headers: dict[str, str] | None = None) -> tuple[int, str | None, str]:
    bearer = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with session.get(hub.client.make_url("/v1/agencies"),
                           headers={**bearer, **(headers or {})}) as r:
        body = await r.json()
        code = body["error"]["code"] if r.status >= 400 else "ok"
        return r.status, r.headers.get("Retry-After"), code


async def flood(hub, tokens: Callable[[int], str | None], sources: Callable[[int], str],
                headers: Callable[[int], dict[str, str]] = lambda i: {}) -> list[tuple]:
    """ATTEMPTS failed sign-ins, 20 in flight at a time, the i-th with token ``tokens(i)``
    from address ``sources(i)``; returns each answer (status, Retry-After, code) in order."""
    in_flight = asyncio.Semaphore(20)

    async def attempt(i: int) -> tuple:
        async with in_flight, client_from(sources(i)) as session:
            return await _get(hub, session, tokens(i), headers(i))

    return list(await asyncio.gather(*(attempt(i) for i in range(ATTEMPTS))))


async def owner_signs_in(hub, *sources: str) -> None:
    owner = hub.world.members[OWNER]
    for source in sources:
        async with client_from(source) as session:
            assert await _get(hub, session, owner.token) == (200, None, "ok"), source


async def failed_signins_audited(hub) -> int:
    """Failed sign-ins in the audit log, once the windows they fell in are over."""
    hub.clock.advance(FAILURE_WINDOW)
    await hub.store.audit.release_tallies(hub.clock.now())
    events = [e for e in await hub.store.audit.events() if e.action == "auth"]
    return sum(1 if e.outcome == "denied" else e.count for e in events)


def assert_limited(answers: list[tuple]) -> None:
    """Some 401s, then 429s with Retry-After: 300, and nothing else."""
    counts = Counter(status for status, _, _ in answers)
    assert set(counts) == {401, 429}, counts
    assert FAILURE_LIMIT <= counts[401] < FAILURE_LIMIT + 20, counts  # 20 in flight at once
    assert {(ra, code) for status, ra, code in answers if status == 429} == {
        ("300", "rate_limited")}
    assert {code for status, _, code in answers if status == 401} == {"unauthorized"}


@pytest.fixture
def owner_id(hub) -> str:
    return hub.world.members[OWNER].token.split("_")[1]


async def test_one_account_from_one_address(hub, owner_id) -> None:
    before = await failed_signins_audited(hub)
    answers = await flood(hub, lambda i: wrong_secret(owner_id), lambda i: "127.0.0.2")
    assert_limited(answers)
    await owner_signs_in(hub, "127.0.0.2", "127.0.0.3")
    assert await failed_signins_audited(hub) - before == ATTEMPTS


async def test_one_account_from_many_addresses(hub, owner_id) -> None:
    """The token id's own count limits it, wherever the guesses come from."""
    before = await failed_signins_audited(hub)
    answers = await flood(hub, lambda i: wrong_secret(owner_id), lambda i: address(i % 200))
    assert_limited(answers)
    await owner_signs_in(hub, address(0), address(199), "127.0.9.9")
    assert await failed_signins_audited(hub) - before == ATTEMPTS


async def test_many_accounts_from_one_address(hub) -> None:
    """The address's own count limits it, whatever tokens it tries."""
    before = await failed_signins_audited(hub)
    answers = await flood(hub, lambda i: someone_else(), lambda i: "127.0.0.2")
    assert_limited(answers)
    await owner_signs_in(hub, "127.0.0.2")
    assert await failed_signins_audited(hub) - before == ATTEMPTS


async def test_many_accounts_from_many_addresses_are_all_refused_and_audited(hub) -> None:
    """Spread thinner than the limit, nothing is rate-limited: every guess is a plain 401
    (a 256-bit secret is not guessed a thousand at a time) and each one is audited."""
    before = await failed_signins_audited(hub)
    answers = await flood(hub, lambda i: someone_else(), address)
    assert {a[:1] for a in answers} == {(401,)}
    await owner_signs_in(hub, address(0))
    assert await failed_signins_audited(hub) - before == ATTEMPTS


async def test_a_forged_forwarded_for_header_gets_no_fresh_allowance(hub) -> None:
    before = await failed_signins_audited(hub)
    answers = await flood(hub, lambda i: someone_else(), lambda i: "127.0.0.2",
                          lambda i: {"X-Forwarded-For": address(i), "X-Real-IP": address(i)})
    assert_limited(answers)
    assert await failed_signins_audited(hub) - before == ATTEMPTS


async def test_made_up_session_cookies_are_refused_and_audited(hub) -> None:
    before = await failed_signins_audited(hub)
    answers = await flood(hub, lambda i: None, lambda i: "127.0.0.2",
                          lambda i: {"Cookie": f"{SESSION_COOKIE}={secrets.token_urlsafe(32)}"})
    assert {a[0] for a in answers} <= {401, 429}
    await owner_signs_in(hub, "127.0.0.2")
    assert await failed_signins_audited(hub) - before == ATTEMPTS

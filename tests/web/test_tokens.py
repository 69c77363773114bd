"""API tokens: shown once, stored only as a hash; failed sign-ins are rate-limited per
client address without locking out the real owner; revocation takes effect at once."""

from __future__ import annotations

import asyncio

from hub.services.tokens import TokenService
from tests.support.redis_scan import dump_values

DEST, TYPE = "harbor-house", "discharge-handoff"


async def test_token_secret_is_never_stored(hub) -> None:
    values = await dump_values(hub.store.redis, hub.store.keys.prefix)
    for member in hub.world.members.values():
        secret = member.token.split("_", 2)[2].encode()
        assert not [k for k, v in values.items() if secret in v]


async def test_many_failures_are_throttled_but_the_owner_still_signs_in(hub) -> None:
    nurse = hub.world.first("mercy-hospital", "sender")
    token_id = nurse.token.split("_")[1]
    wrong = {"Authorization": f"Bearer ccr_{token_id}_{'A' * 43}"}
    codes = [(await hub.client.get("/v1/inbox", headers=wrong)).status for _ in range(25)]
    assert codes[:20] == [401] * 20 and codes[20:] == [429] * 5
    r = await hub.client.get("/v1/inbox", headers=wrong)
    assert r.headers["Retry-After"] == "300"
    r = await hub.client.get("/v1/outbox", headers=nurse.auth)
    assert r.status == 200
    hub.clock.advance(300)  # the window is over: its tally becomes one event
    await hub.store.audit.release_tallies(hub.clock.now())
    refused = [e for e in await hub.store.audit.events() if e.action == "auth"]
    assert [e.outcome for e in refused] == ["denied"] * 20 + ["rate_limited"]
    assert refused[-1].count == 6


async def test_simultaneous_guesses_do_not_slip_past_the_limit(hub) -> None:
    wrong = {"Authorization": f"Bearer ccr_{'0' * 16}_{'A' * 43}"}
    answers = await asyncio.gather(*(hub.client.get("/v1/inbox", headers=wrong)
                                     for _ in range(60)))
    codes = sorted(r.status for r in answers)
    assert codes == [401] * 20 + [429] * 40


async def test_revoked_token_stops_working_at_once(hub) -> None:
    nurse = hub.world.first("mercy-hospital", "sender")
    assert (await hub.client.get("/v1/outbox", headers=nurse.auth)).status == 200
    assert await hub.services.tokens.revoke(nurse.token.split("_")[1])
    assert (await hub.client.get("/v1/outbox", headers=nurse.auth)).status == 401


async def _records(hub) -> dict[bytes, bytes]:
    """Everything but the audit intake and the failed sign-in counters."""
    keys = hub.store.keys
    return {k: v for k, v in (await dump_values(hub.store.redis, keys.prefix)).items()
            if k != keys.audit().encode() and b":authfail:" not in k}


async def _submit(hub, nurse):
    sealed = hub.world.seal_referral(nurse, DEST, TYPE, b"{}")
    return await hub.client.post("/v1/referrals", json=hub.world.submit_body(sealed, DEST, TYPE),
                                 headers=nurse.auth)


async def test_a_token_revoked_by_another_process_cannot_submit_though_remembered(hub) -> None:
    """Submitting may authenticate a token from the process's memory; the write itself
    refuses one that the CLI (another process, with its own memory) revoked since."""
    nurse = hub.world.first("mercy-hospital", "sender")
    assert (await _submit(hub, nurse)).status == 201  # now remembered by this process
    cli = TokenService(store=hub.store, clock=hub.clock, ccr=hub.services.ccr,
                       auditor=hub.services.auditor)
    assert await cli.revoke(nurse.token.split("_")[1])
    before = await _records(hub)
    r = await _submit(hub, nurse)
    assert r.status == 401
    assert "revoked" in (await r.json())["error"]["message"]
    assert await _records(hub) == before
    assert [e.outcome for e in await hub.store.audit.events() if e.action == "auth"] == \
        ["denied"]
    assert (await _submit(hub, nurse)).status == 401  # forgotten: refused at sign-in now

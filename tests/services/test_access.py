"""Who is asking, and how often: TokenService (tokens shown once, kept as a hash; failed
sign-ins counted per address and per real token in fixed windows, 429 past the limit, yet
a valid token always accepted), SessionService (a page session ends after 15 idle minutes
on the hub's clock, at sign-out, or as soon as its token is revoked) and RequestLimits
(each person's requests per window)."""

from __future__ import annotations

import pytest

from hub.errors import TooManyRequests, Unauthorized
from hub.services.limits import RequestLimits
from hub.services.sessions import IDLE_LIMIT
from hub.services.tokens import FAILURE_LIMIT, FAILURE_WINDOW

from .conftest import HOSPITAL, Rig

ADDRESS = "198.51.100.4"


async def test_a_token_is_kept_only_as_a_hash_and_signs_in_its_person(rig: Rig) -> None:
    issued = await rig.services.tokens.issue("harbor-night")
    record = await rig.store.access.token(issued.token_id)
    assert issued.token.split("_", 2)[2] not in str(record)
    who = await rig.services.tokens.authenticate(issued.token, ADDRESS)
    assert (who.person, who.agency, who.token_id) == ("harbor-night", "harbor-house",
                                                      issued.token_id)


async def test_a_wrong_secret_for_a_real_token_is_a_failed_sign_in_named_by_its_id(
        rig: Rig) -> None:
    nurse = rig.member(HOSPITAL, "sender")
    token_id = nurse.token.split("_")[1]
    with pytest.raises(Unauthorized):
        await rig.services.tokens.authenticate(f"ccr_{token_id}_{'A' * 43}", ADDRESS)
    failed = [e for e in await rig.store.audit.events() if e.action == "auth"]
    assert [(e.outcome, e.client, e.token_id) for e in failed] == [("denied", ADDRESS,
                                                                   token_id)]


async def test_past_the_limit_failures_wait_out_the_window_but_a_valid_token_gets_in(
        rig: Rig) -> None:
    tokens = rig.services.tokens
    bad = "ccr_0123456789abcdef_" + "B" * 43
    for _ in range(FAILURE_LIMIT):
        with pytest.raises(Unauthorized):
            await tokens.authenticate(bad, ADDRESS)
    with pytest.raises(TooManyRequests) as limited:
        await tokens.authenticate(bad, ADDRESS)
    assert 0 < limited.value.retry_after <= FAILURE_WINDOW
    assert limited.value.headers == {"Retry-After": str(limited.value.retry_after)}
    nurse = rig.member(HOSPITAL, "sender")
    assert (await tokens.authenticate(nurse.token, ADDRESS)).person == nurse.person
    rig.clock.advance(limited.value.retry_after)  # the next window
    with pytest.raises(Unauthorized):  # counted afresh: a 401 again, not a 429
        await tokens.authenticate(bad, ADDRESS)


async def test_a_revoked_token_is_refused_at_once_outside_the_write_that_rechecks_it(
        rig: Rig) -> None:
    nurse = rig.member(HOSPITAL, "sender")
    who = await rig.services.tokens.authenticate(nurse.token, ADDRESS)
    assert await rig.services.tokens.revoke(who.token_id)
    with pytest.raises(Unauthorized):
        await rig.services.tokens.authenticate(nurse.token, ADDRESS)
    assert not await rig.services.tokens.revoke(who.token_id)  # no such token any more


async def test_a_session_ends_after_fifteen_idle_minutes_on_the_hubs_clock(rig: Rig) -> None:
    sessions = rig.services.sessions
    sid, session = await sessions.sign_in(rig.member(HOSPITAL, "sender").token, ADDRESS)
    rig.clock.advance(IDLE_LIMIT - 1)
    assert (await sessions.resolve(sid)).principal == session.principal  # and touched
    rig.clock.advance(IDLE_LIMIT - 1)
    assert await sessions.resolve(sid, touch=False) is not None
    rig.clock.advance(2)
    assert await sessions.resolve(sid) is None
    assert await sessions.resolve(sid) is None  # gone, not merely idle


async def test_a_session_ends_with_its_token_and_at_sign_out(rig: Rig) -> None:
    sessions = rig.services.sessions
    nurse = rig.member(HOSPITAL, "sender")
    sid, session = await sessions.sign_in(nurse.token, ADDRESS)
    other_sid, _ = await sessions.sign_in(rig.member(HOSPITAL, "agency_admin").token, ADDRESS)
    await rig.services.tokens.revoke(session.principal.token_id)
    assert await sessions.resolve(sid) is None
    other = await sessions.resolve(other_sid)
    await sessions.sign_out(other_sid, other.principal)
    assert await sessions.resolve(other_sid) is None
    assert session.csrf_ok(session.csrf) and not session.csrf_ok("forged")


async def test_each_person_has_a_request_limit_per_window(rig: Rig) -> None:
    limits = RequestLimits(store=rig.store, clock=rig.clock, limit=3, window=60)
    nurse, admin = rig.who(HOSPITAL, "sender"), rig.who(HOSPITAL, "agency_admin")
    for _ in range(3):
        await limits.admit(nurse)
    with pytest.raises(TooManyRequests) as limited:
        await limits.admit(nurse)
    await limits.admit(admin)  # another person's count is their own
    assert limited.value.retry_after == 60 - int(rig.clock.now()) % 60
    rig.clock.advance(limited.value.retry_after)
    await limits.admit(nurse)

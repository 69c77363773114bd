"""The engine's loops and what they leave behind: the ticker and the sealer end (so their
process ends) on what is not an outage instead of logging it forever; they leave a
heartbeat; claims whose jobs Redis did not take are handed out on the next tick, not left
to their lease; the rungs a stopped engine missed fire once each, oldest first, and how
late each was is counted."""

from __future__ import annotations

import asyncio
import threading

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from rq import Queue

from hub.store.engine import WorkerBeat

from .conftest import free_port

HOUR = 3600.0
SHELTER, TYPE = "harbor-house", "discharge-handoff"
INTAKE, DIRECTOR = "intake@harbor.example.org", "director@harbor.example.org"
COORDINATOR, NIGHT_PHONE = "coordinator@ccr.example.org", "+15555550121"


async def submit(hub) -> str:
    w = hub.world
    nurse = w.first("mercy-hospital", "sender")
    sealed = w.seal_referral(nurse, SHELTER, TYPE, b"{}", now=int(hub.clock.now()))
    r = await hub.client.post("/v1/referrals", json=w.submit_body(sealed, SHELTER, TYPE),
                              headers=nurse.auth)
    assert r.status == 201, await r.text()
    return sealed.header.envelope_id.hex()


async def test_the_ticker_ends_on_what_is_not_an_outage(rig) -> None:
    """A deadline index of the wrong type is nothing to wait out: before, the ticker logged
    it twenty times a second for ever, and escalation stopped without a word."""
    store = rig.hub.store
    await store.redis.set(store.keys.deadlines(), "not a sorted set")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await asyncio.wait_for(rig.ticker.run(threading.Event()), 10)


async def test_the_sealer_ends_on_what_is_not_an_outage(hub) -> None:
    await hub.store.redis.set(hub.store.keys.audit_head(), "not a hash")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await asyncio.wait_for(hub.services.auditlog.run(threading.Event()), 10)


async def test_the_ticker_and_the_sealer_leave_heartbeats(rig, redis_url) -> None:
    hub = rig.hub
    stop = threading.Event()
    loops = [asyncio.create_task(rig.ticker.run(stop)),
             asyncio.create_task(hub.services.auditlog.run(stop))]
    try:
        for _ in range(200):
            beats = await hub.store.engine.beats(0)
            if beats.ticker is not None and beats.sealer is not None:
                break
            await asyncio.sleep(0.02)
        assert (beats.ticker, beats.sealer) == (hub.clock.now(), hub.clock.now())
    finally:
        stop.set()
        await asyncio.gather(*loops)
    client = Redis.from_url(redis_url)
    try:
        WorkerBeat(client, hub.store.keys, "w1")(hub.clock.now())
    finally:
        client.close()
    health = await hub.services.engine_health.health()
    assert health.running and health.workers == 1 and health.ticker_age_s == 0
    hub.clock.advance(31)  # HUB_ENGINE_STALE's default is 30 s
    health = await hub.services.engine_health.health()
    assert not health.running and health.ticker_age_s == 31 and health.workers == 0


async def test_claims_whose_jobs_redis_did_not_take_go_out_on_the_next_tick(rig) -> None:
    """Redis went away between the claim and the enqueue: the claim must not wait out its
    lease (a minute) before its rung fires."""
    hub = rig.hub
    rid = await submit(hub)
    gone = Redis(port=free_port(), socket_connect_timeout=0.5)
    rig.ticker.queue = Queue(rig.queue.name, connection=gone)
    with pytest.raises(RedisConnectionError):
        await rig.ticker.tick()
    rig.ticker.queue = rig.queue
    assert await rig.ticker.tick() == 1
    rig.work()
    assert [m["To"] for m in rig.mail.messages] == [INTAKE]
    assert await hub.store.timers.due(hub.store.keys.deadlines(), f"{rid}:ack") is not None


async def test_rungs_missed_while_the_engine_was_stopped_fire_once_oldest_first(
        rig, scrape) -> None:
    """The engine stopped right after the first notices and came back three hours later:
    each referral's later rungs fire once each, in order, the earlier referral's first,
    and the lateness histogram counts how late each was."""
    hub = rig.hub
    first = await submit(hub)
    hub.clock.advance(HOUR / 2)
    second = await submit(hub)
    await rig.run_due()
    assert [m["To"] for m in rig.mail.messages] == [INTAKE, INTAKE]
    hub.clock.advance(2.5 * HOUR)  # three hours after the first: two more rungs each
    claimed = await hub.store.timers.claim(hub.store.keys.deadlines(), hub.clock.now(), 60,
                                           10)
    assert [m for m, _ in claimed] == [f"{first}:ack", f"{second}:ack"]  # oldest first
    await hub.store.redis.zadd(hub.store.keys.deadlines(), dict(claimed))  # put them back
    await hub.store.redis.delete(hub.store.keys.inflight(hub.store.keys.deadlines()))
    await rig.run_due()
    # an urgent discharge handoff tells intake at once, the backups (night by text, the
    # director) after an hour, the coordinator after two, then round two: intake at two
    # hours, the backups at three. The first referral is three hours old, the second 2.5.
    told = [m["To"] for m in rig.mail.messages[2:]]
    assert told[:2] == [DIRECTOR, DIRECTOR], "each referral's oldest missed rung first"
    assert sorted(told) == sorted([DIRECTOR] * 3 + [COORDINATOR] * 2 + [INTAKE] * 2), told
    assert [t["to"] for t in rig.sms.texts] == [NIGHT_PHONE] * 3
    # Late by: the first's first rung 0.5 h (the engine first ran after the second came
    # in), its backups 2 h, its coordinator 1 h, its second round's intake 1 h and backups
    # 0; the second's first rung 0, its backups 1.5 h, its coordinator and intake 0.5 h.
    lateness = (await hub.store.engine.beats(0)).lateness
    assert lateness.count == 9
    assert lateness.buckets == {"le:1": 2, "le:3600": 5, "le:14400": 2}
    assert lateness.total == pytest.approx((0.5 + 2 + 1 + 1 + 1.5 + 0.5 + 0.5) * HOUR)
    text = await scrape()
    assert 'hub_rung_lateness_seconds_bucket{le="3600"} 7.0' in text
    assert "hub_rung_lateness_seconds_count 9.0" in text
    assert "hub_engine_running 0.0" in text

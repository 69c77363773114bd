"""Deadlines survive a Redis restart (AOF, fsync always), and business-time deadlines fall
where a person expects: a Friday-evening referral's next rung is on Monday."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from hub.build import build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.crypto import Urgency
from hub.embedded import start_embedded
from hub.models import Consent
from hub.routing.ladder import member
from hub.sandbox import install_world, make_world
from hub.store import Store

from ..conftest import EXAMPLE

CHICAGO = ZoneInfo("America/Chicago")


async def test_redis_restarted_with_aof_loses_no_deadline(tmp_path: Path) -> None:
    server = start_embedded(tmp_path / "valkey", durable=True)
    clock = FakeClock(1_800_000_000)
    settings = Settings(redis_url=server.connection_url, ccr_dir=EXAMPLE)
    services = build_services(settings, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    nurse = world.first("mercy-hospital", "sender")
    rids = []
    for _ in range(5):
        sealed = world.seal_referral(nurse, "harbor-house", "discharge-handoff", b"{}")
        seen, _ = await services.referrals.submit(
            nurse.principal(), sealed.envelope,
            Consent.model_validate(world.consent("harbor-house", "discharge-handoff")))
        referral = seen.referral
        rids.append(referral.id)
    before = await services.store.redis.zrange(services.store.keys.deadlines(), 0, -1,
                                               withscores=True)
    await services.close()
    server.stop()

    server = start_embedded(tmp_path / "valkey", durable=True)
    try:
        store = Store.open(Redis.from_url(server.connection_url), "ccr")
        after = await store.redis.zrange(store.keys.deadlines(), 0, -1, withscores=True)
        assert after == before and len(after) == 10  # each: its ladder, its consent's end
        assert {m.decode() for m, _ in after} == {member(r, t) for r in rids
                                                  for t in ("ack", "consent")}
        await store.close()
    finally:
        server.stop()


async def test_a_friday_evening_referral_escalates_on_monday_in_business_hours(rig) -> None:
    hub = rig.hub
    friday_evening = datetime(2027, 1, 15, 19, 0, tzinfo=CHICAGO).timestamp()
    hub.clock.set(friday_evening)
    w = hub.world
    advocate = w.first("bridge-advocacy", "sender")
    sealed = w.seal_referral(advocate, "riverside-pd", "police-report-followup", b"{}",
                             now=int(friday_evening), urgency=Urgency.ROUTINE)
    body = {**w.submit_body(sealed, "riverside-pd", "police-report-followup"),
            "consent": {**w.consent("riverside-pd", "police-report-followup",
                                    documented_by=advocate.person),
                        "given_at": int(friday_evening) - 60,
                        "expires_at": int(friday_evening) + 30 * 86400}}
    r = await hub.client.post("/v1/referrals", json=body, headers=advocate.auth)
    assert r.status == 201, await r.text()
    rid = (await r.json())["id"]
    monday_eight = datetime(2027, 1, 18, 8, 0, tzinfo=CHICAGO).timestamp()
    assert (await r.json())["ack_due_at"] == datetime(2027, 1, 19, 8, 0,
                                                      tzinfo=CHICAGO).timestamp()
    await rig.run_due()  # the point person hears at once
    due = await hub.store.timers.due(hub.store.keys.deadlines(), member(rid, "ack"))
    assert due == monday_eight + 4 * 3600  # backups: 4 business hours, so Monday noon

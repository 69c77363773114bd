"""The hub runs under the Redis user config/redis/hub-acl.txt defines: submitting,
replies and attachments, acknowledging, withdrawing consent (which deletes content),
escalation jobs under RQ, sealing and checkpoints all work, while that user cannot delete,
trim, expire or overwrite the sealed audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import redis
from redis.exceptions import NoPermissionError
from rq import Queue, SimpleWorker

from hub.build import build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.crypto import Urgency
from hub.embedded import start_embedded
from hub.escalation import runtime
from hub.escalation.ticker import Ticker
from hub.models import Consent
from hub.sandbox import install_world, make_world
from hub.store.engine import WorkerBeat

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "acl-test-password"
DEST, TYPE = "harbor-house", "discharge-handoff"


@pytest.fixture
def acl_server():
    server = start_embedded(None, durable=False)
    rule = next(line for line in (ROOT / "config" / "redis" / "hub-acl.txt").read_text()
                .splitlines() if line.startswith("user "))
    admin = redis.Redis.from_url(server.connection_url)
    admin.execute_command("ACL", "SETUSER", *rule.replace("CHANGE-ME", PASSWORD).split()[1:])
    admin.close()
    yield server.connection_url.replace("redis://", f"redis://hub:{PASSWORD}@")
    server.stop()


@pytest.mark.filterwarnings("ignore:CLIENT LIST command not supported")  # RQ, refused
async def test_the_hub_works_under_its_acl_and_cannot_rewrite_the_audit_log(acl_server,
                                                                           tmp_path) -> None:
    clock = FakeClock(1_800_000_000)
    settings = Settings(redis_url=acl_server, ccr_dir=ROOT / "config" / "example",
                        data_dir=tmp_path)
    services = build_services(settings, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    nurse, point = world.first("mercy-hospital", "sender"), world.first(DEST, "point_person")
    sealed = world.seal_referral(nurse, DEST, TYPE, b"{}", attachments=(b"scan",))
    seen, _ = await services.referrals.submit(
        nurse.principal(), sealed.envelope, Consent.model_validate(world.consent(DEST, TYPE)))
    referral = seen.referral
    await services.threads.put_attachment(nurse.principal(), referral.id, 0,
                                          bytes(sealed.attachments[0]))

    @asynccontextmanager
    async def engine() -> AsyncIterator:  # on the worker's own loop, with its own client
        own = build_services(settings, clock=clock)
        try:
            yield own.engine({}, "https://hub.example.org")  # no channels: dead letters
        finally:
            await own.close()

    runtime.install(engine)
    sync = redis.Redis.from_url(acl_server)
    queue = Queue("ccr-jobs", connection=sync)
    try:
        assert await Ticker(services.store, clock, queue, services.ladder).tick() >= 1
        SimpleWorker([queue], connection=sync).work(burst=True)
        assert queue.failed_job_registry.count == 0
    finally:
        runtime.reset()
    # a claim from the SMS the dead email fell back to (its code kept, spent, tries counted)
    (text,) = [n for n in await services.store.notices.of_referral(referral.id)
               if n.channel == "sms"]
    assert (await services.claims.by_reply("+15555550999", "12345")).outcome == "unknown"
    code = services.codes.code(text.id)
    assert (await services.claims.by_reply(text.to, code)).outcome == "claimed"
    await services.push.drop(point.person, "0" * 32)
    # the engine's heartbeats, the dead man's switch, a lost claim looked up, the waits
    await services.store.engine.beat("ticker", clock.now())
    WorkerBeat(sync, services.store.keys, "w1")(clock.now())
    assert await services.store.engine.alarm(clock.now(), clock.now(), 30, 900) == \
        ("running", clock.now())
    assert await services.store.timers.claimed_by(services.store.keys.deadlines(), "t") == []
    assert (await services.store.engine.beats(0)).lateness.count >= 1
    sync.execute_command("WAIT", 0, 10)
    sync.incr(services.store.keys.replication_mark())
    await services.lifecycle.revoke_consent(nurse.principal(), referral.id, "survivor-withdrew")
    assert await services.store.referrals.envelope(referral.id) is None
    coordinator = world.members["ccr-coordinator"].principal()  # a drill, purged at its end
    drill = await services.drills.start(coordinator, "discharge-2am")
    practice = world.seal_drill(nurse, DEST, TYPE, b"{}", urgency=Urgency.EMERGENT)
    await services.drills.submit(coordinator, drill.id, practice.envelope)
    await services.drills.end(coordinator, drill.id)
    assert await services.store.drills.get(drill.id) is None
    assert await services.auditlog.seal() > 0
    await services.auditlog.checkpoint()

    log = services.store.keys.audit_log()
    for attempt in (["DEL", log], ["UNLINK", log], ["XTRIM", log, "MAXLEN", "0"],
                    ["XDEL", log, "0-1"], ["EXPIRE", log, "1"], ["SET", log, "x"],
                    ["RENAME", log, "ccr:elsewhere"], ["FLUSHALL"],
                    ["DEL", services.store.keys.audit_checkpoints()]):
        with pytest.raises(NoPermissionError):
            sync.execute_command(*attempt)
    assert (await services.auditlog.verify()).ok
    rosters = services.store.keys.roster_log()  # the roster log is append-only too
    assert sync.llen(rosters) > 0
    for attempt in (["DEL", rosters], ["LTRIM", rosters, "1", "-1"], ["LSET", rosters, "0", "x"],
                    ["LREM", rosters, "0", "x"], ["LPOP", rosters], ["RPOP", rosters],
                    ["RENAME", rosters, "ccr:elsewhere"]):
        with pytest.raises(NoPermissionError):
            sync.execute_command(*attempt)
    assert point.principal().agency == DEST
    sync.close()
    await services.close()

"""Partial purge: the shelter's device keeps the codes and lets the narrative go. Against a
Redis of the test's own with the AOF on (as production), after a rewrite the old envelope's
ciphertext, which held the narrative, is in neither Redis nor the AOF; the reduced copy
opens with the codes and without the narrative. Nobody else may purge (404)."""

from __future__ import annotations

import time
import uuid

import pytest
import redis as sync_redis
from redis.asyncio import Redis

from hub.api.contents import DischargeHandoff
from hub.build import build_services
from hub.client import Agent, HubApi, NotFound, consent_for
from hub.config import Settings
from hub.crypto import TrustStore, short_fingerprint
from hub.sandbox import install_world, make_world
from hub.store import Store
from hub.web.app import create_app
from tests.client.forms_support import EXAMPLE
from tests.faults.harness import RedisProcess

DEST, TYPE = "harbor-house", "discharge-handoff"


@pytest.fixture
async def aof_hub(aiohttp_client, clock, tmp_path):
    server = RedisProcess(tmp_path / "redis")
    server.start()
    client = Redis.from_url(server.url)
    settings = Settings(redis_url=server.url, ccr_dir=EXAMPLE)
    services = build_services(settings, store=Store.open(client, "purge"), clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    http = await aiohttp_client(create_app(settings, services))
    url = str(http.make_url("")).rstrip("/")
    agents = {}
    for role, who in (("nurse", world.first("mercy-hospital", "sender")),
                      ("point", world.first(DEST, "point_person")),
                      ("outsider", world.first("bridge-advocacy", "point_person")),
                      ("coordinator", world.first("ccr-coordination", "coordinator"))):
        trust = TrustStore()
        for agency, root in world.roots.items():
            trust.pin(agency, root.public, fingerprint=short_fingerprint(root.public))
        agents[role] = Agent(HubApi(url, who.token), who.device, trust, clock=clock.now)
    try:
        yield server, agents
    finally:
        for agent in agents.values():
            await agent.api.close()
        await client.aclose()
        server.stop()


def rewrite_aof(server: RedisProcess) -> None:
    r = sync_redis.Redis(port=server.port)
    r.bgrewriteaof()
    while r.info("persistence")["aof_rewrite_in_progress"] or \
            r.info("persistence")["aof_rewrite_scheduled"]:
        time.sleep(0.02)  # a real rewrite in a child process: there is no clock to advance
    r.close()


def everything_in(server: RedisProcess) -> bytes:
    r = sync_redis.Redis(port=server.port)
    try:
        return b"".join(r.dump(k) or b"" for k in r.scan_iter(count=1000))
    finally:
        r.close()


async def test_the_narrative_is_gone_from_redis_and_the_aof_and_the_codes_remain(
        aof_hub, clock) -> None:
    server, agents = aof_hub
    nurse, point = agents["nurse"], agents["point"]
    canary = f"CANARY-{uuid.uuid4().hex}"
    content = DischargeHandoff.model_validate({
        "survivor": {"name": "Test Survivor"}, "needs": ["shelter", "counseling"],
        "discharge_at": "2027-01-15T14:00:00-06:00",
        "safe_contact": {"channels": ["sms"], "voicemail_ok": False},
        "consent": {"method": "written", "given_at": "2027-01-15T10:00:00-06:00",
                    "documented_by": "mercy-nurse-1", "scope": "shelter intake"},
        "summary": f"what happened, in the survivor's words {canary}"})
    consent = consent_for(DEST, TYPE, documented_by="mercy-nurse-1", now=int(clock.now()))
    sent = await nurse.send(DEST, TYPE, content, consent)
    old = await point.api.envelope(sent.id)
    ciphertext = old[-512:]  # the sealed body: the narrative is in there
    assert canary.encode() in (await point.open(sent.id)).content
    assert ciphertext in server.aof() and ciphertext in everything_in(server)

    purged = await point.purge_narrative(sent.id)
    assert purged.narrative_purged_at == clock.now()
    assert ciphertext not in everything_in(server)  # gone from Redis in the one step
    assert ciphertext in server.aof()  # the AOF still holds the old SET until a rewrite
    reopened = await point.open(sent.id)
    kept = reopened.parsed()
    assert reopened.reduced and reopened.sender.endswith(f"@{DEST}")
    assert isinstance(kept, DischargeHandoff) and kept.summary is None
    assert kept.needs == ("shelter", "counseling") and kept.safe_contact.channels == ("sms",)
    assert kept.consent.method == "written" and kept.survivor.name == "Test Survivor"

    rewrite_aof(server)
    aof, stored = server.aof(), everything_in(server)
    assert ciphertext not in aof and ciphertext not in stored
    assert canary.encode() not in aof and canary.encode() not in stored
    history = [e.action for e in (await point.api.history(sent.id)).events]
    assert "narrative.purged" in history
    assert "narrative.purged" not in [e.action for e in
                                      (await nurse.api.history(sent.id)).events]


async def test_only_the_receiving_agency_may_purge(aof_hub, clock) -> None:
    _, agents = aof_hub
    nurse = agents["nurse"]
    consent = consent_for(DEST, TYPE, documented_by="mercy-nurse-1", now=int(clock.now()))
    sent = await nurse.send(DEST, TYPE, b'{"kind": "discharge-handoff"}', consent)
    for who in (nurse, agents["outsider"], agents["coordinator"]):
        with pytest.raises(NotFound):
            await who.api.replace_envelope(sent.id, b"anything")

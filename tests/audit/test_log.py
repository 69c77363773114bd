"""The tamper-evident audit log: events move from the intake into the sealed log in order,
exactly once even with two sealers; the hub signs checkpoints; verification names the first
entry that was edited, deleted, inserted, reordered or cut off, and an exported checkpoint
catches the whole log rewritten from scratch. Coordinators and agency admins read a
referral's trail; nobody else does."""

from __future__ import annotations

import asyncio
import json

import pytest

from hub.crypto.auditlog import GENESIS, HubKey, canonical, entry_hash
from hub.services import trails
from hub.services.auditlog import AuditLog, Checkpoint
from hub.store.audit import Sealed

DEST, TYPE = "harbor-house", "discharge-handoff"


async def referral(hub) -> str:
    w = hub.world
    nurse = w.first("mercy-hospital", "sender")
    sealed = w.seal_referral(nurse, DEST, TYPE, b"{}")
    r = await hub.client.post("/v1/referrals", json=w.submit_body(sealed, DEST, TYPE),
                              headers=nurse.auth)
    assert r.status == 201
    rid = (await r.json())["id"]
    for who in ("mercy-hospital", DEST):  # some reads, each audited
        await hub.client.get(f"/v1/referrals/{rid}", headers=w.first(who, "sender").auth)
    return rid


@pytest.fixture
async def sealed_log(hub) -> AuditLog:
    await referral(hub)
    log = hub.services.auditlog
    await log.seal()
    await log.checkpoint()
    return log


async def entries(hub) -> list[Sealed]:
    return await hub.store.audit.log()


async def rewrite(hub, new: list[Sealed]) -> None:
    """What someone with write access to Redis could do to the log: write it again, and
    every referral's trail index to match."""
    key, redis = hub.store.keys.audit_log(), hub.store.redis
    await redis.delete(key)
    indexes: dict[str, list[str]] = {}
    for n, e in enumerate(new):
        sid = (await redis.xadd(key, {"entry": e.entry, "hash": e.hash})).decode()
        rid = json.loads(e.entry)["event"].get("referral")
        if rid:
            indexes.setdefault(rid, []).append(f"{n} {sid} {e.hash}")
    for rid, listed in indexes.items():
        await redis.delete(hub.store.keys.audit_of(rid))
        await redis.rpush(hub.store.keys.audit_of(rid), *listed)


def forged(seq: int, prev: bytes, event: dict) -> Sealed:
    entry = canonical({"seq": seq, "id": f"0-{seq}", "event": event, "prev": prev.hex()})
    return Sealed(f"0-{seq}", entry.decode(), entry_hash(entry).hex())


def relinked(log: list[Sealed]) -> list[Sealed]:
    """The same events re-chained from scratch: consistent in itself."""
    out, prev = [], GENESIS
    for n, e in enumerate(log):
        out.append(forged(n, prev, json.loads(e.entry)["event"]))
        prev = bytes.fromhex(out[-1].hash)
    return out


async def test_sealing_keeps_every_event_in_order_and_empties_the_intake(hub) -> None:
    rid = await referral(hub)
    before = await hub.store.audit.events()
    assert await hub.services.auditlog.seal() == len(before) > 3
    assert await hub.store.audit.events() == before  # readers see the same, sealed
    assert await hub.store.redis.xlen(hub.store.keys.audit()) == 0
    verdict = await hub.services.auditlog.verify()
    assert (verdict.ok, verdict.entries) == (True, len(before))
    assert [e.referral for e in (await trails.read(hub.store, rid)).events] != []


async def test_a_referrals_trail_is_read_through_its_index_and_holds_only_its_events(
        hub) -> None:
    first, second = await referral(hub), await referral(hub)
    everything = await hub.store.audit.events()
    await hub.services.auditlog.seal()
    await hub.client.get(f"/v1/referrals/{first}",
                         headers=hub.world.first(DEST, "sender").auth)  # not sealed yet
    for rid in (first, second):
        trail = await trails.read(hub.store, rid)
        assert trail.events == [e for e in await hub.store.audit.events() if e.referral == rid]
        assert trail.events and {e.referral for e in trail.events} == {rid}
        assert trail.problem == ""
    assert len((await trails.read(hub.store, first)).events) == \
        len([e for e in everything if e.referral == first]) + 1
    index = await hub.store.redis.lrange(hub.store.keys.audit_of(first), 0, -1)
    assert len(index) == len([e for e in everything if e.referral == first])


async def test_two_sealers_at_once_seal_each_event_exactly_once(hub) -> None:
    for _ in range(5):
        await referral(hub)
    waiting = await hub.store.audit.length()
    other = AuditLog(hub.store, hub.clock, hub.services.auditlog.key)
    await asyncio.gather(hub.services.auditlog.seal(), other.seal(), other.seal())
    log = await entries(hub)
    assert len(log) == waiting and len({json.loads(e.entry)["id"] for e in log}) == waiting
    assert (await hub.services.auditlog.verify()).ok


async def test_an_edited_entry_is_named(hub, sealed_log) -> None:
    log = await entries(hub)
    doc = json.loads(log[2].entry)
    doc["event"]["outcome"] = "ok-after-all"
    await rewrite(hub, [*log[:2], Sealed(log[2].id, canonical(doc).decode(), log[2].hash),
                        *log[3:]])
    assert (await sealed_log.verify()).problem.startswith("entry 2 (event ")
    assert (await sealed_log.verify()).problem.endswith("was edited")


async def test_an_edited_entry_whose_hash_was_recomputed_is_named(hub, sealed_log) -> None:
    log = await entries(hub)
    doc = json.loads(log[1].entry)
    doc["event"]["actor"] = "somebody-else"
    entry = canonical(doc)
    await rewrite(hub, [log[0], Sealed(log[1].id, entry.decode(), entry_hash(entry).hex()),
                        *log[2:]])
    assert (await sealed_log.verify()).problem.startswith("entry 1 was edited (entry 2 ")


async def test_a_deleted_entry_is_named(hub, sealed_log) -> None:
    log = await entries(hub)
    await rewrite(hub, [*log[:3], *log[4:]])
    assert (await sealed_log.verify()).problem.startswith("entry 3 was deleted")


async def test_an_inserted_entry_is_named(hub, sealed_log) -> None:
    log = await entries(hub)
    fake = forged(2, bytes.fromhex(log[1].hash), {"at": 0, "actor": "x", "action": "nothing",
                                                    "outcome": "ok"})
    await rewrite(hub, [*log[:2], fake, *log[2:]])
    assert (await sealed_log.verify()).problem.startswith("an entry was inserted at 2")


async def test_reordered_entries_are_named(hub, sealed_log) -> None:
    log = await entries(hub)
    await rewrite(hub, [log[0], log[2], log[1], *log[3:]])
    problem = (await sealed_log.verify()).problem
    assert problem.startswith("entry 1 ") and "reordered" in problem


async def test_a_truncated_tail_is_caught_by_the_checkpoint(hub, sealed_log) -> None:
    log = await entries(hub)
    await rewrite(hub, log[:-2])
    assert (await sealed_log.verify()).problem == (
        f"the log was cut short after entry {len(log) - 3}: a checkpoint counted "
        f"{len(log)} entries")


async def test_a_log_rewritten_from_scratch_is_caught_by_an_exported_checkpoint(
        hub, sealed_log) -> None:
    exported = [Checkpoint.of(c) for c in (await sealed_log.export())["checkpoints"]]
    log = await entries(hub)
    doc = json.loads(log[1].entry)
    doc["event"]["outcome"] = "denied"
    altered = Sealed(log[1].id, canonical(doc).decode(), "")
    await rewrite(hub, relinked([log[0], altered, *log[2:]]))  # history quietly changed
    await hub.store.redis.delete(hub.store.keys.audit_checkpoints())
    assert (await sealed_log.verify()).ok  # consistent in itself ...
    verdict = await sealed_log.verify(exported)  # ... but not with what was kept elsewhere
    assert not verdict.ok and verdict.problem.startswith("the log was rewritten")


async def test_a_checkpoint_signed_by_another_key_is_refused(hub, sealed_log) -> None:
    head = await hub.store.audit.head()
    other = HubKey.generate()
    at = int(hub.clock.now())
    fake = Checkpoint(head.count, head.hash, at, other.public.hex(),
                      other.sign_checkpoint(head.count, bytes.fromhex(head.hash), at).hex())
    verdict = await sealed_log.verify([fake])
    assert "not signed by this hub's key" in verdict.problem


async def test_coordinators_and_agency_admins_read_a_referrals_trail(hub) -> None:
    rid = await referral(hub)
    w = hub.world
    coordinator = next(m for m in w.members.values() if "coordinator" in m.roles)
    admin = next(m for m in w.members.values()
                 if m.agency == DEST and "agency_admin" in m.roles)
    for who in (coordinator, admin):
        r = await hub.client.get(f"/v1/referrals/{rid}/audit", headers=who.auth)
        assert r.status == 200
        actions = [e["action"] for e in (await r.json())["events"]]
        assert actions[0] == "referral.submit" and "referral.get" in actions
    nurse = w.first("mercy-hospital", "sender")
    r = await hub.client.get(f"/v1/referrals/{rid}/audit", headers=nurse.auth)
    assert r.status == 403 and (await r.json())["error"]["code"] == "not_allowed"


async def test_a_coordinator_verifies_the_log_over_the_api(hub, sealed_log) -> None:
    w = hub.world
    coordinator = next(m for m in w.members.values() if "coordinator" in m.roles)
    r = await hub.client.get("/v1/audit/verify", headers=coordinator.auth)
    doc = await r.json()
    assert r.status == 200 and doc["ok"] and doc["entries"] > 0 and doc["checkpoints"] == 1
    nurse = w.first("mercy-hospital", "sender")
    assert (await hub.client.get("/v1/audit/verify", headers=nurse.auth)).status == 403


def test_builders_racing_in_dev_mode_share_one_whole_signing_key(tmp_path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from hub.build import hub_key
    from hub.config import Settings

    settings = Settings(data_dir=tmp_path)
    with ThreadPoolExecutor(16) as pool:
        keys = list(pool.map(lambda _: hub_key(settings), range(16)))
    assert len({k.public for k in keys}) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["hub-signing.key"]
    assert oct((tmp_path / "hub-signing.key").stat().st_mode & 0o777) == "0o600"


async def test_a_log_longer_than_a_page_verifies_whole(hub) -> None:
    for i in range(30):
        await hub.store.audit.append(hub.services.auditor.event(None, f"bulk.{i}"))
    log = hub.services.auditlog
    await log.seal()
    await log.checkpoint()
    entries = await hub.store.audit.whole_log(page=7)
    assert len(entries) == (await hub.store.audit.head()).count >= 30
    assert [e.id for e in entries] == [e.id for e in await hub.store.audit.log()]
    assert (await log.verify()).ok

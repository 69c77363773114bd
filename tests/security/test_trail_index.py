"""Issue 17, 6: a referral's audit trail is read through an index of the sealed log's
entries. Removing entries from it with LREM changed what /audit showed while `hub audit
verify` and /v1/audit/verify still said the log was fine. Each index entry now names the
sequence number and hash of its log entry; reading the trail checks them, and verification
cross-checks every index against the log."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from hub.crypto import ReceiptStatus, sign_receipt

from .conftest import submit

ROOT = Path(__file__).resolve().parents[2]
DEST = "harbor-house"


async def _a_trail(hub) -> str:
    """A referral opened, acknowledged and declined by the shelter, then sealed."""
    point = hub.world.first(DEST, "point_person")
    rid, sealed = await submit(hub)
    assert (await hub.client.get(f"/v1/referrals/{rid}/envelope", headers=point.auth)).status \
        == 200
    receipt = sign_receipt(point.device, envelope_id=sealed.header.envelope_id,
                           header_hash=sealed.header.hash, status=ReceiptStatus.ACKNOWLEDGED,
                           at=int(hub.clock.now()))
    for step, doc in (("acknowledge", {"receipt": base64.b64encode(receipt).decode()}),
                      ("reject", {"reason": "capacity"})):
        r = await hub.client.post(f"/v1/referrals/{rid}/{step}", json=doc, headers=point.auth)
        assert r.status == 200, await r.text()
    await hub.services.auditlog.seal()
    await hub.services.auditlog.checkpoint()
    return rid


def _coordinator(hub):
    return hub.world.first("ccr-coordination", "coordinator")


def _cli_verify(hub, redis_url: str) -> subprocess.CompletedProcess:
    """`hub audit verify` on the operator's host, against this hub's Redis and prefix."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env |= {"HUB_REDIS_URL": redis_url, "HUB_KEY_PREFIX": hub.store.keys.prefix,
            "HUB_CCR_DIR": str(ROOT / "config" / "example")}
    return subprocess.run([sys.executable, "-m", "hub.cli", "audit", "verify"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


async def test_an_entry_removed_from_a_trail_index_fails_verification(hub, redis_url) -> None:
    rid = await _a_trail(hub)
    coordinator = _coordinator(hub)
    verdict = await (await hub.client.get("/v1/audit/verify", headers=coordinator.auth)).json()
    assert verdict["ok"] is True
    index = hub.store.keys.audit_of(rid)
    listed = await hub.store.redis.lrange(index, 0, -1)
    received = [e for e in listed if (await _event_of(hub, e))["action"] == "referral.received"]
    assert len(received) == 1
    assert await hub.store.redis.lrem(index, 1, received[0]) == 1
    verdict = await (await hub.client.get("/v1/audit/verify", headers=coordinator.auth)).json()
    assert verdict["ok"] is False and "missing from referral" in verdict["problem"]
    done = _cli_verify(hub, redis_url)
    assert done.returncode == 6 and "missing from referral" in done.stderr, done.stderr


async def _event_of(hub, index_entry: bytes) -> dict:
    iid = index_entry.decode().split(" ")[1]
    (_, fields), = await hub.store.redis.xrange(hub.store.keys.audit_log(), min=iid, max=iid)
    return json.loads(fields[b"entry"])["event"]


async def test_an_index_entry_pointed_elsewhere_is_caught_when_the_trail_is_read(hub) -> None:
    rid, other = await _a_trail(hub), await _a_trail(hub)
    redis, keys = hub.store.redis, hub.store.keys
    foreign = (await redis.lrange(keys.audit_of(other), 0, 0))[0]
    await redis.lset(keys.audit_of(rid), 1, foreign)  # another referral's entry, as is
    seq, iid, digest = (await redis.lrange(keys.audit_of(rid), 2, 2))[0].decode().split(" ")
    await redis.lset(keys.audit_of(rid), 2, f"{seq} {iid} {'0' * len(digest)}")  # a wrong hash
    r = await hub.client.get(f"/v1/referrals/{rid}/audit", headers=_coordinator(hub).auth)
    trail = await r.json()
    assert r.status == 200 and trail["ok"] is False
    assert trail["problem"].startswith("entry 1 of this referral's trail names log entry")
    assert {e["referral"] for e in trail["events"]} == {rid}
    verdict = await hub.services.auditlog.verify()
    assert not verdict.ok and "trail index" in verdict.problem

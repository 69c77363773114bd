"""The lifecycle over HTTP: illegal transitions are a clear 409, the acknowledgement needs
a receipt from a device of the escalation group, and fifty concurrent acknowledgements
make exactly one transition."""

from __future__ import annotations

import asyncio
import base64

from hub.crypto import ReceiptStatus, sign_receipt

DEST, TYPE = "harbor-house", "discharge-handoff"


async def _submitted(hub):
    w = hub.world
    nurse = w.first("mercy-hospital", "sender")
    sealed = w.seal_referral(nurse, DEST, TYPE, b"{}")
    r = await hub.client.post("/v1/referrals", json=w.submit_body(sealed, DEST, TYPE),
                              headers=nurse.auth)
    assert r.status == 201
    return sealed, sealed.header.envelope_id.hex()


def _receipt(member, sealed, status=ReceiptStatus.ACKNOWLEDGED, at=None):
    raw = sign_receipt(member.device, envelope_id=sealed.header.envelope_id,
                       header_hash=sealed.header.hash, status=status, at=at or 1_800_000_000)
    return {"receipt": base64.b64encode(raw).decode()}


async def test_fifty_concurrent_acknowledgements_make_one_transition(hub) -> None:
    sealed, rid = await _submitted(hub)
    point = hub.world.first(DEST, "point_person")
    responses = await asyncio.gather(*[
        hub.client.post(f"/v1/referrals/{rid}/acknowledge", json=_receipt(point, sealed),
                        headers=point.auth) for _ in range(50)])
    statuses = sorted(r.status for r in responses)
    assert statuses.count(200) == 1 and statuses.count(409) == 49
    history = await hub.store.referrals.history(rid)
    assert [e.action for e in history].count("status.received") == 1
    referral = await hub.store.referrals.get(rid)
    assert referral.generation == 2
    assert await hub.store.redis.zscore(hub.store.keys.deadlines(), f"{rid}:ack") is None


async def test_accepting_before_acknowledging_is_409_with_the_reason(hub) -> None:
    _, rid = await _submitted(hub)
    point = hub.world.first(DEST, "point_person")
    r = await hub.client.post(f"/v1/referrals/{rid}/accept", headers=point.auth)
    assert r.status == 409
    error = (await r.json())["error"]
    assert error["code"] == "illegal_transition" and "'requested'" in error["message"]


async def test_receipt_signed_by_a_device_outside_the_group_is_refused(hub) -> None:
    sealed, rid = await _submitted(hub)
    point = hub.world.first(DEST, "point_person")
    outsider = hub.world.first("bridge-advocacy", "point_person")
    r = await hub.client.post(f"/v1/referrals/{rid}/acknowledge",
                              json=_receipt(outsider, sealed), headers=point.auth)
    assert r.status == 422 and (await r.json())["error"]["code"] == "bad_receipt"
    assert (await hub.store.referrals.get(rid)).status == "requested"


async def test_receipt_for_another_status_is_refused(hub) -> None:
    sealed, rid = await _submitted(hub)
    point = hub.world.first(DEST, "point_person")
    r = await hub.client.post(f"/v1/referrals/{rid}/acknowledge",
                              json=_receipt(point, sealed, ReceiptStatus.COMPLETED),
                              headers=point.auth)
    assert r.status == 422


async def test_backup_can_acknowledge_and_sender_can_cancel_until_closed(hub) -> None:
    sealed, rid = await _submitted(hub)
    backup = hub.world.first(DEST, "backup")
    nurse = hub.world.first("mercy-hospital", "sender")
    r = await hub.client.post(f"/v1/referrals/{rid}/acknowledge", json=_receipt(backup, sealed),
                              headers=backup.auth)
    assert r.status == 200 and (await r.json())["status"] == "received"
    r = await hub.client.post(f"/v1/referrals/{rid}/cancel", json={"reason": "sent-in-error"},
                              headers=nurse.auth)
    assert (await r.json())["status"] == "cancelled"
    r = await hub.client.post(f"/v1/referrals/{rid}/accept", headers=backup.auth)
    assert r.status == 409


async def test_reject_records_the_reason_code(hub) -> None:
    sealed, rid = await _submitted(hub)
    point = hub.world.first(DEST, "point_person")
    await hub.client.post(f"/v1/referrals/{rid}/acknowledge", json=_receipt(point, sealed),
                          headers=point.auth)
    r = await hub.client.post(f"/v1/referrals/{rid}/reject", json={"reason": "capacity"},
                              headers=point.auth)
    body = await r.json()
    assert body["status"] == "rejected" and body["reason_code"] == "capacity"
    r = await hub.client.post(f"/v1/referrals/{rid}/reject", json={"reason": "because"},
                              headers=point.auth)
    assert r.status == 422


async def test_a_redis_that_forgot_its_scripts_is_taught_them_again(hub) -> None:
    """After SCRIPT FLUSH (or a restart), the next state change loads its script again
    instead of failing."""
    await hub.store.redis.script_flush()
    _, rid = await _submitted(hub)
    assert (await hub.store.referrals.get(rid)).status == "requested"

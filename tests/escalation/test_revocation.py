"""Consent withdrawn: at once the referral is 'revoked', its envelope, replies and
attachments are gone from Redis, its deadlines stop, nothing more is stored or released,
and everyone who had access gets one content-free notice. Races with a download, a reply
and an escalation step in flight leave no ciphertext anywhere. Consent running out does the
same to an open referral ('expired'), and deletes a closed one's content."""

from __future__ import annotations

import asyncio
import base64

from hub.crypto import ReceiptStatus, sign_receipt
from hub.crypto.grants import Granter
from hub.services import trails
from tests.support.redis_scan import dump_values

from .test_ladder import DEST, HOUR, INTAKE, NIGHT, TYPE, plain, received

DIRECTOR, NURSE = "director@harbor.example.org", "sane-day@mercy.example.org"


async def referral_with_content(hub):
    """A submitted referral with an attachment, a reply and a key grant: (sealed, rid,
    ciphertexts)."""
    w = hub.world
    nurse, point = w.first("mercy-hospital", "sender"), w.first(DEST, "point_person")
    sealed = w.seal_referral(nurse, DEST, TYPE, b"{}", attachments=(b"scan" * 100,))
    r = await hub.client.post("/v1/referrals", json=w.submit_body(sealed, DEST, TYPE),
                              headers=nurse.auth)
    assert r.status == 201
    rid = (await r.json())["id"]
    r = await hub.client.put(f"/v1/referrals/{rid}/attachments/0", data=sealed.attachments[0],
                             headers={**nurse.auth, "Content-Type": "application/octet-stream"})
    assert r.status == 201
    reply = w.seal_reply(point, sealed.header.envelope_id, "mercy-hospital", TYPE, b"ok")
    r = await hub.client.post(f"/v1/referrals/{rid}/replies", headers=point.auth,
                              json={"envelope": base64.b64encode(reply.envelope).decode()})
    assert r.status == 201
    night = w.members["harbor-night"].device.certificate
    grant = Granter(point.device).grant(sealed.envelope, night, roster_version=1,
                                        now=int(hub.clock.now()))
    r = await hub.client.post(f"/v1/referrals/{rid}/grants", headers=point.auth,
                              json={"grants": [base64.b64encode(grant).decode()]})
    assert r.status == 201, await r.text()  # a key grant goes with the rest
    return sealed, rid, [sealed.envelope, bytes(sealed.attachments[0]), reply.envelope, grant]


async def acknowledge_as_point(hub, rid: str) -> None:
    referral = await hub.store.referrals.get(rid)
    point = hub.world.first(DEST, "point_person")
    receipt = sign_receipt(point.device, envelope_id=bytes.fromhex(rid),
                           header_hash=bytes.fromhex(referral.header_hash),
                           status=ReceiptStatus.ACKNOWLEDGED, at=int(hub.clock.now()))
    r = await hub.client.post(f"/v1/referrals/{rid}/acknowledge", headers=point.auth,
                              json={"receipt": base64.b64encode(receipt).decode()})
    assert r.status == 200, await r.text()


async def revoke(hub, rid: str, who=None):
    who = who or hub.world.first("mercy-hospital", "sender")
    return await hub.client.post(f"/v1/referrals/{rid}/revoke-consent", headers=who.auth,
                                 json={"reason": "survivor-withdrew"})


async def ciphertext_left(hub, ciphertexts: list[bytes]) -> list[bytes]:
    values = await dump_values(hub.store.redis, hub.store.keys.prefix)
    for key in values:  # a hash's values as they are, not as their repr (key grants)
        if (await hub.store.redis.type(key)) == b"hash":
            values[key] += b"".join((await hub.store.redis.hgetall(key)).values())
    return [k for k, v in values.items() for c in ciphertexts if c[-64:] in v]


async def test_a_withdrawal_deletes_the_content_and_tells_everyone_who_had_access(rig) -> None:
    hub = rig.hub
    _, rid, ciphertexts = await referral_with_content(hub)
    await rig.run_due()
    assert received(rig) == [INTAKE]
    assert await ciphertext_left(hub, ciphertexts)  # the check can see them ...
    r = await revoke(hub, rid)
    assert r.status == 200 and (await r.json())["status"] == "revoked"
    assert await ciphertext_left(hub, ciphertexts) == []  # ... and they are gone

    await rig.run_due()
    told = received(rig)[1:]
    assert sorted(told) == sorted([NURSE, INTAKE, NIGHT, DIRECTOR])
    mail = [m for m in rig.mail.messages[1:]]
    assert all(m["Subject"].endswith(": consent withdrawn") for m in mail)
    assert all("deleted" in plain(m) for m in mail)
    assert await rig.advance(12 * HOUR) == 0  # no escalation after it
    assert await hub.store.timers.size(hub.store.keys.deadlines()) == (0, 0)

    point = hub.world.first(DEST, "point_person")
    r = await hub.client.get(f"/v1/referrals/{rid}/envelope", headers=point.auth)
    assert r.status == 410 and (await r.json())["error"]["code"] == "consent_withdrawn"
    r = await hub.client.get(f"/v1/referrals/{rid}/attachments/0", headers=point.auth)
    assert r.status == 410
    actions = [e.action for e in (await trails.read(hub.store, rid)).events]
    assert "referral.revoked" in actions


async def test_an_escalation_step_in_flight_sends_no_escalation_after_a_withdrawal(rig) -> None:
    hub = rig.hub
    _, rid, _ = await referral_with_content(hub)
    await rig.run_due()
    hub.clock.advance(HOUR)
    assert await rig.ticker.tick() == 1  # the backups' rung is claimed and queued ...
    assert (await revoke(hub, rid)).status == 200  # ... and the withdrawal commits first
    rig.work()
    await rig.run_due()
    later = rig.mail.messages[1:]
    assert [m["Subject"].endswith("consent withdrawn") for m in later] == [True] * len(later)
    assert [t for t in rig.sms.texts if "retirado" not in t["body"]] == []  # the night
    # backup reads Spanish: "el consentimiento ... fue retirado"


async def test_downloads_and_replies_racing_a_withdrawal_leave_no_ciphertext(rig) -> None:
    hub = rig.hub
    w = hub.world
    point = w.first(DEST, "point_person")
    for _ in range(5):
        sealed, rid, ciphertexts = await referral_with_content(hub)
        late = w.seal_reply(point, sealed.header.envelope_id, "mercy-hospital", TYPE, b"late")
        body = {"envelope": base64.b64encode(late.envelope).decode()}
        results = await asyncio.gather(
            hub.client.get(f"/v1/referrals/{rid}/envelope", headers=point.auth),
            hub.client.post(f"/v1/referrals/{rid}/replies", headers=point.auth, json=body),
            revoke(hub, rid),
            hub.client.get(f"/v1/referrals/{rid}/attachments/0", headers=point.auth))
        assert results[2].status == 200
        assert {r.status for r in results} <= {200, 201, 404, 409, 410}  # 404: deleted
        assert await ciphertext_left(hub, [*ciphertexts, late.envelope]) == []


async def test_either_agency_may_record_a_withdrawal_and_nobody_else(rig) -> None:
    hub = rig.hub
    w = hub.world
    _, rid, _ = await referral_with_content(hub)
    coordinator = next(m for m in w.members.values() if "coordinator" in m.roles)
    outsider = w.first("riverside-pd", "point_person")
    assert (await revoke(hub, rid, coordinator)).status == 403
    assert (await revoke(hub, rid, outsider)).status == 404
    assert (await revoke(hub, rid, w.first(DEST, "point_person"))).status == 200
    r = await revoke(hub, rid)
    assert r.status == 409 and (await r.json())["error"]["code"] == "illegal_transition"


async def test_consent_running_out_expires_an_open_referral_and_tells_everyone(rig) -> None:
    hub = rig.hub
    _, rid, ciphertexts = await referral_with_content(hub)
    await rig.run_due()
    await acknowledge_as_point(hub, rid)
    expires_at = (await hub.store.referrals.get(rid)).consent.expires_at
    hub.clock.set(expires_at - 1)
    await rig.run_due()
    point = hub.world.first(DEST, "point_person")
    r = await hub.client.get(f"/v1/referrals/{rid}/envelope", headers=point.auth)
    assert r.status != 410  # one second before: still consent (refused for its age only)
    before = len(received(rig))
    await rig.advance(1)
    referral = await hub.store.referrals.get(rid)
    assert referral.status == "expired"
    assert await ciphertext_left(hub, ciphertexts) == []
    told = rig.mail.messages[before:]
    assert sorted(received(rig)[before:]) == sorted([NURSE, INTAKE, NIGHT, DIRECTOR])
    assert all(m["Subject"].endswith(": consent ran out") for m in told)
    r = await hub.client.get(f"/v1/referrals/{rid}/envelope", headers=point.auth)
    assert r.status == 410 and (await r.json())["error"]["code"] == "consent_expired"


async def test_a_closed_referral_keeps_its_status_but_not_its_content_after_consent(
        rig) -> None:
    hub = rig.hub
    _, rid, ciphertexts = await referral_with_content(hub)
    nurse = hub.world.first("mercy-hospital", "sender")
    r = await hub.client.post(f"/v1/referrals/{rid}/cancel", headers=nurse.auth,
                              json={"reason": "sent-in-error"})
    assert r.status == 200
    hub.clock.set((await hub.store.referrals.get(rid)).consent.expires_at)
    before = len(received(rig))
    await rig.run_due()
    assert (await hub.store.referrals.get(rid)).status == "cancelled"
    assert await ciphertext_left(hub, ciphertexts) == []
    assert len(received(rig)) == before  # nobody to tell: it was closed already
    assert "referral.purged" in [e.action for e in (await trails.read(hub.store, rid)).events]


async def test_a_closed_referrals_content_is_deleted_when_the_agreements_retention_ends(
        rig) -> None:
    hub = rig.hub
    _, rid, ciphertexts = await referral_with_content(hub)
    nurse = hub.world.first("mercy-hospital", "sender")
    r = await hub.client.post(f"/v1/referrals/{rid}/cancel", headers=nurse.auth,
                              json={"reason": "duplicate"})
    assert r.status == 200
    await rig.advance(7 * 24 * HOUR - 60)  # mercy → harbor: kept 7 days after closing
    assert await ciphertext_left(hub, ciphertexts)
    await rig.advance(60)
    assert await ciphertext_left(hub, ciphertexts) == []
    referral = await hub.store.referrals.get(rid)
    assert referral.status == "cancelled" and referral.reply_count == 1  # metadata stays


async def test_a_closed_referrals_lost_retention_and_consent_timers_are_restored(rig) -> None:
    hub = rig.hub
    _, rid, ciphertexts = await referral_with_content(hub)
    nurse = hub.world.first("mercy-hospital", "sender")
    r = await hub.client.post(f"/v1/referrals/{rid}/cancel", headers=nurse.auth,
                              json={"reason": "duplicate"})
    assert r.status == 200
    key = hub.store.keys.deadlines()
    due = {t: await hub.store.timers.due(key, f"{rid}:{t}") for t in ("retain", "consent")}
    await hub.store.redis.zrem(key, f"{rid}:retain", f"{rid}:consent")  # lost, say
    assert await rig.ticker.reconcile() == 2
    assert {t: await hub.store.timers.due(key, f"{rid}:{t}") for t in due} == due
    await rig.advance(7 * 24 * HOUR)  # and the restored retention still deletes the content
    assert await ciphertext_left(hub, ciphertexts) == []


async def test_no_escalation_notice_goes_out_once_consent_has_run_out(rig) -> None:
    hub = rig.hub
    _, rid, _ = await referral_with_content(hub)
    await rig.run_due()
    ends = (await hub.store.referrals.get(rid)).consent.expires_at
    await hub.store.redis.zrem(hub.store.keys.deadlines(), f"{rid}:consent")  # lost, say
    hub.clock.set(ends + 1)
    await hub.store.redis.zadd(hub.store.keys.deadlines(), {f"{rid}:ack": ends})
    before = len(received(rig))
    await rig.run_due()
    assert len(received(rig)) == before  # the rung found consent over and told no one

"""The whole handoff over HTTP: a forensic nurse sends a discharge handoff to the shelter;
the shelter's point person opens, acknowledges, accepts, replies and completes it; the
nurse follows each status and reads the reply. The hub never holds the plaintext."""

from __future__ import annotations

import base64
import json
import logging

from hub.crypto import ReceiptStatus, open_envelope, sign_receipt
from tests.support.redis_scan import dump_values

CANARY = "CANARY-survivor-Jane-Roe-555-0199"
HANDOFF = {"kind": "discharge-handoff", "needs": ["shelter", "advocacy"],
           "safe_contact": {"channels": ["sms"], "voicemail": False, "name": CANARY}}


async def test_discharge_handoff_end_to_end(hub, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    w, c = hub.world, hub.client
    nurse = w.first("mercy-hospital", "sender")
    point = w.first("harbor-house", "point_person")
    sealed = w.seal_referral(nurse, "harbor-house", "discharge-handoff",
                             json.dumps(HANDOFF).encode())
    rid = sealed.header.envelope_id.hex()

    body = w.submit_body(sealed, "harbor-house", "discharge-handoff")
    body["consent"]["share_outcome"] = True  # the survivor wants the nurse to know how it went
    r = await c.post("/v1/referrals", json=body, headers=nurse.auth)
    assert r.status == 201, await r.text()
    submitted = await r.json()
    assert submitted["id"] == rid and submitted["status"] == "requested"
    assert submitted["ack_due_at"] is not None

    r = await c.get("/v1/inbox", headers=point.auth)
    assert [x["id"] for x in (await r.json())["referrals"]] == [rid]

    r = await c.get(f"/v1/referrals/{rid}/envelope", headers=point.auth)
    assert r.status == 200
    opened = open_envelope(await r.read(), device=point.device, trust=w.trust(), now=w.now)
    assert json.loads(opened.content) == HANDOFF

    receipt = sign_receipt(point.device, envelope_id=sealed.header.envelope_id,
                           header_hash=sealed.header.hash, status=ReceiptStatus.ACKNOWLEDGED,
                           at=w.now)
    r = await c.post(f"/v1/referrals/{rid}/acknowledge", headers=point.auth,
                     json={"receipt": base64.b64encode(receipt).decode()})
    assert r.status == 200, await r.text()
    assert (await r.json())["status"] == "received"

    r = await c.post(f"/v1/referrals/{rid}/accept", headers=point.auth)
    assert (await r.json())["status"] == "accepted"

    reply = w.seal_reply(point, sealed.header.envelope_id, "mercy-hospital",
                         "discharge-handoff", b"Bed held until 9pm. " + CANARY.encode())
    r = await c.post(f"/v1/referrals/{rid}/replies", headers=point.auth,
                     json={"envelope": base64.b64encode(reply.envelope).decode()})
    assert r.status == 201, await r.text()

    r = await c.post(f"/v1/referrals/{rid}/complete", headers=point.auth,
                     json={"outcome": "services-provided"})
    assert (await r.json())["status"] == "completed"

    # the nurse follows the referral and reads the reply
    r = await c.get(f"/v1/referrals/{rid}", headers=nurse.auth)
    view = await r.json()
    assert view["status"] == "completed" and view["outcome_code"] == "services-provided"
    assert view["opened_at"] is not None and view["acknowledged_at"] is not None
    r = await c.get(f"/v1/referrals/{rid}/history", headers=nurse.auth)
    actions = [e["action"] for e in (await r.json())["events"]]
    assert actions == ["submitted", "opened", "status.received", "status.accepted", "reply",
                       "status.completed"]
    r = await c.get(f"/v1/referrals/{rid}/replies", headers=nurse.auth)
    (listed,) = (await r.json())["replies"]
    r = await c.get(f"/v1/referrals/{rid}/replies/{listed['id']}", headers=nurse.auth)
    answer = open_envelope(await r.read(), device=nurse.device, trust=w.trust(), now=w.now)
    assert answer.content.startswith(b"Bed held until 9pm.")

    values = await dump_values(hub.store.redis, hub.store.keys.prefix)
    assert values, "the referral is in Redis"
    assert not [k for k, v in values.items() if CANARY.encode() in v or CANARY.encode() in k]
    assert CANARY not in caplog.text


async def test_sender_sees_its_outbox_and_status(hub) -> None:
    w, c = hub.world, hub.client
    nurse = w.first("mercy-hospital", "sender")
    sealed = w.seal_referral(nurse, "harbor-house", "discharge-handoff", b"{}")
    await c.post("/v1/referrals", json=w.submit_body(sealed, "harbor-house",
                                                     "discharge-handoff"), headers=nurse.auth)
    r = await c.get("/v1/outbox?status=requested", headers=nurse.auth)
    assert [x["id"] for x in (await r.json())["referrals"]] == [sealed.header.envelope_id.hex()]
    r = await c.get("/v1/outbox?status=completed", headers=nurse.auth)
    assert (await r.json())["referrals"] == []

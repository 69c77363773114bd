"""Agencies are isolated: every referral endpoint, called by every person of an agency that
neither sent nor received the referral, answers 404 exactly as for a missing referral; the
coordinator sees metadata only, never envelope bytes."""

from __future__ import annotations

import base64

import pytest

from hub.crypto import ReceiptStatus, sign_receipt

DEST, TYPE = "harbor-house", "discharge-handoff"
MISSING = "0" * 32

ENDPOINTS = [  # method, path, body, is_metadata_read
    ("GET", "/v1/referrals/{rid}", None, True),
    ("GET", "/v1/referrals/{rid}/history", None, True),
    ("GET", "/v1/referrals/{rid}/audit", None, True),
    ("GET", "/v1/referrals/{rid}/replies", None, True),
    ("GET", "/v1/referrals/{rid}/envelope", None, False),
    ("GET", "/v1/referrals/{rid}/replies/{reply}", None, False),
    ("GET", "/v1/referrals/{rid}/attachments/0", None, False),
    ("POST", "/v1/referrals/{rid}/acknowledge", "receipt", False),
    ("POST", "/v1/referrals/{rid}/accept", None, False),
    ("POST", "/v1/referrals/{rid}/reject", {"reason": "capacity"}, False),
    ("POST", "/v1/referrals/{rid}/progress", None, False),
    ("POST", "/v1/referrals/{rid}/complete", {"outcome": "other"}, False),
    ("POST", "/v1/referrals/{rid}/cancel", {"reason": "other"}, False),
    ("POST", "/v1/referrals/{rid}/replies", "reply", False),
    ("PUT", "/v1/referrals/{rid}/attachments/1", b"blob", False),
]


@pytest.fixture
async def referral(hub):
    w = hub.world
    nurse, point = w.first("mercy-hospital", "sender"), w.first(DEST, "point_person")
    sealed = w.seal_referral(nurse, DEST, TYPE, b"{}", attachments=(b"scan",))
    r = await hub.client.post("/v1/referrals", json=w.submit_body(sealed, DEST, TYPE),
                              headers=nurse.auth)
    assert r.status == 201, await r.text()
    rid = (await r.json())["id"]
    await hub.client.put(f"/v1/referrals/{rid}/attachments/0", data=sealed.attachments[0],
                         headers={**nurse.auth, "Content-Type": "application/octet-stream"})
    reply = w.seal_reply(point, sealed.header.envelope_id, "mercy-hospital", TYPE, b"ok")
    r = await hub.client.post(f"/v1/referrals/{rid}/replies", headers=point.auth,
                              json={"envelope": base64.b64encode(reply.envelope).decode()})
    assert r.status == 201
    return sealed, rid, (await r.json())["id"], point


async def _call(hub, who, method, path, body, sealed, point):
    headers = dict(who.auth)
    kwargs: dict = {}
    if body == "receipt":
        receipt = sign_receipt(point.device, envelope_id=sealed.header.envelope_id,
                               header_hash=sealed.header.hash,
                               status=ReceiptStatus.ACKNOWLEDGED, at=hub.world.now)
        kwargs["json"] = {"receipt": base64.b64encode(receipt).decode()}
    elif body == "reply":
        kwargs["json"] = {"envelope": base64.b64encode(sealed.envelope).decode()}
    elif isinstance(body, bytes):
        kwargs["data"] = body
        headers["Content-Type"] = "application/octet-stream"
    elif body is not None:
        kwargs["json"] = body
    return await hub.client.request(method, path, headers=headers, **kwargs)


def outsiders(world):
    return [m for m in world.members.values()
            if m.agency not in ("mercy-hospital", DEST) and "coordinator" not in m.roles]


async def test_outsiders_get_404_everywhere_exactly_as_for_a_missing_referral(hub, referral):
    sealed, rid, reply_id, point = referral
    people = outsiders(hub.world)
    assert len({m.agency for m in people}) >= 3
    for who in people:
        for method, template, body, _ in ENDPOINTS:
            real = await _call(hub, who, method, template.format(rid=rid, reply=reply_id), body,
                               sealed, point)
            missing = await _call(hub, who, method, template.format(rid=MISSING, reply=reply_id),
                                  body, sealed, point)
            assert real.status == 404, (who.person, method, template, await real.text())
            real_error = (await real.json())["error"]
            missing_error = (await missing.json())["error"]
            assert real_error["code"] == missing_error["code"] == "not_found"
            assert real_error["message"].replace(rid, MISSING) == missing_error["message"]
        for listing in ("/v1/inbox", "/v1/outbox"):
            r = await hub.client.get(listing, headers=who.auth)
            assert rid not in await r.text()


async def test_coordinator_sees_metadata_and_never_content(hub, referral):
    sealed, rid, reply_id, point = referral
    coordinator = next(m for m in hub.world.members.values() if "coordinator" in m.roles)
    before = (await (await hub.client.get(f"/v1/referrals/{rid}", headers=point.auth)).json())
    for method, template, body, metadata in ENDPOINTS:
        r = await _call(hub, coordinator, method, template.format(rid=rid, reply=reply_id), body,
                        sealed, point)
        text = await r.text()
        if metadata:
            assert r.status == 200, (template, text)
        else:
            assert r.status == 403, (method, template, text)
        assert base64.b64encode(sealed.envelope[-64:]).decode() not in text
    after = (await (await hub.client.get(f"/v1/referrals/{rid}", headers=point.auth)).json())
    assert after["status"] == before["status"] == "requested"


async def test_unauthenticated_calls_are_401_and_audited(hub, referral):
    _, rid, _, _ = referral
    before = await hub.store.audit.length()
    r = await hub.client.get(f"/v1/referrals/{rid}")
    assert r.status == 401 and (await r.json())["error"]["code"] == "unauthorized"
    r = await hub.client.get(f"/v1/referrals/{rid}", headers={"Authorization": "Bearer nope"})
    assert r.status == 401
    events = (await hub.store.audit.events())[before:]
    assert [e.outcome for e in events] == ["denied", "denied"]

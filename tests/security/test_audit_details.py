"""Issue 17, 10: the audit log says enough to act on. A failed sign-in names the token id
(its public part), the client address and the hub's request id; a client's own X-Request-Id
is kept as client_request_id, apart from the hub's; and a repeat that changes nothing (the
same attachment, the same reply, the same roster again) is audited like the first."""

from __future__ import annotations

import base64
import secrets

from .conftest import submit

DEST, TYPE = "harbor-house", "discharge-handoff"


async def _events(hub, **match) -> list:
    return [e for e in await hub.store.audit.events()
            if all(getattr(e, k) == v for k, v in match.items())]


async def test_a_failed_sign_in_names_the_token_id_the_address_and_the_request(hub) -> None:
    nurse = hub.world.first("mercy-hospital", "sender")
    token_id = nurse.token.split("_", 2)[1]
    wrong = secrets.token_urlsafe(32)  # base64url: it may hold '_' too
    r = await hub.client.get("/v1/inbox", headers={
        "Authorization": f"Bearer ccr_{token_id}_{wrong}"})
    assert r.status == 401
    (event,) = await _events(hub, action="auth")
    assert (event.token_id, event.client, event.request_id) == (
        token_id, "127.0.0.1", r.headers["X-Request-Id"])
    assert wrong not in event.model_dump_json()  # never the secret it was given


async def test_the_clients_request_id_is_kept_apart_from_the_hubs(hub) -> None:
    nurse = hub.world.first("mercy-hospital", "sender")
    r = await hub.client.get("/v1/outbox", headers={**nurse.auth,
                                                    "X-Request-Id": "ehr-batch-7-item-3"})
    ours = r.headers["X-Request-Id"]
    assert r.status == 200 and ours != "ehr-batch-7-item-3"
    (event,) = await _events(hub, action="referral.outbox")
    assert (event.request_id, event.client_request_id) == (ours, "ehr-batch-7-item-3")


async def test_a_repeat_that_changes_nothing_is_audited_too(hub) -> None:
    w = hub.world
    nurse, point = w.first("mercy-hospital", "sender"), w.first(DEST, "point_person")
    rid, sealed = await submit(hub, attachments=(b"scan",))
    reply = w.seal_reply(point, sealed.header.envelope_id, "mercy-hospital", TYPE, b"ok")
    admin = w.first(DEST, "agency_admin")
    roster = w.rosters[DEST].to_json()
    for expected in (201, 200):
        r = await hub.client.put(f"/v1/referrals/{rid}/attachments/0",
                                 data=bytes(sealed.attachments[0]), headers={
                                     **nurse.auth, "Content-Type": "application/octet-stream"})
        assert r.status == expected, await r.text()
        r = await hub.client.post(f"/v1/referrals/{rid}/replies", headers=point.auth, json={
            "envelope": base64.b64encode(reply.envelope).decode()})
        assert r.status == expected, await r.text()
    r = await hub.client.put(f"/v1/agencies/{DEST}/roster", json=roster, headers=admin.auth)
    assert r.status == 200, await r.text()  # the published roster again: nothing new
    for action in ("attachment.upload", "reply.post"):
        assert [e.outcome for e in await _events(hub, action=action)] == ["ok", "existing"]
    published = await _events(hub, action="roster.publish", actor=admin.person)
    assert [e.outcome for e in published] == ["ok", "unchanged"]  # install_world's, then this

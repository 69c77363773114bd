"""Issue 17, 1-3, as the attacker's-eye test reproduced them: what the sharing agreement or
the survivor's consent keeps from the sending agency stays out of every answer it gets, the
answers to its own changes and refusals included, and out of its admin's audit trail."""

from __future__ import annotations

import base64

from hub.crypto import ReceiptStatus, sign_receipt

from .conftest import submit

ADVOCACY, KIND = "bridge-advocacy", "advocacy-request"


async def _submit(hub, sender, dest: str, kind: str, *, share_outcome: bool = False):
    return await submit(hub, sender.person, dest, kind, share_outcome=share_outcome)


async def _as(hub, who, step: str, rid: str, doc: dict | None = None, sealed=None) -> dict:
    if step == "acknowledge":
        receipt = sign_receipt(who.device, envelope_id=sealed.header.envelope_id,
                               header_hash=sealed.header.hash,
                               status=ReceiptStatus.ACKNOWLEDGED, at=int(hub.clock.now()))
        doc = {"receipt": base64.b64encode(receipt).decode()}
    r = await hub.client.post(f"/v1/referrals/{rid}/{step}", json=doc, headers=who.auth)
    assert r.status == 200, await r.text()
    return await r.json()


def _prosecution(hub):
    w = hub.world
    return w.first("county-prosecutor", "sender"), w.first(ADVOCACY, "point_person")


async def test_the_senders_own_changes_answer_only_what_it_may_know(hub) -> None:
    """1. prosecutor-vw sends to bridge-advocacy (status_flows_back = false); the advocate
    declines with 'survivor-declined'. The prosecutor's no-op narrowing of consent, its
    withdrawal and its cancellation all answer the referral as sent."""
    prosecutor, advocate = _prosecution(hub)
    rid, sealed = await _submit(hub, prosecutor, ADVOCACY, KIND)
    hub.clock.advance(60)
    await _as(hub, advocate, "acknowledge", rid, sealed=sealed)
    await _as(hub, advocate, "reject", rid, {"reason": "survivor-declined"})
    hub.clock.advance(60)
    seen = await _as(hub, prosecutor, "consent", rid, {"share_outcome": False})
    assert (seen["status"], seen["reason_code"], seen["acknowledged_at"]) == (
        "requested", None, None)
    seen = await _as(hub, prosecutor, "cancel", rid, {"reason": "survivor-request"})
    assert (seen["status"], seen["reason_code"]) == ("cancelled", "survivor-request")
    seen = await _as(hub, prosecutor, "revoke-consent", rid, {"reason": "survivor-withdrew"})
    assert seen["status"] == "revoked" and seen["acknowledged_at"] is None


async def test_narrowed_consent_hides_the_outcome_from_the_answer_to_narrowing(hub) -> None:
    """1. The same where the survivor's narrowed consent hides the outcome: the shelter
    closes with an outcome the survivor had agreed to share, the survivor takes it back,
    and the hospital's own (repeatable, no-op) narrowing answers without the outcome."""
    w = hub.world
    nurse, point = w.first("mercy-hospital", "sender"), w.first("harbor-house", "point_person")
    rid, sealed = await _submit(hub, nurse, "harbor-house", "discharge-handoff",
                                share_outcome=True)
    await _as(hub, point, "acknowledge", rid, sealed=sealed)
    await _as(hub, point, "accept", rid)
    await _as(hub, point, "complete", rid, {"outcome": "survivor-declined"})
    await _as(hub, point, "consent", rid, {"share_outcome": False})
    for _ in range(2):
        seen = await _as(hub, nurse, "consent", rid, {"share_outcome": False})
        assert (seen["status"], seen["outcome_code"]) == ("completed", None)


async def test_the_sending_agencys_admin_reads_only_its_own_doings_in_the_audit_trail(
        hub) -> None:
    """2. /audit listed referral.download, referral.received and referral.rejected by the
    advocate to the prosecutor's admin, while /history showed only 'submitted'."""
    prosecutor, advocate = _prosecution(hub)
    admin = hub.world.first("county-prosecutor", "agency_admin")
    rid, sealed = await _submit(hub, prosecutor, ADVOCACY, KIND)
    r = await hub.client.get(f"/v1/referrals/{rid}/envelope", headers=advocate.auth)
    assert r.status == 200
    await _as(hub, advocate, "acknowledge", rid, sealed=sealed)
    await _as(hub, advocate, "reject", rid, {"reason": "survivor-declined"})
    r = await hub.client.get(f"/v1/referrals/{rid}/audit", headers=admin.auth)
    assert r.status == 200
    events = (await r.json())["events"]
    assert {e["agency"] for e in events} == {"county-prosecutor"}
    assert not {e["action"] for e in events} & {"referral.download", "referral.received",
                                                "referral.rejected"}
    history = await (await hub.client.get(f"/v1/referrals/{rid}/history",
                                          headers=admin.auth)).json()
    assert [e["action"] for e in history["events"]] == ["submitted"]


async def test_no_count_time_or_refusal_gives_away_what_the_advocate_did(hub) -> None:
    """3. cancel answered 409 on a referral the prosecutor must believe open; updated_at
    moved with each hidden change; reply_count counted the advocate's replies."""
    prosecutor, advocate = _prosecution(hub)
    rid, sealed = await _submit(hub, prosecutor, ADVOCACY, KIND)
    before = await (await hub.client.get(f"/v1/referrals/{rid}", headers=prosecutor.auth)).json()
    hub.clock.advance(3600)
    await _as(hub, advocate, "acknowledge", rid, sealed=sealed)
    reply = hub.world.seal_reply(advocate, sealed.header.envelope_id, "county-prosecutor", KIND,
                                 b"we met her", now=int(hub.clock.now()))
    r = await hub.client.post(f"/v1/referrals/{rid}/replies", headers=advocate.auth,
                              json={"envelope": base64.b64encode(reply.envelope).decode()})
    assert r.status == 403 and (await r.json())["error"]["code"] == "reply_not_shared"
    await _as(hub, advocate, "accept", rid)
    await _as(hub, advocate, "complete", rid, {"outcome": "services-provided"})
    after = await (await hub.client.get(f"/v1/referrals/{rid}", headers=prosecutor.auth)).json()
    assert after == before
    r = await hub.client.post(f"/v1/referrals/{rid}/cancel", headers=prosecutor.auth,
                              json={"reason": "other"})
    assert r.status == 200 and (await r.json())["status"] == "cancelled"
    replies = await (await hub.client.get(f"/v1/referrals/{rid}/replies",
                                          headers=prosecutor.auth)).json()
    assert replies["replies"] == []

"""What flows back to the sender: the outcome of a referral reaches the sending agency only
when its sharing agreement lets outcomes flow back and the survivor agreed
(consent.share_outcome); otherwise the sender sees that it closed, not how. The receiving
agency and the coordinators see the codes."""

from __future__ import annotations

import base64

from hub.crypto import ReceiptStatus, sign_receipt
from hub.models import Consent, Referral, Status
from hub.services.flowback import Reach, reach
from hub.services.principal import Principal

DEST, TYPE = "harbor-house", "discharge-handoff"


async def completed(hub, *, share_outcome: bool) -> str:
    w = hub.world
    nurse, point = w.first("mercy-hospital", "sender"), w.first(DEST, "point_person")
    sealed = w.seal_referral(nurse, DEST, TYPE, b"{}")
    body = w.submit_body(sealed, DEST, TYPE)
    body["consent"]["share_outcome"] = share_outcome
    r = await hub.client.post("/v1/referrals", json=body, headers=nurse.auth)
    assert r.status == 201, await r.text()
    rid = (await r.json())["id"]
    receipt = sign_receipt(point.device, envelope_id=sealed.header.envelope_id,
                           header_hash=sealed.header.hash, status=ReceiptStatus.ACKNOWLEDGED,
                           at=int(hub.clock.now()))
    steps = [("acknowledge", {"receipt": base64.b64encode(receipt).decode()}),
             ("accept", None), ("complete", {"outcome": "services-provided"})]
    for step, doc in steps:
        r = await hub.client.post(f"/v1/referrals/{rid}/{step}", headers=point.auth, json=doc)
        assert r.status == 200, await r.text()
    return rid


async def seen(hub, who, rid: str) -> tuple[str, str | None, list]:
    doc = await (await hub.client.get(f"/v1/referrals/{rid}", headers=who.auth)).json()
    history = await (await hub.client.get(f"/v1/referrals/{rid}/history",
                                          headers=who.auth)).json()
    codes = [e.get("code") for e in history["events"] if e.get("to_status") == "completed"]
    return doc["status"], doc["outcome_code"], codes


async def test_the_sender_learns_the_outcome_only_when_the_survivor_agreed(hub) -> None:
    nurse = hub.world.first("mercy-hospital", "sender")
    shared = await completed(hub, share_outcome=True)
    private = await completed(hub, share_outcome=False)
    assert await seen(hub, nurse, shared) == ("completed", "services-provided",
                                              ["services-provided"])
    assert await seen(hub, nurse, private) == ("completed", None, [None])
    outbox = await (await hub.client.get("/v1/outbox", headers=nurse.auth)).json()
    codes = {r["id"]: r["outcome_code"] for r in outbox["referrals"]}
    assert codes[shared] == "services-provided" and codes[private] is None


async def test_the_receiving_agency_and_coordinators_see_the_outcome(hub) -> None:
    private = await completed(hub, share_outcome=False)
    w = hub.world
    coordinator = next(m for m in w.members.values() if "coordinator" in m.roles)
    for who in (w.first(DEST, "point_person"), coordinator):
        assert (await seen(hub, who, private))[1] == "services-provided"


def test_without_an_agreement_letting_outcomes_flow_back_consent_is_not_enough(hub) -> None:
    ccr = hub.services.ccr
    advocate = Principal("bridge-advocate", "bridge-advocacy", frozenset({"sender"}), "t")
    consent = Consent(agency=DEST, purposes=("shelter-request",), given_at=0,
                      method="written", documented_by="bridge-advocate", expires_at=1,
                      share_outcome=True)
    referral = Referral(id="0" * 32, status=Status.COMPLETED, generation=1,
                        sender_agency="bridge-advocacy", sender_person="bridge-advocate",
                        destination=DEST, type="shelter-request", urgency="urgent",
                        created_at=0, expires_at=1, submitted_at=0, updated_at=0,
                        header_hash="", envelope_digest="", consent=consent,
                        outcome_code="services-provided")
    assert ccr.agreement("bridge-advocacy", DEST, "shelter-request").outcome_flows_back is False
    assert reach(advocate, referral, ccr) is Reach.STATUS  # the status, not the outcome


async def test_the_survivor_can_narrow_consent_later_but_never_widen_it(hub) -> None:
    w = hub.world
    nurse, point = w.first("mercy-hospital", "sender"), w.first(DEST, "point_person")
    rid = await completed(hub, share_outcome=True)
    coordinator = next(m for m in w.members.values() if "coordinator" in m.roles)
    url = f"/v1/referrals/{rid}/consent"
    assert (await hub.client.post(url, headers=coordinator.auth,
                                  json={"share_outcome": False})).status == 403
    r = await hub.client.post(url, headers=point.auth, json={"share_outcome": False})
    assert r.status == 200 and (await r.json())["share_outcome"] is False
    assert (await seen(hub, nurse, rid))[1] is None  # the nurse no longer learns it
    r = await hub.client.post(url, headers=nurse.auth, json={"share_outcome": True})
    assert r.status == 403 and (await r.json())["error"]["code"] == "consent_widened"
    history = await (await hub.client.get(f"/v1/referrals/{rid}/history",
                                          headers=point.auth)).json()
    assert [e["actor"] for e in history["events"] if e["action"] == "consent.narrowed"] == [
        point.person]


async def test_when_status_does_not_flow_back_the_sender_sees_only_what_it_did(hub) -> None:
    w = hub.world
    prosecutor = w.first("county-prosecutor", "sender")
    advocate = w.first("bridge-advocacy", "point_person")
    kind = "advocacy-request"
    sealed = w.seal_referral(prosecutor, "bridge-advocacy", kind, b"{}")
    r = await hub.client.post("/v1/referrals", json=w.submit_body(sealed, "bridge-advocacy",
                                                                  kind), headers=prosecutor.auth)
    assert r.status == 201, await r.text()
    rid = (await r.json())["id"]
    receipt = sign_receipt(advocate.device, envelope_id=sealed.header.envelope_id,
                           header_hash=sealed.header.hash, status=ReceiptStatus.ACKNOWLEDGED,
                           at=int(hub.clock.now()))
    for step, doc in (("acknowledge", {"receipt": base64.b64encode(receipt).decode()}),
                      ("accept", None), ("complete", {"outcome": "services-provided"})):
        r = await hub.client.post(f"/v1/referrals/{rid}/{step}", headers=advocate.auth, json=doc)
        assert r.status == 200, await r.text()

    view = await (await hub.client.get(f"/v1/referrals/{rid}", headers=prosecutor.auth)).json()
    assert (view["status"], view["acknowledged_at"], view["outcome_code"]) == (
        "requested", None, None)
    history = await (await hub.client.get(f"/v1/referrals/{rid}/history",
                                          headers=prosecutor.auth)).json()
    assert [e["action"] for e in history["events"]] == ["submitted"]
    for status, expected in (("completed", []), ("requested", [rid])):
        listed = await (await hub.client.get(f"/v1/outbox?status={status}",
                                             headers=prosecutor.auth)).json()
        assert [x["id"] for x in listed["referrals"]] == expected
    r = await hub.client.post(f"/v1/referrals/{rid}/cancel", headers=prosecutor.auth,
                              json={"reason": "other"})  # as for a referral still waiting
    assert r.status == 200 and (await r.json())["status"] == "cancelled"
    assert (await seen(hub, advocate, rid))[0] == "completed"  # the advocate's own view

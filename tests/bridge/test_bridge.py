"""The hospital's bridge end to end: a synthetic EHR posts a handoff Bundle over HTTP, the
bridge seals it, the shelter opens it safety first and moves it along, and the EHR learns
each status by polling the bridge and through the Task updates written back to it. The
canary in the Patient's name, the C-CDA and the ServiceRequest's note reaches nothing of
the hub's."""

from __future__ import annotations

import logging

from hub.api import fhir
from hub.api.contents import DischargeHandoff
from hub.client.agent import Agent
from hub.client.api import HubApi
from hub.client.reading import as_text
from tests.bridge.ehr import CANARY, CCDA, handoff_bundle


async def _all_of_redis(hub) -> bytes:
    r, out = hub.store.redis, []
    async for key in r.scan_iter(match=f"{hub.store.keys.prefix}:*", count=1000):
        kind = (await r.type(key)).decode()
        out.append(key)
        if kind == "string":
            out.append(await r.get(key))
        elif kind == "hash":
            out += [b"".join(p) for p in (await r.hgetall(key)).items()]
        elif kind == "list":
            out += await r.lrange(key, 0, -1)
        elif kind == "zset":
            out += [m for m, _ in await r.zrange(key, 0, -1, withscores=True)]
        elif kind == "set":
            out += list(await r.smembers(key))
        elif kind == "stream":
            out += [b"".join(b"".join(p) for p in f.items())
                    for _, f in await r.xrange(key)]
    return b"\n".join(out)


async def test_an_ehr_handoff_reaches_the_shelter_safety_first_and_status_flows_back(
        bridged, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    hub, ehr = bridged.hub, bridged.ehr
    r = await ehr.post("/fhir/R4", json=handoff_bundle(hub.clock.now()))
    assert r.status == 200, await r.text()
    reply = fhir.checked(await r.json(), "Bundle")
    created = reply["entry"][0]
    assert created["response"]["status"] == "201 Created"
    task = created["resource"]
    assert task["status"] == "requested" and task["focus"] == {
        "reference": "ServiceRequest/sr-881"} and task["for"] == {"reference": "Patient/pt-42"}
    rid = task["id"]

    point = hub.world.first("harbor-house", "point_person")
    shelter = Agent(HubApi(str(hub.client.make_url("")), point.token), point.device,
                    hub.world.trust(), clock=hub.clock.now)
    try:
        received = await shelter.open(rid)
        handoff = received.parsed()
        assert isinstance(handoff, DischargeHandoff)
        text = as_text(handoff)
        assert text.startswith("SAFETY FIRST") and "Do NOT leave a voicemail" in text
        assert "+15555550123" in text and "+15555550999" not in text  # not Patient.telecom
        assert received.attachments == (CCDA,)
        assert handoff.attachment_names == ("discharge-summary.xml",)
        await shelter.acknowledge(received)
        await shelter.api.move(rid, "accept")
        polled = await (await ehr.get(f"/fhir/R4/Task/{rid}")).json()
        assert polled["status"] == "accepted" and polled["focus"]["reference"] == \
            "ServiceRequest/sr-881"
        await shelter.api.move(rid, "complete", {"outcome": "services-provided"})
    finally:
        await shelter.api.close()
    found = await (await ehr.get("/fhir/R4/Task", params={"_id": rid})).json()
    assert [e["resource"]["status"] for e in found["entry"]] == ["completed"]

    stored = await _all_of_redis(hub)
    assert stored and CANARY.encode() not in stored
    assert CANARY not in caplog.text


async def test_a_handoff_without_safe_contact_preferences_is_refused_and_nothing_sent(
        bridged) -> None:
    r = await bridged.ehr.post("/fhir/R4", json=handoff_bundle(bridged.hub.clock.now(),
                                                               safe_contact=False))
    assert r.status == 422
    outcome = fhir.checked(await r.json(), "OperationOutcome")
    assert "safe-contact" in outcome["issue"][0]["diagnostics"]
    assert await bridged.hub.store.referrals.count(
        bridged.hub.store.keys.outbox("mercy-hospital")) == 0


async def test_malformed_bundles_are_operation_outcomes(bridged) -> None:
    ehr = bridged.ehr
    cases = [(b"{", 400), (b'{"resourceType": "Bundle", "type": "nonsense"}', 422),
             (b'{"resourceType": "Bundle", "type": "batch"}', 422),
             (b'{"resourceType": "Patient", "name": 5}', 400)]
    for raw, status in cases:
        r = await ehr.post("/fhir/R4", data=raw, headers={"Content-Type": fhir.FHIR_JSON})
        assert r.status == status, (raw, await r.text())
        fhir.checked(await r.json(), "OperationOutcome")
    bundle = handoff_bundle(bridged.hub.clock.now(), destination="county-prosecutor")
    r = await ehr.post("/fhir/R4", json=bundle)  # no agreement for that destination
    assert r.status in (403, 409) and "hub refused" in (await r.json())["issue"][0][
        "diagnostics"]


async def test_each_status_is_written_back_to_the_ehr_as_a_task_update(bridged,
                                                                     aiohttp_server) -> None:
    import aiohttp

    from hub.bridge.relay import Relay
    from tests.bridge.ehr import Ehr

    hub, ehr_server = bridged.hub, Ehr()
    server = await aiohttp_server(ehr_server.app())
    async with aiohttp.ClientSession() as session:
        relay = Relay(bridged.bridge, str(server.make_url("/fhir")), session)
        r = await bridged.ehr.post("/fhir/R4", json=handoff_bundle(hub.clock.now()))
        rid = (await r.json())["entry"][0]["resource"]["id"]
        assert await relay.once() == 1
        point = hub.world.first("harbor-house", "point_person")
        shelter = Agent(HubApi(str(hub.client.make_url("")), point.token), point.device,
                        hub.world.trust(), clock=hub.clock.now)
        try:
            await shelter.acknowledge(await shelter.open(rid))
            hub.clock.advance(5)
            assert await relay.once() == 1
            assert await relay.once() == 0  # nothing new: nothing written again
            for action, body in (("accept", None), ("progress", None),
                                 ("complete", {"outcome": "services-provided"})):
                hub.clock.advance(5)
                await shelter.api.move(rid, action, body)
                await relay.once()
        finally:
            await shelter.api.close()
    assert [t["status"] for t in ehr_server.tasks] == [
        "requested", "received", "accepted", "in-progress", "completed"]
    assert all(t["focus"] == {"reference": "ServiceRequest/sr-881"} for t in ehr_server.tasks)

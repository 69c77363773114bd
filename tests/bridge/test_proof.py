"""The issue's proof in one flow: a synthetic EHR (a SMART client of the hub, subscribed
to its Tasks) posts a handoff Bundle with a C-CDA to its bridge over HTTP; the shelter
opens it safety first, acknowledges, accepts and completes; the EHR receives each status
through its Subscription (id-only, signed) and reads each by polling the bridge; the
canary in the Patient's name, the C-CDA and the ServiceRequest's note reaches no Redis
key or value, log line or notification of the hub's."""

from __future__ import annotations

import json
import logging

from hub.adapters.resthook import SIGNATURE, TIMESTAMP, signature
from hub.api import fhir
from hub.bridge.app import create_bridge_app
from hub.bridge.core import Bridge
from hub.client.agent import Agent
from hub.client.api import HubApi
from hub.client.reading import as_text
from tests.bridge.ehr import CANARY, CCDA, handoff_bundle
from tests.bridge.test_bridge import _all_of_redis
from tests.fhir.conftest import fhir_hub  # noqa: F401 - the hub with SMART clients
from tests.fhir.test_subscriptions import Endpoint, _deliver_due, _subscription


async def test_ehr_to_shelter_and_back_through_the_subscription_and_polling(
        fhir_hub, aiohttp_client, aiohttp_server, caplog) -> None:  # noqa: F811
    caplog.set_level(logging.DEBUG)
    hub = fhir_hub
    endpoint = Endpoint()
    hooks = await aiohttp_server(endpoint.app())
    ehr_token = await hub.token("mercy-ehr")
    r = await hub.client.post("/fhir/R4/Subscription", headers={
        "Authorization": f"Bearer {ehr_token}"}, json=_subscription(
        str(hooks.make_url("/hooks/tasks")), "Task?requester=Organization/mercy-hospital"))
    assert r.status == 201

    me = hub.world.members["mercy-ehr"]
    api = HubApi(str(hub.client.make_url("")), me.token)
    bridge = Bridge(Agent(api, me.device, hub.world.trust(), clock=hub.clock.now),
                    hub.clock.now)
    ehr = await aiohttp_client(create_bridge_app(bridge))
    point = hub.world.first("harbor-house", "point_person")
    shelter = Agent(HubApi(str(hub.client.make_url("")), point.token), point.device,
                    hub.world.trust(), clock=hub.clock.now)
    polled, notified = [], []
    try:
        r = await ehr.post("/fhir/R4", json=handoff_bundle(hub.clock.now()))
        rid = (await r.json())["entry"][0]["resource"]["id"]

        async def ehr_learns() -> None:
            hub.clock.advance(1)
            assert set(await _deliver_due(hub)) <= {"sent"}
            task = await (await ehr.get(f"/fhir/R4/Task/{rid}")).json()
            polled.append(fhir.checked(task, "Task")["status"])

        await ehr_learns()
        received = await shelter.open(rid)
        assert as_text(received.parsed()).startswith("SAFETY FIRST")
        assert received.attachments == (CCDA,)
        await shelter.acknowledge(received)
        await ehr_learns()
        for action, body in (("accept", None), ("complete", {"outcome": "services-provided"})):
            await shelter.api.move(rid, action, body)
            await ehr_learns()
    finally:
        await shelter.api.close()
        await api.close()

    assert polled == ["requested", "received", "accepted", "completed"]
    for headers, body in endpoint.received:
        assert headers[SIGNATURE] == signature(b"hook-secret-of-mercy-ehr",
                                               headers[TIMESTAMP], body)
        bundle = json.loads(body)
        notified.append(bundle["entry"][0]["resource"]["parameter"][4]["valueString"])
        assert bundle["entry"][1]["fullUrl"].endswith(f"/Task/{rid}")
    # one per change: sent, opened (the receipt, at the moment it was acknowledged, so the
    # two may come in either order), and each status
    assert sorted(notified) == ["1", "2", "3", "4", "5"]

    everything = await _all_of_redis(hub) + b"".join(b for _, b in endpoint.received)
    assert CANARY.encode() not in everything and CANARY not in caplog.text

"""Subscriptions (R4 backport): the EHR subscribes to its Tasks, and each status change
reaches its loopback endpoint as an id-only notification signed with its secret, through
the notice deliveries queue with its backoff and dead-letter; $status counts the events."""

from __future__ import annotations

import json

from aiohttp import web

from hub.adapters.resthook import SIGNATURE, TIMESTAMP, signature
from hub.api import fhir
from hub.crypto import Urgency
from hub.services.subscriptions import FILTER, PAYLOAD, TOPIC
from hub.store.subscriptions import HOOK
from tests.fhir.conftest import DEST, receipt


class Endpoint:
    """The EHR's rest-hook endpoint: answers each POST with the next of ``answers``."""

    def __init__(self, answers=()):
        self.answers = list(answers)
        self.received: list[tuple[dict, bytes]] = []

    def app(self) -> web.Application:
        app = web.Application()

        async def hook(request: web.Request) -> web.Response:
            self.received.append((dict(request.headers), await request.read()))
            return web.Response(status=self.answers.pop(0) if self.answers else 200)

        app.router.add_post("/hooks/tasks", hook)
        return app


def _subscription(endpoint: str, filters: str) -> dict:
    return {"resourceType": "Subscription", "status": "requested", "reason": "EHR",
            "criteria": TOPIC,
            "_criteria": {"extension": [{"url": FILTER, "valueString": filters}]},
            "channel": {"type": "rest-hook", "endpoint": endpoint,
                        "payload": fhir.FHIR_JSON,
                        "_payload": {"extension": [{"url": PAYLOAD, "valueCode": "id-only"}]}}}


async def _deliver_due(fhir_hub) -> list[str]:
    """What the ticker and a worker do with the due deliveries: claim them under a lease,
    then send each (the real engine)."""
    engine = fhir_hub.services.engine({}, "http://127.0.0.1:8080")
    due = await fhir_hub.store.timers.claim(fhir_hub.store.keys.deliveries(),
                                            fhir_hub.clock.now(), 60, 100)
    return [await engine.delivery.deliver(m) for m, _ in due if m.startswith(HOOK)]


async def _subscribe(fhir_hub, aiohttp_server, endpoint: Endpoint, filters: str):
    server = await aiohttp_server(endpoint.app())
    token = await fhir_hub.token("mercy-ehr")
    auth = {"Authorization": f"Bearer {token}"}
    r = await fhir_hub.client.post("/fhir/R4/Subscription", headers=auth, json=_subscription(
        str(server.make_url("/hooks/tasks")), filters))
    assert r.status == 201, await r.text()
    return (await r.json())["id"], auth


async def test_each_change_reaches_the_ehr_id_only_and_signed(fhir_hub, aiohttp_server) -> None:
    endpoint = Endpoint()
    sid, auth = await _subscribe(fhir_hub, aiohttp_server, endpoint,
                                 "Task?requester=Organization/mercy-hospital")
    sealed, rid = await fhir_hub.submitted()
    point = fhir_hub.world.first(DEST, "point_person")
    life = fhir_hub.services.lifecycle
    await life.acknowledge(point.principal(), rid, receipt(point, sealed))
    await life.accept(point.principal(), rid)
    await life.complete(point.principal(), rid, "services-provided")
    assert await _deliver_due(fhir_hub) == ["sent"] * 4
    events = []
    for headers, body in endpoint.received:
        assert headers[SIGNATURE] == signature(b"hook-secret-of-mercy-ehr", headers[TIMESTAMP],
                                               body)
        bundle = fhir.checked(json.loads(body), "Bundle")
        assert "resource" not in bundle["entry"][1]  # id-only
        assert bundle["entry"][1]["fullUrl"].endswith(f"/Task/{rid}")
        events.append(bundle["entry"][0]["resource"]["parameter"][4]["valueString"])
    assert sorted(events) == ["1", "2", "3", "4"] and b"CANARY" not in b"".join(
        b for _, b in endpoint.received)
    r = await fhir_hub.client.get(f"/fhir/R4/Subscription/{sid}/$status", headers=auth)
    status = fhir.checked(await r.json(), "Parameters")
    assert {p["name"]: p.get("valueString") or p.get("valueCode")
            for p in status["parameter"]}["events-since-subscription-start"] == "4"


async def test_a_failing_endpoint_is_retried_with_backoff_then_dead_lettered(
        fhir_hub, aiohttp_server) -> None:
    endpoint = Endpoint([503, 200])
    sid, auth = await _subscribe(fhir_hub, aiohttp_server, endpoint, "Task?status=requested")
    await fhir_hub.submitted()
    assert await _deliver_due(fhir_hub) == ["retry"]
    assert await _deliver_due(fhir_hub) == []  # not due yet
    fhir_hub.clock.advance(30)
    assert await _deliver_due(fhir_hub) == ["sent"] and len(endpoint.received) == 2

    endpoint.answers = [410]
    await fhir_hub.submitted()
    assert await _deliver_due(fhir_hub) == ["dead"]
    r = await fhir_hub.client.get(f"/fhir/R4/Subscription/{sid}", headers=auth)
    body = fhir.checked(await r.json(), "Subscription")
    assert body["status"] == "error" and "410" in body["error"]


async def test_filters_and_other_agencies(fhir_hub, aiohttp_server) -> None:
    endpoint = Endpoint()
    sid, auth = await _subscribe(fhir_hub, aiohttp_server, endpoint, "Task?status=completed")
    await fhir_hub.submitted()
    assert await _deliver_due(fhir_hub) == []  # requested: filtered out
    harbor = await fhir_hub.token("harbor-cms")
    r = await fhir_hub.client.get(f"/fhir/R4/Subscription/{sid}",
                                  headers={"Authorization": f"Bearer {harbor}"})
    assert r.status == 404
    r = await fhir_hub.client.post("/fhir/R4/Subscription", headers=auth, json=_subscription(
        "http://127.0.0.1:1/x", "Task?patient=1"))
    assert r.status == 400 and fhir.checked(await r.json(), "OperationOutcome")
    r = await fhir_hub.client.delete(f"/fhir/R4/Subscription/{sid}", headers=auth)
    assert r.status == 204


async def test_a_drill_never_reaches_the_ehr(fhir_hub, aiohttp_server) -> None:
    endpoint = Endpoint()
    await _subscribe(fhir_hub, aiohttp_server, endpoint,
                     "Task?requester=Organization/mercy-hospital")
    w, coordinator = fhir_hub.world, fhir_hub.world.members["ccr-coordinator"].principal()
    drill = await fhir_hub.services.drills.start(coordinator, "discharge-2am")
    sealed = w.seal_drill(w.members["mercy-nurse-1"], DEST, "discharge-handoff", b"{}",
                          urgency=Urgency.EMERGENT, now=int(fhir_hub.clock.now()))
    referral = await fhir_hub.services.drills.submit(coordinator, drill.id, sealed.envelope)
    point = w.first(DEST, "point_person")
    await fhir_hub.services.lifecycle.acknowledge(point.principal(), referral.id,
                                                  receipt(point, sealed))
    assert await _deliver_due(fhir_hub) == [] and endpoint.received == []
    task = await fhir_hub.client.get(f"/fhir/R4/Task/{referral.id}",
                                     headers={"Authorization": f"Bearer {point.token}"})
    assert (await task.json())["meta"]["tag"][0]["code"] == "drill"  # read, it says DRILL
async def test_receipts_rungs_and_consent_running_out_reach_the_ehr(fhir_hub,
                                                                    aiohttp_server) -> None:
    """Each change of the Task the engine or a receipt makes is one notification, and the
    Task's lastUpdated moves with it, so a poll by _lastUpdated finds it too."""
    from tests.fhir.test_facade import _fire_due

    endpoint = Endpoint()
    await _subscribe(fhir_hub, aiohttp_server, endpoint,
                     "Task?requester=Organization/mercy-hospital")
    _, rid = await fhir_hub.submitted()
    nurse = fhir_hub.world.first("mercy-hospital", "sender")

    async def told() -> tuple[int, str]:
        assert set(await _deliver_due(fhir_hub)) <= {"sent"}
        task = await (await fhir_hub.client.get(f"/fhir/R4/Task/{rid}",
                                                headers=nurse.auth)).json()
        return len(endpoint.received), task["meta"]["lastUpdated"]

    assert await told() == (1, fhir.instant(fhir_hub.clock.now()))  # submitted
    fhir_hub.clock.advance(10)
    await _fire_due(fhir_hub)  # the point person's rung: delivered, escalated
    assert await told() == (2, fhir.instant(fhir_hub.clock.now()))
    fhir_hub.clock.advance(10)
    point = fhir_hub.world.first(DEST, "point_person")
    await fhir_hub.services.referrals.download(point.principal(), rid)  # opened
    await fhir_hub.services.referrals.download(point.principal(), rid)  # again: no change
    assert await told() == (3, fhir.instant(fhir_hub.clock.now()))
    since = fhir.instant(fhir_hub.clock.now() - 1)
    r = await fhir_hub.client.get("/fhir/R4/Task", params={"_lastUpdated": f"gt{since}"},
                                  headers=nurse.auth)
    assert [e["resource"]["id"] for e in (await r.json())["entry"]] == [rid]

    fhir_hub.clock.advance(3600)
    await _fire_due(fhir_hub)  # the backups' rung
    assert await told() == (4, fhir.instant(fhir_hub.clock.now()))
    fhir_hub.clock.advance(31 * 86400)  # consent runs out (no rung fires past it)
    await _fire_due(fhir_hub)
    assert await told() == (5, fhir.instant(fhir_hub.clock.now()))
    task = await (await fhir_hub.client.get(f"/fhir/R4/Task/{rid}", headers=nurse.auth)).json()
    assert task["status"] == "cancelled"
    assert fhir.code_of(task["statusReason"], fhir.REASON_SYSTEM) == "consent-expired"

"""The FHIR R4 Task facade as an EHR integrator meets it: every answer validates as R4,
status writes go through the lifecycle's rules, errors are OperationOutcomes with a 4xx,
and nothing of another agency shows."""

from __future__ import annotations

from hub.api import fhir
from tests.fhir.conftest import DEST, receipt

T = "/fhir/R4/Task"


def _outcome(body: dict) -> str:
    fhir.checked(body, "OperationOutcome")
    return body["issue"][0]["details"]["coding"][0]["code"]


def _invariants(task: dict) -> None:
    """The SDOH Clinical Care IG's Task rules the hub's Tasks keep."""
    fhir.checked(task, "Task")
    if task["status"] in ("rejected", "cancelled"):
        assert task["statusReason"]["coding"], "statusReason is required when " + task["status"]
    assert task["intent"] == "order" and task["focus"]["identifier"]["value"]
    assert task["owner"]["reference"].startswith("Organization/")
    assert task["requester"]["reference"].startswith("Organization/")
    assert "reference" not in task["for"] and "reference" not in task["focus"]


async def test_a_sent_referral_reads_as_an_r4_task_with_opaque_subject(fhir_hub) -> None:
    _, rid = await fhir_hub.submitted()
    nurse = fhir_hub.world.first("mercy-hospital", "sender")
    r = await fhir_hub.client.get(f"{T}/{rid}", headers=nurse.auth)
    assert r.status == 200 and r.content_type == fhir.FHIR_JSON
    task = await r.json()
    _invariants(task)
    assert task["status"] == "requested" and task["owner"]["reference"] == f"Organization/{DEST}"
    assert task["requester"]["reference"] == "Organization/mercy-hospital"
    assert task["restriction"]["period"]["end"] and r.headers["ETag"] == 'W/"1"'


async def test_the_shelter_moves_the_task_through_the_lifecycle_with_its_receipt(fhir_hub
                                                                                ) -> None:
    sealed, rid = await fhir_hub.submitted()
    point = fhir_hub.world.first(DEST, "point_person")
    task = await (await fhir_hub.client.get(f"{T}/{rid}", headers=point.auth)).json()

    r = await fhir_hub.client.put(f"{T}/{rid}", json=task | {"status": "received"},
                                  headers=point.auth)
    assert r.status == 422 and _outcome(await r.json()) == "bad_receipt"
    ack = {"type": fhir.coding(fhir.INPUT_SYSTEM, fhir.RECEIPT_INPUT),
           "valueBase64Binary": receipt(point, sealed)}
    r = await fhir_hub.client.put(f"{T}/{rid}", headers=point.auth,
                                  json=task | {"status": "received", "input": [ack]})
    assert r.status == 200, await r.text()
    task = await r.json()
    assert task["status"] == "received" and (await fhir_hub.store.referrals.get(rid)).status \
        == "received"
    for step in ("accepted", "in-progress"):
        r = await fhir_hub.client.put(f"{T}/{rid}", json=task | {"status": step},
                                      headers=point.auth | {"If-Match": r.headers["ETag"]})
        assert r.status == 200, await r.text()
        task = await r.json()
    r = await fhir_hub.client.put(f"{T}/{rid}", json=task | {"status": "completed"},
                                  headers=point.auth)
    assert r.status == 422 and _outcome(await r.json()) == "invalid_body"
    done = task | {"status": "completed", "output": [{
        "type": fhir.coding(fhir.INPUT_SYSTEM, fhir.OUTCOME_OUTPUT),
        "valueCodeableConcept": fhir.coding(fhir.OUTCOME_SYSTEM, "services-provided")}]}
    r = await fhir_hub.client.put(f"{T}/{rid}", json=done, headers=point.auth)
    assert r.status == 200 and (await r.json())["status"] == "completed"
    _invariants(await r.json())


async def test_a_stale_if_match_is_412_and_changes_nothing(fhir_hub) -> None:
    sealed, rid = await fhir_hub.submitted()
    nurse = fhir_hub.world.first("mercy-hospital", "sender")
    task = await (await fhir_hub.client.get(f"{T}/{rid}", headers=nurse.auth)).json()
    cancel = task | {"status": "cancelled",
                     "statusReason": fhir.coding(fhir.REASON_SYSTEM, "sent-in-error")}
    r = await fhir_hub.client.put(f"{T}/{rid}", json=cancel,
                                  headers=nurse.auth | {"If-Match": 'W/"7"'})
    assert r.status == 412 and _outcome(await r.json()) == "version_changed"
    assert (await fhir_hub.store.referrals.get(rid)).status == "requested"
    r = await fhir_hub.client.put(f"{T}/{rid}", json=cancel, headers=nurse.auth)
    assert r.status == 200
    _invariants(await r.json())


async def test_declining_needs_a_reason_and_shows_it(fhir_hub) -> None:
    sealed, rid = await fhir_hub.submitted()
    point = fhir_hub.world.first(DEST, "point_person")
    await fhir_hub.services.lifecycle.acknowledge(point.principal(), rid,
                                                  receipt(point, sealed))
    task = await (await fhir_hub.client.get(f"{T}/{rid}", headers=point.auth)).json()
    r = await fhir_hub.client.put(f"{T}/{rid}", json=task | {"status": "rejected"},
                                  headers=point.auth)
    assert r.status == 422 and "statusReason" in (await r.json())["issue"][0]["diagnostics"]
    r = await fhir_hub.client.put(f"{T}/{rid}", headers=point.auth, json=task | {
        "status": "rejected", "statusReason": fhir.coding(fhir.REASON_SYSTEM, "capacity")})
    assert r.status == 200
    task = await r.json()
    _invariants(task)
    assert fhir.code_of(task["statusReason"], fhir.REASON_SYSTEM) == "capacity"


async def test_search_pages_with_links_and_filters_by_status_and_time(fhir_hub) -> None:
    ids = []
    for _ in range(5):
        ids.append((await fhir_hub.submitted())[1])
        fhir_hub.clock.advance(60)
    point = fhir_hub.world.first(DEST, "point_person")
    r = await fhir_hub.client.get(T, params={"owner": f"Organization/{DEST}", "_count": "2"},
                                  headers=point.auth)
    assert r.status == 200, await r.text()
    bundle = await r.json()
    fhir.checked(bundle, "Bundle")
    assert bundle["type"] == "searchset" and len(bundle["entry"]) == 2
    found = [e["resource"]["id"] for e in bundle["entry"]]
    while (nxt := next((li["url"] for li in bundle["link"] if li["relation"] == "next"), None)):
        bundle = await (await fhir_hub.client.get(nxt.split("8080", 1)[1],
                                                  headers=point.auth)).json()
        found += [e["resource"]["id"] for e in bundle["entry"]]
    assert found == ids[::-1] and bundle["total"] == 5
    since = fhir.instant(fhir_hub.clock.now() - 150)
    r = await fhir_hub.client.get(T, params={"status": "requested", "_lastUpdated": f"gt{since}"},
                                  headers=point.auth)
    assert [e["resource"]["id"] for e in (await r.json())["entry"]] == ids[:-3:-1]
    r = await fhir_hub.client.get(T, params={"status": "completed"}, headers=point.auth)
    assert (await r.json())["total"] == 0


async def test_another_agency_finds_nothing_and_reads_a_404(fhir_hub) -> None:
    _, rid = await fhir_hub.submitted()
    outsider = fhir_hub.world.first("riverside-pd", "point_person")
    r = await fhir_hub.client.get(f"{T}/{rid}", headers=outsider.auth)
    assert r.status == 404 and _outcome(await r.json()) == "not_found"
    for params in ({"owner": f"Organization/{DEST}"}, {"_id": rid}, {}):
        r = await fhir_hub.client.get(T, params=params, headers=outsider.auth)
        assert r.status == 200 and (await r.json()).get("entry", []) == []


async def test_bad_requests_are_operation_outcomes(fhir_hub) -> None:
    nurse = fhir_hub.world.first("mercy-hospital", "sender")
    cases = [
        (fhir_hub.client.get(T, params={"patient": "x"}, headers=nurse.auth), 400, "bad_query"),
        (fhir_hub.client.get(T, params={"status": "on-fire"}, headers=nurse.auth), 400,
         "bad_query"),
        (fhir_hub.client.get(T, params={"_lastUpdated": "gtyesterday"}, headers=nurse.auth),
         400, "bad_query"),
        (fhir_hub.client.get("/fhir/R4/Patient/1", headers=nurse.auth), 404, "not_found"),
        (fhir_hub.client.get(T), 401, "unauthorized"),
        (fhir_hub.client.put(f"{T}/{'a' * 32}", data=b"{", headers=nurse.auth | {
            "Content-Type": fhir.FHIR_JSON}), 400, "bad_json"),
        (fhir_hub.client.put(f"{T}/{'a' * 32}", json={"resourceType": "Task", "status": 3},
                             headers=nurse.auth), 400, "not_fhir"),
        (fhir_hub.client.delete(f"{T}/{'a' * 32}", headers=nurse.auth), 405,
         "method_not_allowed"),
    ]
    for call, status, code in cases:
        r = await call
        assert (r.status, _outcome(await r.json())) == (status, code), await r.text()
    r = await fhir_hub.client.get("/v1/referrals/" + "a" * 32, headers=nurse.auth)
    assert (await r.json())["error"]["code"] == "not_found"  # the JSON API keeps its shape


async def test_metadata_says_what_is_supported(fhir_hub) -> None:
    r = await fhir_hub.client.get("/fhir/R4/metadata")
    statement = fhir.checked(await r.json(), "CapabilityStatement")
    task = statement["rest"][0]["resource"][0]
    assert {i["code"] for i in task["interaction"]} == {"read", "search-type", "update"}
    assert {p["name"] for p in task["searchParam"]} == {"owner", "requester", "status",
                                                         "_lastUpdated", "_id"}


async def _ids(fhir_hub, who, **params) -> list[str]:
    r = await fhir_hub.client.get(T, params=params, headers=who.auth)
    assert r.status == 200, await r.text()
    return [e["resource"]["id"] for e in (await r.json()).get("entry", [])]


async def test_a_search_by_last_updated_finds_what_changed_in_the_order_sent(fhir_hub) -> None:
    """The IG's polling: Tasks changed since a time, newest submitted first (not moved up
    by their change), and before a time as the reader saw them then."""
    sent = []
    for _ in range(4):
        sent.append(await fhir_hub.submitted())
        fhir_hub.clock.advance(60)
    since = fhir_hub.clock.now()
    point = fhir_hub.world.first(DEST, "point_person")
    for sealed, rid in (sent[0], sent[2]):
        fhir_hub.clock.advance(30)
        await fhir_hub.services.lifecycle.acknowledge(point.principal(), rid,
                                                      receipt(point, sealed))
    nurse = fhir_hub.world.first("mercy-hospital", "sender")
    changed = [sent[2][1], sent[0][1]]
    for who in (point, nurse):
        assert await _ids(fhir_hub, who, _lastUpdated=f"gt{fhir.instant(since)}") == changed
        assert await _ids(fhir_hub, who, _lastUpdated=f"lt{fhir.instant(since)}") == \
            [sent[3][1], sent[1][1]]
    assert await _ids(fhir_hub, point, _lastUpdated=[f"gt{fhir.instant(since)}",
                                                     f"le{fhir.instant(since + 30)}"]) \
        == [sent[0][1]]


async def test_a_sender_kept_from_the_status_finds_its_task_by_when_it_sent_it(fhir_hub
                                                                              ) -> None:
    """The prosecutor does not learn that the advocate acknowledged: its Task keeps the
    time it was sent, in a search by time as in a read (flowback.py)."""
    sealed, rid = await fhir_hub.submitted("county-prosecutor", "bridge-advocacy",
                                           "advocacy-request")
    sent_at = fhir_hub.clock.now()
    fhir_hub.clock.advance(600)
    advocate = fhir_hub.world.first("bridge-advocacy", "point_person")
    await fhir_hub.services.lifecycle.acknowledge(advocate.principal(), rid,
                                                  receipt(advocate, sealed))
    prosecutor = fhir_hub.world.first("county-prosecutor", "sender")
    middle = fhir.instant(sent_at + 300)
    assert await _ids(fhir_hub, prosecutor, _lastUpdated=f"gt{middle}") == []
    assert await _ids(fhir_hub, prosecutor, _lastUpdated=f"lt{middle}") == [rid]
    assert await _ids(fhir_hub, advocate, _lastUpdated=f"gt{middle}") == [rid]


async def test_tasks_stored_before_the_change_index_are_found_after_start_up(fhir_hub
                                                                            ) -> None:
    """A hub upgraded over older data fills the index the search by time reads, once."""
    _, rid = await fhir_hub.submitted()
    redis, keys = fhir_hub.store.redis, fhir_hub.store.keys
    await redis.delete(keys.changed_in(DEST), keys.changed_out("mercy-hospital"),
                       keys.schema())
    point = fhir_hub.world.first(DEST, "point_person")
    since = f"gt{fhir.instant(fhir_hub.clock.now() - 60)}"
    assert await _ids(fhir_hub, point, _lastUpdated=since) == []
    await fhir_hub.services.tasks.prepare(fhir_hub.clock.now())
    assert await _ids(fhir_hub, point, _lastUpdated=since) == [rid]
    await redis.delete(keys.changed_in(DEST))
    await fhir_hub.services.tasks.prepare(fhir_hub.clock.now())  # once only
    assert await _ids(fhir_hub, point, _lastUpdated=since) == []


async def _fire_due(fhir_hub) -> None:
    """What the ticker and a worker do with the due rungs (the real engine)."""
    engine = fhir_hub.services.engine({}, "http://127.0.0.1:8080")
    while due := await fhir_hub.store.timers.claim(fhir_hub.store.keys.deadlines(),
                                                   fhir_hub.clock.now(), 60, 100):
        for m, _ in due:
            await engine.fire(m)


async def test_business_status_shows_how_far_the_escalation_went(fhir_hub) -> None:
    """The urgent discharge handoff's ladder: the point person at once, the backups after
    an hour, the coordinator after two (when the second round starts with the point
    person again); the sender kept from the status sees none of it."""
    _, rid = await fhir_hub.submitted()
    point = fhir_hub.world.first(DEST, "point_person")

    async def level(who=point) -> tuple[str | None, str]:
        task = await (await fhir_hub.client.get(f"{T}/{rid}", headers=who.auth)).json()
        _invariants(task)
        status = task["businessStatus"]
        return fhir.code_of(status, fhir.ESCALATION_SYSTEM), status["text"]

    assert await level() == ("none", "requested")
    await _fire_due(fhir_hub)
    assert await level() == ("point-person", "requested; escalated to the point person "
                                             "(1 rung)")
    fhir_hub.clock.advance(3600)
    await _fire_due(fhir_hub)
    assert (await level())[0] == "backups"
    fhir_hub.clock.advance(3600)
    await _fire_due(fhir_hub)
    assert await level() == ("coordinator", "requested; escalated to the coordinator "
                                            "(4 rungs)")  # and the second round began
    nurse = fhir_hub.world.first("mercy-hospital", "sender")
    assert (await level(nurse))[0] == "coordinator"  # the status flows back to Mercy

    sealed, hidden = await fhir_hub.submitted("county-prosecutor", "bridge-advocacy",
                                              "advocacy-request")
    await _fire_due(fhir_hub)
    prosecutor = fhir_hub.world.first("county-prosecutor", "sender")
    task = await (await fhir_hub.client.get(f"{T}/{hidden}", headers=prosecutor.auth)).json()
    assert fhir.code_of(task["businessStatus"], fhir.ESCALATION_SYSTEM) is None

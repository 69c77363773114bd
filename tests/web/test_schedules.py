"""An agency's on-duty schedule over HTTP: its own people and the coordinators read it,
its admins add and remove overrides and away periods (audited), everyone else gets the
same 404 as for no agency; bad input is a clear 4xx that changes nothing; and an override
naming someone with no device in the group's signed roster is refused with the reason."""

from __future__ import annotations

import json

from hub.crypto import make_roster
from hub.sandbox import World
from tests.support.redis_scan import dump_values

AGENCY = "bridge-advocacy"  # the example's scheduled agency (config/example/schedules.toml)
PATH = f"/v1/agencies/{AGENCY}/schedule"


async def audit_actions(hub, outcome: str = "ok") -> list[str]:
    rows = await hub.store.redis.xrange(hub.store.keys.audit())
    events = [json.loads(fields[b"event"]) for _, fields in rows]
    return [e["action"] for e in events if e["outcome"] == outcome]


async def test_people_of_the_agency_see_who_is_on_duty_now(hub) -> None:
    advocate = hub.world.first(AGENCY, "point_person")
    r = await hub.client.get(PATH, headers=advocate.auth)
    assert r.status == 200, await r.text()
    view = await r.json()
    assert view["timezone"] == "America/Chicago" and view["fixed"] is None
    group = view["groups"][0]
    assert "advocacy-request" in group["types"]
    # Fri 15 Jan 2027 02:00 CST: the tenth week since 2 Nov 08:00, bridge-advocate's
    assert group["on_duty"] == {"point_person": "bridge-advocate", "backups": ["bridge-lead"]}
    assert [x["name"] for x in group["layers"]] == ["on-call", "second", "holidays"]
    assert view["gaps"] == []
    coordinator = hub.world.first("ccr-coordination", "coordinator")
    assert (await hub.client.get(PATH, headers=coordinator.auth)).status == 200


async def test_an_agency_without_a_schedule_shows_its_fixed_point_person(hub) -> None:
    admin = hub.world.first("harbor-house", "agency_admin")
    view = await (await hub.client.get("/v1/agencies/harbor-house/schedule",
                                       headers=admin.auth)).json()
    assert view["groups"] == [] and view["fixed"]["point_person"] == "harbor-intake"
    r = await hub.client.post("/v1/agencies/harbor-house/schedule/overrides",
                              headers=admin.auth, json={"person": "harbor-night",
                                                        "from": "2027-01-16T18:00",
                                                        "until": "2027-01-17T08:00"})
    assert r.status == 409 and (await r.json())["error"]["code"] == "no_schedule"


async def test_another_agencys_schedule_is_not_found_like_a_missing_one(hub) -> None:
    shelter = hub.world.first("harbor-house", "agency_admin")
    body = {"person": "bridge-lead", "from": "2027-01-16T18:00", "until": "2027-01-17T08:00"}
    for method, path, doc in (("GET", PATH, None), ("POST", f"{PATH}/overrides", body),
                              ("POST", f"{PATH}/away", body),
                              ("DELETE", f"{PATH}/overrides/o-1234567812345678", None)):
        r = await hub.client.request(method, path, headers=shelter.auth, json=doc)
        missing = await hub.client.request(method, path.replace(AGENCY, "no-such-agency"),
                                           headers=shelter.auth, json=doc)
        assert r.status == missing.status == 404, (method, path)
        assert (await r.json())["error"]["message"] == \
            (await missing.json())["error"]["message"].replace("no-such-agency", AGENCY)


async def test_an_admin_overrides_then_removes_and_each_change_is_audited(hub) -> None:
    admin = hub.world.first(AGENCY, "agency_admin")  # bridge-lead
    r = await hub.client.post(f"{PATH}/overrides", headers=admin.auth, json={
        "person": "bridge-lead", "from": "2027-01-15T00:00", "until": "2027-01-15T08:00"})
    assert r.status == 201, await r.text()
    entry = await r.json()
    assert entry["from"] == "2027-01-15T00:00-06:00" and entry["source"] == "live"
    view = await (await hub.client.get(PATH, headers=admin.auth)).json()
    assert view["groups"][0]["on_duty"] == {"point_person": "bridge-lead",
                                            "backups": ["bridge-advocate"]}
    assert [o["id"] for o in view["overrides"]] == [entry["id"]]
    wrong = await hub.client.delete(f"{PATH}/away/{entry['id']}", headers=admin.auth)
    assert wrong.status == 404  # an override is not an away period
    r = await hub.client.delete(f"{PATH}/overrides/{entry['id']}", headers=admin.auth)
    assert r.status == 200
    again = await hub.client.delete(f"{PATH}/overrides/{entry['id']}", headers=admin.auth)
    assert again.status == 404
    view = await (await hub.client.get(PATH, headers=admin.auth)).json()
    assert view["groups"][0]["on_duty"]["point_person"] == "bridge-advocate"
    actions = await audit_actions(hub)
    assert actions.count("schedule.override") == 1 and actions.count("schedule.remove") == 1


async def test_away_takes_someone_off_duty_and_a_lone_gap_shows(hub) -> None:
    admin = hub.world.first(AGENCY, "agency_admin")
    for person in ("bridge-advocate", "bridge-lead"):
        r = await hub.client.post(f"{PATH}/away", headers=admin.auth, json={
            "person": person, "from": "2027-01-16T02:00", "until": "2027-01-16T06:00"})
        assert r.status == 201, await r.text()
    view = await (await hub.client.get(PATH, headers=admin.auth)).json()
    assert [g["text"] for g in view["gaps"]] == [
        "no one on duty for discharge-handoff, advocacy-request, legal-advocacy, "
        "Sat 16 Jan 02:00–06:00 CST"]
    assert len(view["away"]) == 2


async def test_bad_input_is_a_clear_4xx_and_changes_nothing(hub) -> None:
    admin = hub.world.first(AGENCY, "agency_admin")
    advocate = hub.world.first(AGENCY, "point_person")
    before = await dump_values(hub.store.redis, hub.store.keys.prefix)
    good = {"person": "bridge-lead", "from": "2027-01-16T18:00", "until": "2027-01-17T08:00"}
    cases = [
        (admin, {**good, "until": "2027-01-16T17:00"}, 422, "bad_schedule"),  # ends first
        (admin, {**good, "from": "2020-01-01", "until": "2020-01-02"}, 422, "bad_schedule"),
        (admin, {**good, "from": "next friday"}, 422, "bad_schedule"),
        (admin, {**good, "person": "harbor-intake"}, 422, "bad_schedule"),  # not theirs
        (admin, {**good, "person": "no-one"}, 422, "bad_schedule"),
        (admin, {**good, "duty": "boss"}, 422, "invalid_body"),
        (admin, {**good, "extra": 1}, 422, "invalid_body"),
        (advocate, good, 403, "forbidden"),  # of the agency, not its admin
    ]
    for who, doc, status, code in cases:
        r = await hub.client.post(f"{PATH}/overrides", headers=who.auth, json=doc)
        assert r.status == status, (doc, await r.text())
        error = (await r.json())["error"]
        assert error["code"] == code and len(error["message"]) > 20, (doc, error)
    after = await dump_values(hub.store.redis, hub.store.keys.prefix)
    audit = hub.store.keys.audit().encode()
    assert {k: v for k, v in after.items() if k != audit} == \
        {k: v for k, v in before.items() if k != audit}


def _without_device(world: World, person: str) -> dict[str, str]:
    """Bridge's roster signed again (version 2) with ``person``'s device left out."""
    current = world.trust().roster(AGENCY, world.now)
    devices = [c for c in current.devices.values() if c.person != person]
    return make_roster(world.roots[AGENCY], agency=AGENCY, version=2, issued_at=world.now - 60,
                       expires_at=world.now + 90 * 86400, people=list(current.body.people),
                       devices=devices, groups=list(current.body.groups)).to_json()


async def test_an_override_for_someone_without_a_device_is_refused_with_the_reason(hub) -> None:
    admin = hub.world.first(AGENCY, "agency_admin")
    r = await hub.client.put(f"/v1/agencies/{AGENCY}/roster", headers=admin.auth,
                             json=_without_device(hub.world, "bridge-advocate"))
    assert r.status == 201, await r.text()
    r = await hub.client.post(f"{PATH}/overrides", headers=admin.auth, json={
        "person": "bridge-advocate", "from": "2027-01-16T18:00", "until": "2027-01-17T08:00"})
    assert r.status == 422
    error = (await r.json())["error"]
    assert error["code"] == "no_device"
    assert "bridge-advocate has no current device in bridge-advocacy's signed roster" in \
        error["message"]
    assert "schedule.override" not in await audit_actions(hub)  # refused, and audited so
    assert "schedule.override" in await audit_actions(hub, "no_device")
    # the schedule itself passes them over: they could not open what they were called for
    view = await (await hub.client.get(PATH, headers=admin.auth)).json()
    assert view["groups"][0]["on_duty"] == {"point_person": None, "backups": ["bridge-lead"]}

"""The checklists on a person's start page (issue 24), ticked by the hub itself: a new
point person's steps tick one by one as their device is made, approved and pinned, and as
they finish a drill, and the list leaves their inbox when the last one is done; when they
are offboarded it appears again, on their admin's dashboard, until their devices are out
of the roster; a coordinator sees each agency joining the CCR until it has done a drill."""

from __future__ import annotations

import re

import pytest

from hub.client.rosters import escalation_groups, roster_people
from hub.crypto import make_roster

AGENCY, NEWCOMER, ADMIN = "harbor-house", "harbor-intake", "harbor-director"
STEP = re.compile(r'<li class="(done|todo)" data-step="([a-z-]+)"')
KIND = re.compile(r'<details class="checklist card" data-kind="([a-z-]+)" data-subject="([a-z-]+)"')


def checklists(html: str) -> dict[tuple[str, str], dict[str, bool]]:
    """Each checklist on the page, (kind, subject), with its steps: done or not."""
    found: dict[tuple[str, str], dict[str, bool]] = {}
    for part in html.split("<details")[1:]:
        kind = KIND.search("<details" + part)
        assert kind, part[:200]
        found[kind.groups()] = {code: state == "done" for state, code in STEP.findall(part)}
    return found


async def publish(hub, version: int, *, without: str | None = None) -> None:
    """The agency's admin signs and publishes a roster with every device but ``without``'s."""
    world, now = hub.world, int(hub.clock.now())
    devices = [m.device.certificate for m in world.members.values()
               if m.agency == AGENCY and m.device and m.person != without]
    signed = make_roster(world.roots[AGENCY], agency=AGENCY, version=version,
                         issued_at=now, expires_at=now + 90 * 86400,
                         people=roster_people(hub.services.ccr, AGENCY), devices=devices,
                         groups=escalation_groups(hub.services.ccr, AGENCY))
    await hub.services.directory.publish(world.members[ADMIN].principal(), AGENCY,
                                         signed.to_json())


async def report(hub, device_made: bool, pinned: list[str]) -> dict:
    r = await hub.client.put("/v1/me/setup", json={"device_made": device_made, "pinned": pinned},
                             headers=hub.world.members[NEWCOMER].auth)
    assert r.status == 200, await r.text()
    return {s["code"]: s["done"] for s in (await r.json())["steps"]}


async def test_a_new_staff_members_checklist_ticks_as_they_are_set_up_and_returns_for_the_admin_when_they_leave(  # noqa: E501
        hub, sign_in) -> None:
    await publish(hub, 2, without=NEWCOMER)  # a new hire: no device in the roster yet
    newcomer = await sign_in(NEWCOMER)
    _, html = await newcomer.text("/inbox")
    mine = checklists(html)[("new-staff", NEWCOMER)]
    assert mine == {"device-made": False, "approved": False, "roots-pinned": False,
                    "on-schedule": True,  # harbor-house has no schedule: the roster's group
                    "drill": False}
    assert "/help/point-person" in html  # the guide is a click away

    assert (await report(hub, True, []))["device-made"] is True
    await publish(hub, 3)  # the admin approved the device
    partners = sorted({a.to_agency for a in hub.services.ccr.agreements
                       if a.from_agency == AGENCY} | {a.from_agency for a in hub.services.ccr
                                                     .agreements if a.to_agency == AGENCY}
                      | {AGENCY})
    assert (await report(hub, True, partners[:1]))["roots-pinned"] is False  # not all yet
    steps = await report(hub, True, partners)
    assert steps == {"device-made": True, "approved": True, "roots-pinned": True,
                     "on-schedule": True, "drill": False}
    _, html = await newcomer.text("/inbox")
    assert checklists(html)[("new-staff", NEWCOMER)]["drill"] is False

    await hub.services.checklists.record_drill_done(NEWCOMER)
    _, html = await newcomer.text("/inbox")
    assert ("new-staff", NEWCOMER) not in checklists(html)  # every step done: gone
    _, sent = await newcomer.text("/sent")
    assert "data-kind" not in sent  # only on their own start page

    admin = await sign_in(ADMIN)
    _, html = await admin.text("/dashboard")
    assert ("leaving-staff", NEWCOMER) not in checklists(html)
    r = await hub.client.post(f"/v1/agencies/{AGENCY}/people/{NEWCOMER}/offboard",
                              json={"reason": "left"}, headers=hub.world.members[ADMIN].auth)
    assert r.status == 200, await r.text()
    _, html = await admin.text("/dashboard")
    assert checklists(html)[("leaving-staff", NEWCOMER)] == {
        "offboarded": True, "devices-out": False, "handed-over": True}
    await publish(hub, 4, without=NEWCOMER)
    _, html = await admin.text("/dashboard")
    assert ("leaving-staff", NEWCOMER) not in checklists(html)


async def test_a_coordinator_sees_each_agency_joining_until_it_has_done_a_drill(
        hub, sign_in) -> None:
    coordinator = await sign_in("ccr-coordinator")
    _, html = await coordinator.text("/dashboard")
    joining = {subject: steps for (kind, subject), steps in checklists(html).items()
               if kind == "new-agency"}
    office = hub.services.ccr.find_person("ccr-coordinator").agency  # neither sends nor receives
    assert set(joining) == {a.id for a in hub.services.ccr.agencies} - {office}
    assert joining[AGENCY] == {"root": True, "agreements": True, "people": True, "drill": False}
    assert ("new-staff", "ccr-coordinator") not in checklists(html)

    with pytest.raises(LookupError):  # the drills name people of this CCR only
        await hub.services.checklists.record_drill_done("no-such-person")
    await hub.services.checklists.record_drill_done(NEWCOMER)
    _, html = await coordinator.text("/dashboard")
    assert ("new-agency", AGENCY) not in checklists(html)
    assert ("new-agency", "mercy-hospital") in checklists(html)


async def test_a_setup_report_naming_an_agency_the_ccr_lacks_or_a_number_for_a_yes_is_refused(
        hub) -> None:
    r = await hub.client.put("/v1/me/setup", json={"device_made": True, "pinned": ["nowhere"]},
                             headers=hub.world.members[NEWCOMER].auth)
    assert r.status == 422
    assert "nowhere" in (await r.json())["error"]["message"]
    r = await hub.client.put("/v1/me/setup", json={"device_made": 1, "pinned": []},
                             headers=hub.world.members[NEWCOMER].auth)
    assert r.status == 422  # a yes or no, not a number
    assert "device_made" in (await r.json())["error"]["message"]
    facts = await hub.store.checklists.facts(NEWCOMER)
    assert facts.device_made_at is None and facts.pinned == frozenset()

"""The ladder asks who is on duty when each rung fires, through the real engine, worker
and ticker on a fake clock: a shelter whose intake advocate covers the day and whose night
advocate covers the night, handing over at 08:00 and 20:00 on its own wall clock across
the spring-forward change; on its holiday the director holds the line with no backup, so
the backups' rung falls in a gap and goes on to the coordinator at once, and the history
says so. An acknowledgement by anyone in the group stops the clock, as without schedules.
New coverage gaps reach the shelter's admin once each, content-free."""

from __future__ import annotations

import base64
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.build import build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.crypto import ReceiptStatus, Urgency, sign_receipt
from hub.sandbox import install_world, make_world
from hub.web.app import create_app
from tests.conftest import EXAMPLE, Hub

from .test_ladder import plain

DEST, TYPE = "harbor-house", "shelter-request"  # urgent: point 0m, backups 30m, coord 1h
CHICAGO = ZoneInfo("America/Chicago")
INTAKE, DIRECTOR = "intake@harbor.example.org", "director@harbor.example.org"
NIGHT, COORDINATOR = "+15555550121", "coordinator@ccr.example.org"
MINUTE = 60

SCHEDULE = """
[[schedule]]
agency = "harbor-house"

[[schedule.layer]]
name = "day"
people = ["harbor-intake"]
starts = 2027-01-04T08:00:00
from = "08:00"
until = "20:00"
holidays = "off"

[[schedule.layer]]
name = "night"
people = ["harbor-night"]
starts = 2027-01-04T20:00:00
from = "20:00"
until = "08:00"

[[schedule.layer]]
name = "director"
duty = "backup"
people = ["harbor-director"]
starts = 2027-01-04T00:00:00
holidays = "off"

[[schedule.layer]]
name = "holiday"
people = ["harbor-director"]
starts = 2027-01-04T00:00:00
from = "08:00"
until = "20:00"
holidays = "only"
"""


def local(text: str) -> float:
    """A wall-clock time in Chicago ('2027-03-14 07:50') as epoch seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=CHICAGO).timestamp()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local("2027-03-13 12:00"))


@pytest.fixture
async def hub(aiohttp_client, store, clock, redis_url: str, tmp_path: Path) -> Hub:
    """The example CCR with the shelter on a schedule, and a holiday on Tue 16 Mar."""
    ccr = tmp_path / "ccr"
    shutil.copytree(EXAMPLE, ccr)
    (ccr / "schedules.toml").write_text(SCHEDULE)
    agencies = (ccr / "agencies.toml").read_text()
    shelter = 'business_hours = { days = [0, 1, 2, 3, 4, 5, 6], start = "00:00", end = "24:00" }'
    at = agencies.index(shelter, agencies.index('id = "harbor-house"'))
    agencies = agencies[:at] + shelter + "\nholidays = [2027-03-16]" + \
        agencies[at + len(shelter):]
    (ccr / "agencies.toml").write_text(agencies)
    settings = Settings(redis_url=redis_url, ccr_dir=ccr)
    services = build_services(settings, store=store, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    client = await aiohttp_client(create_app(settings, services))
    return Hub(client, services, world, store, clock)


async def submit_at(hub, when: float):
    hub.clock.set(when)
    w = hub.world
    nurse = w.first("mercy-hospital", "sender")
    sealed = w.seal_referral(nurse, DEST, TYPE, b"{}", now=int(when), urgency=Urgency.URGENT)
    body = {**w.submit_body(sealed, DEST, TYPE),
            "consent": {**w.consent(DEST, TYPE), "given_at": int(when) - 60,
                        "expires_at": int(when) + 30 * 86400}}
    r = await hub.client.post("/v1/referrals", json=body, headers=nurse.auth)
    assert r.status == 201, await r.text()
    return sealed, (await r.json())["id"]


def sent(rig) -> list[str]:
    return [m["To"] for m in rig.mail.messages] + [t["to"] for t in rig.sms.texts]


async def rungs(rig, rid: str) -> list[tuple[str, str]]:
    """Who each of the referral's notices went to, at what wall-clock time."""
    out = []
    for n in await rig.hub.store.notices.of_referral(rid):
        at = datetime.fromtimestamp(n.created_at, CHICAGO)
        out.append((f"{at:%a %H:%M %Z}", n.person))
    return out


async def test_each_rung_reaches_whoever_is_on_duty_across_the_spring_forward(rig) -> None:
    hub = rig.hub
    # Sun 14 Mar 2027: clocks go from 02:00 CST to 03:00 CDT. The day layer still hands
    # over at 08:00 on the wall: 13:00 UTC now, 14:00 UTC the day before.
    _, rid = await submit_at(hub, local("2027-03-14 07:50"))
    await rig.run_due()
    await rig.advance(30 * MINUTE)  # 08:20 CDT: the backups' rung
    await rig.advance(30 * MINUTE)  # 08:50 CDT: the coordinator, then round two's point
    assert await rungs(rig, rid) == [
        ("Sun 07:50 CDT", "harbor-night"),  # the night layer runs to 08:00
        ("Sun 08:20 CDT", "harbor-director"),
        ("Sun 08:50 CDT", "ccr-coordinator"),
        ("Sun 08:50 CDT", "harbor-intake")]  # 07:50 by the offset of the day before
    assert sorted(sent(rig)) == sorted([NIGHT, DIRECTOR, COORDINATOR, INTAKE])


async def test_the_night_before_the_change_hands_over_at_eight_too(rig) -> None:
    hub = rig.hub
    _, rid = await submit_at(hub, local("2027-03-13 19:50"))  # Saturday, still CST
    await rig.run_due()
    await rig.advance(30 * MINUTE)  # 20:20: the night layer took over at 20:00
    assert await rungs(rig, rid) == [("Sat 19:50 CST", "harbor-intake"),
                                     ("Sat 20:20 CST", "harbor-director")]
    _, later = await submit_at(hub, local("2027-03-13 20:30"))
    await rig.run_due()
    assert (await rungs(rig, later))[0] == ("Sat 20:30 CST", "harbor-night")


async def test_on_the_holiday_the_backups_rung_falls_in_a_gap_and_goes_on_at_once(rig) -> None:
    hub = rig.hub
    _, rid = await submit_at(hub, local("2027-03-16 10:00"))  # the shelter's holiday
    await rig.run_due()
    assert await rungs(rig, rid) == [("Tue 10:00 CDT", "harbor-director")]
    await rig.advance(30 * MINUTE)  # no backup on duty: the coordinator now, not at 11:00
    assert await rungs(rig, rid) == [("Tue 10:00 CDT", "harbor-director"),
                                     ("Tue 10:30 CDT", "ccr-coordinator")]
    coordinator = hub.world.first("ccr-coordination", "coordinator")
    history = await (await hub.client.get(f"/v1/referrals/{rid}/history",
                                          headers=coordinator.auth)).json()
    skipped = [e for e in history["events"] if e["action"] == "rung.skipped"]
    assert [(e["code"], e["at"]) for e in skipped] == [("backups", hub.clock.now())]
    assert await rig.advance(30 * MINUTE) == 1  # 11:00: round two, the director again
    assert (await rungs(rig, rid))[-1] == ("Tue 11:00 CDT", "harbor-director")


async def test_an_acknowledgement_by_anyone_in_the_group_stops_the_clock(rig) -> None:
    hub = rig.hub
    sealed, rid = await submit_at(hub, local("2027-03-15 12:00"))  # intake on duty
    await rig.run_due()
    night = hub.world.members["harbor-night"]  # off duty, but in the group
    receipt = sign_receipt(night.device, envelope_id=sealed.header.envelope_id,
                           header_hash=sealed.header.hash, status=ReceiptStatus.ACKNOWLEDGED,
                           at=int(hub.clock.now()))
    r = await hub.client.post(f"/v1/referrals/{rid}/acknowledge", headers=night.auth,
                              json={"receipt": base64.b64encode(receipt).decode()})
    assert r.status == 200, await r.text()
    assert await rig.advance(3 * 3600) == 0
    assert [p for _, p in await rungs(rig, rid)] == ["harbor-intake"]


async def test_the_admin_is_told_of_each_new_gap_once(rig) -> None:
    hub = rig.hub
    gaps = hub.services.gap_notices("https://hub.example.org")
    assert await gaps.watch() == 0  # the week from Sat 13 Mar is covered
    admin = hub.world.first(DEST, "agency_admin")  # harbor-director
    for person in ("harbor-night", "harbor-director"):  # both away one Saturday night
        r = await hub.client.post(f"/v1/agencies/{DEST}/schedule/away", headers=admin.auth,
                                  json={"person": person, "from": "2027-03-20T02:00",
                                        "until": "2027-03-20T06:00"})
        assert r.status == 201, await r.text()
    assert await gaps.watch() == 1
    await rig.run_due()
    (message,) = rig.mail.to(DIRECTOR)
    assert " ".join(message["Subject"].split()) == \
        "CCR Hub: no one on duty at Harbor House Domestic Violence Shelter, " \
        "Sat 20 Mar 02:00-06:00 CDT"
    text = plain(message)
    assert "no one is on duty for discharge-handoff, shelter-request" in text.lower()
    assert "harbor-night" not in message.as_string()  # names no one
    hub.clock.advance(15 * MINUTE)
    assert await gaps.watch() == 0  # the same gap: not told again
    hub.clock.set(local("2027-03-20 03:00"))  # inside it: still the same gap
    assert await gaps.watch() == 0


async def test_an_offboarded_person_is_on_duty_nowhere_and_their_turns_show_as_gaps(rig
                                                                                    ) -> None:
    """The night advocate leaves: offboarding takes them off the night layer, deletes the
    override and the away period they had, and the week's schedule shows the nights their
    turn leaves uncovered (the shelter's holiday, when the director is off); the ladder then
    never pages them, even before a new roster is signed."""
    hub = rig.hub
    admin = hub.world.first(DEST, "agency_admin")  # harbor-director
    base = f"/v1/agencies/{DEST}"
    ids = []
    for kind, times in (("overrides", ("2027-03-18T08:00", "2027-03-18T12:00")),
                        ("away", ("2027-03-19", "2027-03-19"))):
        r = await hub.client.post(f"{base}/schedule/{kind}", headers=admin.auth,
                                  json={"person": "harbor-night", "from": times[0],
                                        "until": times[1]})
        assert r.status == 201, await r.text()
        ids.append((await r.json())["id"])
    before = await (await hub.client.get(f"{base}/schedule", headers=admin.auth)).json()
    assert before["gaps"] == [] and len(before["overrides"]) == len(before["away"]) == 1

    r = await hub.client.post(f"{base}/people/harbor-night/offboard", headers=admin.auth,
                              json={"reason": "left"})
    assert r.status == 200, await r.text()
    done = await r.json()
    gaps = [f"no one on duty for discharge-handoff, shelter-request, {when} CDT" for when in
            ("Tue 16 Mar 00:00\u201308:00", "Tue 16 Mar 20:00 \u2013 Wed 17 Mar 00:00")]
    assert (done["schedule_layers"], sorted(done["schedule_entries"])) == (["night"], sorted(ids))
    assert [g["text"] for g in done["gaps"]] == gaps
    after = await (await hub.client.get(f"{base}/schedule", headers=admin.auth)).json()
    assert after["overrides"] == after["away"] == []
    assert [g["text"] for g in after["gaps"]] == gaps
    assert [x["left"] for x in after["groups"][0]["layers"]] == [[], ["harbor-night"], [], []]
    assert await hub.store.schedules.entries(DEST) == []
    again = await hub.client.post(f"{base}/schedule/overrides", headers=admin.auth,
                                  json={"person": "harbor-night", "from": "2027-03-18T08:00",
                                        "until": "2027-03-18T12:00"})
    assert again.status == 422 and "left" in (await again.json())["error"]["message"]

    _, rid = await submit_at(hub, local("2027-03-13 20:30"))  # the night layer's hours
    await rig.run_due()
    assert await rungs(rig, rid) == [("Sat 20:30 CST", "harbor-director")]  # the backup, now
    assert NIGHT not in sent(rig)


async def test_the_unreadable_count_follows_who_is_on_duty_across_a_shift_change(hub) -> None:
    """A referral sealed on Saturday at noon; then the night advocate's and the director's
    devices are replaced. By day the intake advocate, whose device it was sealed to, is on
    duty: nothing unreadable. At 20:00 the night advocate takes over, with the director as
    backup: it is one that no one on duty can read, until 08:00 brings the intake advocate
    back. Offboarding asks whether any device of the group can read it (?by=group): yes,
    the intake advocate's, off duty or not, so the recovery key is not for this one."""
    from tests.client.test_grants_sdk import new_phone, publish_devices

    _, rid = await submit_at(hub, local("2027-03-13 12:00"))
    w = hub.world
    await publish_devices(hub, [w.members["harbor-intake"].device,
                                new_phone(hub, "harbor-night"),
                                new_phone(hub, "harbor-director")], 2)
    admin = w.first(DEST, "agency_admin")

    async def unreadable_at(moment: str, by: str = "duty") -> list[str]:
        hub.clock.set(local(moment))
        r = await hub.client.get(f"/v1/agencies/{DEST}/unreadable?by={by}", headers=admin.auth)
        assert r.status == 200, await r.text()
        return [x["id"] for x in (await r.json())["referrals"]]

    assert await unreadable_at("2027-03-13 19:59") == []
    assert await unreadable_at("2027-03-13 20:00") == [rid]
    assert await hub.services.readability.counts([DEST]) == {DEST: 1}  # the dashboard's
    assert await unreadable_at("2027-03-13 20:00", by="group") == []
    wrong = await hub.client.get(f"/v1/agencies/{DEST}/unreadable?by=shift", headers=admin.auth)
    assert wrong.status == 400 and (await wrong.json())["error"]["code"] == "bad_query"
    assert await unreadable_at("2027-03-14 07:59") == [rid]
    assert await unreadable_at("2027-03-14 08:00") == []

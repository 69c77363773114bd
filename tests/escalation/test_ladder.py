"""An unacknowledged urgent discharge handoff walks the whole ladder at the right times;
an acknowledgement stops it; notices carry nothing from inside the envelope."""

from __future__ import annotations

import base64
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from hub.crypto import ReceiptStatus, Urgency, sign_receipt

DEST, TYPE = "harbor-house", "discharge-handoff"
CANARY = "CANARY-Jane-Roe-555-0199"
INTAKE, DIRECTOR = "intake@harbor.example.org", "director@harbor.example.org"
COORDINATOR = "coordinator@ccr.example.org"
NIGHT = "+15555550121"
HOUR = 3600
CHICAGO = ZoneInfo("America/Chicago")


async def submit(hub, content: bytes = b"{}", urgency: Urgency = Urgency.URGENT) -> str:
    w = hub.world
    nurse = w.first("mercy-hospital", "sender")
    sealed = w.seal_referral(nurse, DEST, TYPE, content, urgency=urgency)
    r = await hub.client.post("/v1/referrals", json=w.submit_body(sealed, DEST, TYPE),
                              headers=nurse.auth)
    assert r.status == 201
    return sealed, (await r.json())["id"]


async def acknowledge(hub, sealed, rid: str) -> None:
    point = hub.world.first(DEST, "point_person")
    receipt = sign_receipt(point.device, envelope_id=sealed.header.envelope_id,
                           header_hash=sealed.header.hash, status=ReceiptStatus.ACKNOWLEDGED,
                           at=int(hub.clock.now()))
    r = await hub.client.post(f"/v1/referrals/{rid}/acknowledge", headers=point.auth,
                              json={"receipt": base64.b64encode(receipt).decode()})
    assert r.status == 200, await r.text()


def plain(message) -> str:
    """An email's plain-text part, decoded."""
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def received(rig) -> list[str]:
    return [m["To"] for m in rig.mail.messages] + [t["to"] for t in rig.sms.texts]


async def test_an_unacknowledged_referral_walks_the_whole_ladder(rig) -> None:
    hub = rig.hub
    _, rid = await submit(hub, CANARY.encode())
    await rig.run_due()
    assert received(rig) == [INTAKE]
    meta = await (await hub.client.get(f"/v1/referrals/{rid}",
                                       headers=hub.world.first(DEST, "point_person").auth)).json()
    assert meta["notified_at"] == hub.clock.now()

    assert await rig.advance(HOUR - 1) == 0
    await rig.advance(1)
    assert sorted(received(rig)) == sorted([INTAKE, NIGHT, DIRECTOR])
    assert await hub.store.timers.stalled() == []

    before = Counter(received(rig))
    await rig.advance(HOUR)  # the coordinator, and the second round's first rung
    assert Counter(received(rig)) - before == Counter([COORDINATOR, INTAKE])
    assert await hub.store.timers.alerted() == [rid]
    assert await hub.store.timers.stalled() == []  # every notice reached someone
    await rig.advance(HOUR)
    await rig.advance(HOUR)
    assert len(received(rig)) == 8  # two rounds of: 1 + 2 + 1
    assert await rig.advance(10 * HOUR) == 0

    levels = [m["Subject"] for m in rig.mail.to(INTAKE)]
    assert levels[0].endswith("is waiting") and levels[1].endswith("is overdue")
    night = [t for t in rig.sms.texts if t["to"] == NIGHT]
    assert night[0]["body"].startswith("CCR Hub: ref ")  # Spanish, one segment
    assert all(len(t["body"]) <= 160 for t in rig.sms.texts)
    for message in rig.mail.messages:
        assert CANARY not in message.as_string()
        assert rid[:8] in message["Subject"] and "Jane" not in message.as_string()
    assert not [t for t in rig.sms.texts if CANARY in t["body"]]


async def test_each_rungs_notice_says_how_late_it_is_and_what_its_reader_can_do(rig) -> None:
    await submit(rig.hub)  # urgent: acknowledge within 2 h
    await rig.run_due()
    await rig.advance(HOUR)  # the backups, an hour before the deadline
    (backup,) = rig.mail.to(DIRECTOR)
    assert "(you are being contacted because it has not been handled yet)" in plain(backup)
    assert "not handled in time" not in plain(backup) + backup["Subject"]
    await rig.advance(HOUR)  # the coordinator, at the deadline
    (alert,) = rig.mail.to(COORDINATOR)
    text = plain(alert)
    assert "was not acknowledged in time" in text and "is waiting" not in text
    assert alert["Subject"].endswith("is overdue")
    assert "read it on your device" not in alert.as_string()  # coordinators read no content
    assert "Sign in to see where it stands." in text
    assert "Sign in to read it on your device." in plain(rig.mail.to(INTAKE)[0])


async def test_an_acknowledgement_stops_the_ladder(rig) -> None:
    hub = rig.hub
    sealed, rid = await submit(hub)
    await rig.run_due()
    await rig.advance(30 * 60)
    await acknowledge(hub, sealed, rid)
    assert await rig.advance(12 * HOUR) == 0
    assert received(rig) == [INTAKE]
    left = await hub.store.redis.zrange(hub.store.keys.deadlines(), 0, -1)
    assert left == [f"{rid}:consent".encode()]  # only the end of consent still runs


async def test_an_acknowledgement_racing_a_claimed_step_gets_no_notice_after_it(rig) -> None:
    hub = rig.hub
    sealed, rid = await submit(hub)
    await rig.run_due()
    hub.clock.advance(HOUR)
    assert await rig.ticker.tick() == 1  # the backups' rung is claimed and queued ...
    await acknowledge(hub, sealed, rid)  # ... and the acknowledgement commits first
    rig.work()
    assert await rig.run_due() == 0
    assert received(rig) == [INTAKE]
    notices = await hub.store.notices.of_referral(rid)
    assert [n.person for n in notices] == ["harbor-intake"]


async def test_a_notice_held_for_quiet_hours_is_not_sent_once_acknowledged(rig) -> None:
    hub = rig.hub
    late_evening = datetime(2027, 1, 19, 23, 0, tzinfo=CHICAGO).timestamp()  # a Tuesday
    hub.clock.set(late_evening)
    w = hub.world
    nurse = w.first("mercy-hospital", "sender")
    sealed = w.seal_referral(nurse, DEST, TYPE, b"{}", now=int(late_evening),
                             urgency=Urgency.ROUTINE)
    body = {**w.submit_body(sealed, DEST, TYPE),
            "consent": {**w.consent(DEST, TYPE), "given_at": int(late_evening) - 60,
                        "expires_at": int(late_evening) + 30 * 86400}}
    r = await hub.client.post("/v1/referrals", json=body, headers=nurse.auth)
    assert r.status == 201, await r.text()
    rid = (await r.json())["id"]
    await rig.run_due()
    assert received(rig) == []  # the intake advocate's quiet hours run to 07:00
    (held,) = await hub.store.notices.of_referral(rid)
    assert held.status == "queued"

    hub.clock.set(late_evening + 1800)
    await acknowledge(hub, sealed, rid)  # the night backup saw it in the inbox
    await rig.advance(9 * HOUR)
    assert received(rig) == []
    (held,) = await hub.store.notices.of_referral(rid)
    assert held.status == "cancelled"


async def test_an_overdue_follow_up_climbs_its_own_ladder_until_work_starts(rig) -> None:
    hub = rig.hub
    sealed, rid = await submit(hub)
    await rig.run_due()
    await acknowledge(hub, sealed, rid)
    point = hub.world.first(DEST, "point_person")
    assert (await hub.client.post(f"/v1/referrals/{rid}/accept", headers=point.auth)).status == 200
    for code in ("exam-followup-scheduled", "exam-followup-attended"):  # no gaps here
        r = await hub.client.post(f"/v1/referrals/{rid}/milestones", headers=point.auth,
                                  json={"code": code})
        assert r.status == 201
    before = len(received(rig))
    assert await rig.advance(24 * HOUR - 1) == 0  # first contact is due a day after accepting
    await rig.advance(1)
    (late,) = rig.mail.messages[before:]
    assert late["To"] == INTAKE and "has an overdue follow-up" in plain(late)
    r = await hub.client.post(f"/v1/referrals/{rid}/progress", headers=point.auth)
    assert r.status == 200  # first contact made: that ladder stops, the outcome's runs on
    assert await rig.advance(3 * HOUR) == 0
    assert len(received(rig)) == before + 1
    await rig.advance(14 * 24 * HOUR - 27 * HOUR)  # the outcome is due 14 days in
    assert received(rig)[-1] == INTAKE and len(received(rig)) == before + 2


async def test_someone_who_left_is_not_paged_before_the_next_roster_is_signed(rig) -> None:
    """The shelter has no schedule: its backups come from its signed roster. The night
    advocate is offboarded and the new roster is not published yet: the backups' rung
    reaches the director alone."""
    hub = rig.hub
    admin = hub.world.first(DEST, "agency_admin")
    r = await hub.client.post(f"/v1/agencies/{DEST}/people/harbor-night/offboard",
                              headers=admin.auth, json={"reason": "left"})
    assert r.status == 200, await r.text()
    await submit(hub)
    await rig.run_due()
    await rig.advance(HOUR)
    assert sorted(received(rig)) == sorted([INTAKE, DIRECTOR])

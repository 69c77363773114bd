"""Flood control: when many referrals stall together for one person they get a few
messages and then one digest, not dozens; a referral acknowledged meanwhile drops out of
the digest; each agency's people share a window too; the first notice of an urgent or
emergent referral is never held."""

from __future__ import annotations

from datetime import datetime

from hub.adapters.sms import fits_one_segment
from hub.crypto import Urgency

from .test_ladder import CHICAGO, HOUR, INTAKE, NIGHT, acknowledge, plain, submit

FRIDAY_MORNING = datetime(2027, 1, 15, 10, 0, tzinfo=CHICAGO).timestamp()
WINDOW = 600  # the default: three notices per person and channel per ten minutes


async def stall(rig, count: int, urgency: Urgency = Urgency.ROUTINE
                ) -> list[tuple[object, str]]:
    """``count`` referrals' first notices, all at once: routine ones on a Friday morning
    (the first notice of an urgent one is never held, and a routine one waits out the
    point person's quiet hours)."""
    if urgency == Urgency.ROUTINE and rig.hub.clock.now() < FRIDAY_MORNING:
        rig.hub.clock.set(FRIDAY_MORNING)
    referrals = [await submit(rig.hub, urgency=urgency) for _ in range(count)]
    await rig.run_due()
    return referrals


async def test_twelve_stalled_referrals_reach_the_point_person_as_three_notices_and_a_digest(
        rig) -> None:
    referrals = await stall(rig, 12)
    assert len(rig.mail.to(INTAKE)) == 3
    assert await rig.advance(WINDOW - 1) == 0  # nothing more inside the window
    await rig.advance(1)
    mails = rig.mail.to(INTAKE)
    assert len(mails) == 4
    digest = plain(mails[-1])
    assert digest.startswith("9 referrals for Harbor House Domestic Violence Shelter need")
    held = [rid for _, rid in referrals if rid[:8] in digest]
    assert len(held) == 9 and mails[3]["Subject"] == "CCR Hub: 9 referrals need you"
    lines = [line for line in digest.splitlines() if line.startswith("- ")]
    assert len(lines) == 9 and all(": waiting to be acknowledged by " in line
                                   and "(escalation level 1)" in line for line in lines)
    for _, rid in referrals:
        (notice,) = await rig.hub.store.notices.of_referral(rid)
        assert notice.status == "sent"
        assert bool(notice.sent_in_digest) == (rid in held)


async def test_a_referral_acknowledged_while_held_drops_out_of_the_digest(rig) -> None:
    referrals = await stall(rig, 5)
    held = [(sealed, rid) for sealed, rid in referrals
            if (await rig.hub.store.notices.of_referral(rid))[0].status == "held"]
    assert len(held) == 2
    await acknowledge(rig.hub, *held[0])
    await rig.advance(WINDOW)
    last = rig.mail.to(INTAKE)[-1]  # the one still waiting, as its own notice
    assert last["Subject"] == f"CCR Hub: referral {held[1][1][:8]} is waiting"
    assert held[0][1][:8] not in last.as_string()
    (gone,) = await rig.hub.store.notices.of_referral(held[0][1])
    assert gone.status == "cancelled"


async def test_no_digest_is_sent_when_every_held_referral_was_acknowledged(rig) -> None:
    referrals = await stall(rig, 4)
    (sealed, rid), = [(s, r) for s, r in referrals
                      if (await rig.hub.store.notices.of_referral(r))[0].status == "held"]
    await acknowledge(rig.hub, sealed, rid)
    await rig.advance(WINDOW)
    assert len(rig.mail.to(INTAKE)) == 3


async def test_the_night_backups_digest_is_one_spanish_sms_segment(rig) -> None:
    await stall(rig, 6, Urgency.URGENT)  # the backups' rung is not the first notice
    await rig.advance(HOUR)
    await rig.advance(WINDOW)
    texts = [t["body"] for t in rig.sms.texts if t["to"] == NIGHT]
    assert len(texts) == 4 and texts[-1].startswith("CCR Hub: 3 referencias")
    assert all(fits_one_segment(t) for t in texts)


async def test_an_agencys_people_share_one_window(rig) -> None:
    flood = rig.hub.store.flood
    now = rig.hub.clock.now()

    async def take(member: str, person: str) -> float:
        return await flood.take(member, person=person, channel="email", agency="harbor-house",
                                now=now, window=WINDOW, person_limit=3, agency_limit=4)

    assert [await take(f"n{i}", "harbor-intake") for i in range(3)] == [0, 0, 0]
    assert await take("n3", "harbor-director") == 0
    assert await take("n4", "harbor-director") == now + WINDOW  # the agency's fifth
    assert await take("n5", "harbor-intake") == now + WINDOW


async def test_a_failing_digest_backs_off_longer_each_time_and_goes_as_the_gateway_is_back(
        rig) -> None:
    await stall(rig, 6, Urgency.URGENT)
    await rig.advance(HOUR)  # the night backup: three texts, three held for a digest
    rig.sms.fail = 503
    member = "digest-" + next(iter({
        n.digest for k in await rig.hub.store.redis.keys(
            f"{rig.hub.store.keys.prefix}:notice:*")
        if (n := await rig.hub.store.notices.get(k.decode().rsplit(":", 1)[1])).digest
        and n.channel == "sms"}))
    waits = []
    for _ in range(3):
        due = await rig.hub.store.timers.due(rig.hub.store.keys.deliveries(), member)
        rig.hub.clock.set(due)
        await rig.run_due()
        waits.append(await rig.hub.store.timers.due(rig.hub.store.keys.deliveries(), member)
                     - rig.hub.clock.now())
    for attempt, wait in enumerate(waits, start=1):  # 10, 20, 40 s, each ±50% (jitter)
        assert 2.5 * 2 ** attempt <= wait <= 7.5 * 2 ** attempt
    rig.sms.fail, before = None, len(rig.sms.texts)
    rig.hub.clock.set(await rig.hub.store.timers.due(rig.hub.store.keys.deliveries(), member))
    await rig.run_due()  # at once: failed attempts reached no one, so they used no slot
    assert [t["body"][:22] for t in rig.sms.texts[before:] if t["to"] == NIGHT
            and "referencias" in t["body"]] == ["CCR Hub: 3 referencias"]


async def test_the_first_notice_of_an_urgent_or_emergent_referral_is_never_held(rig) -> None:
    await stall(rig, 3)  # the point person's window is full ...
    urgent = [await submit(rig.hub, urgency=u) for u in (Urgency.URGENT, Urgency.EMERGENT)]
    await rig.run_due()
    mails = rig.mail.to(INTAKE)
    assert len(mails) == 5  # ... and both pressing referrals' first notices go out now
    for _, rid in urgent:
        (notice,) = await rig.hub.store.notices.of_referral(rid)
        assert notice.status == "sent" and not notice.sent_in_digest
    await stall(rig, 1)  # a routine one after them still waits for the window
    assert len(rig.mail.to(INTAKE)) == 5

"""The coordinators' dashboard as the services decide it: QueueService (breached, due soon,
follow-ups overdue, within the reader's scope and filters), FiguresService (per receiving
agency and day, for coordinators and agency admins), OversightService (a nudge at most
every 15 minutes, a review in the history) and where a notice's link takes whom."""

from __future__ import annotations

import pytest

from hub.crypto import Urgency
from hub.errors import BadRequest, Conflict, Forbidden, NotFound, TooManyRequests
from hub.services.figures import Period
from hub.services.queue import QueueFilter

from .conftest import ADVOCACY, HOSPITAL, HOUR, SHELTER, Rig

COORDINATOR = ("ccr-coordination", "coordinator")


async def _states(rig: Rig, who, **filters) -> dict[str, str]:
    page = await rig.services.queue.page(who, QueueFilter(**filters))
    return {row.rid: row.state for row in page.rows}


async def test_the_queue_tells_breached_from_due_soon_and_overdue_follow_ups(rig: Rig) -> None:
    late = await rig.submit()  # acknowledgement owed in 2 hours
    rig.clock.advance(3 * HOUR)
    soon = await rig.submit()
    taken = await rig.submit()
    await rig.acknowledge(taken)
    await rig.services.lifecycle.accept(rig.who(SHELTER, "point_person"), taken.rid)
    rig.clock.advance(25 * HOUR)  # first contact was owed within a day of accepting
    states = await _states(rig, rig.who(*COORDINATOR), hours=24)
    assert states == {late.rid: "breached", soon.rid: "breached", taken.rid: "follow-up"}
    fresh = await rig.submit()
    assert (await _states(rig, rig.who(*COORDINATOR), hours=24))[fresh.rid] == "due-soon"
    assert fresh.rid not in await _states(rig, rig.who(*COORDINATOR), hours=1)


async def test_an_agency_sees_only_its_own_queue_and_a_sender_none(rig: Rig) -> None:
    to_shelter = await rig.submit(to=SHELTER)
    to_advocacy = await rig.submit(to=ADVOCACY)
    assert set(await _states(rig, rig.who(SHELTER, "point_person"))) == {to_shelter.rid}
    assert set(await _states(rig, rig.who(ADVOCACY, "backup"))) == {to_advocacy.rid}
    assert set(await _states(rig, rig.who(*COORDINATOR))) == {to_shelter.rid, to_advocacy.rid}
    assert await _states(rig, rig.who(SHELTER, "point_person"), agency=ADVOCACY) == {}
    with pytest.raises(Forbidden):
        await rig.services.queue.page(rig.person("mercy-ehr"), QueueFilter())  # sends only


async def test_the_queue_filters_by_type_and_urgency(rig: Rig) -> None:
    urgent = await rig.submit(urgency=Urgency.URGENT)
    emergent = await rig.submit(urgency=Urgency.EMERGENT)
    shelter = await rig.submit(kind="shelter-request")
    who = rig.who(*COORDINATOR)
    assert set(await _states(rig, who, urgency="emergent")) == {emergent.rid}
    assert set(await _states(rig, who, type="shelter-request")) == {shelter.rid}
    assert set(await _states(rig, who, type="discharge-handoff", sort="age")) == \
        {urgent.rid, emergent.rid}


async def test_live_counts_are_the_readers_own_and_stalled_flags_the_coordinators(
        rig: Rig) -> None:
    await rig.submit(to=SHELTER)
    await rig.submit(to=ADVOCACY)
    rig.clock.advance(3 * HOUR)
    assert await rig.services.queue.signature(rig.who(SHELTER, "point_person"), 24) == \
        {"past": 1, "due": 1}
    assert set(await rig.services.queue.signature(rig.who(*COORDINATOR), 24)) == \
        {"past", "due", "stalled"}


async def test_figures_count_each_receiving_agency_for_whom_may_see_them(rig: Rig) -> None:
    acked = await rig.submit()
    declined = await rig.submit()
    rig.clock.advance(HOUR)  # within the two hours owed
    await rig.acknowledge(acked)
    await rig.acknowledge(declined)
    await rig.services.lifecycle.reject(rig.who(SHELTER, "point_person"), declined.rid,
                                        "capacity")
    coordinator = await rig.services.figures.figures(rig.who(*COORDINATOR), Period(days=1))
    shelter = next(a for a in coordinator.agencies if a.agency == SHELTER)
    assert (shelter.received, shelter.acknowledged, shelter.in_time) == (2, 2, 1.0)
    assert shelter.ack_median_s == HOUR and shelter.declined == {"capacity": 1}
    assert (shelter.loop_closed, shelter.open_now) == (0.5, 1)
    admin = await rig.services.figures.figures(rig.who(SHELTER, "agency_admin"),
                                               Period(days=1))
    assert [a.agency for a in admin.agencies] == [SHELTER]
    with pytest.raises(Forbidden):
        await rig.services.figures.figures(rig.who(SHELTER, "point_person"), Period(days=1))


async def test_a_nudge_goes_out_at_most_every_fifteen_minutes(rig: Rig) -> None:
    sent = await rig.submit()
    coordinator = rig.who(*COORDINATOR)
    assert await rig.services.oversight.nudge(coordinator, sent.rid, "ack") >= 1
    with pytest.raises(TooManyRequests) as refused:
        await rig.services.oversight.nudge(coordinator, sent.rid, "ack")
    assert refused.value.code == "nudged_recently"
    with pytest.raises(BadRequest):
        await rig.services.oversight.nudge(coordinator, sent.rid, "fu:no-such")
    with pytest.raises(Forbidden):
        await rig.services.oversight.nudge(rig.who(SHELTER, "point_person"), sent.rid, "ack")
    await rig.acknowledge(sent)
    rig.clock.advance(16 * 60)
    with pytest.raises(Conflict):  # acknowledged: nothing is owed to nudge
        await rig.services.oversight.nudge(coordinator, sent.rid, "ack")


async def test_a_review_is_the_coordinators_and_stays_in_the_history(rig: Rig) -> None:
    sent = await rig.submit()
    with pytest.raises(Forbidden):
        await rig.services.oversight.review(rig.who(SHELTER, "agency_admin"), sent.rid,
                                            "discussed")
    await rig.services.oversight.review(rig.who(*COORDINATOR), sent.rid, "systemic-issue")
    dossier = await rig.services.oversight.dossier(rig.who(*COORDINATOR), sent.rid)
    assert [(e.action, e.code) for e in dossier.history][-1] == ("reviewed", "systemic-issue")
    with pytest.raises(NotFound):  # another agency's queue: as for a missing referral
        await rig.services.oversight.dossier(rig.who(ADVOCACY, "agency_admin"), sent.rid)


@pytest.mark.parametrize(("person", "inbox"), [
    ("harbor-intake", True),  # the receiving group
    ("harbor-night", True),
    ("mercy-nurse-1", True),  # a sender of the sending agency
    ("harbor-director", True),  # a backup, though also its admin
    ("mercy-admin", False),  # an admin only: the dashboard
    ("ccr-coordinator", False),
])
async def test_a_notices_link_takes_the_group_and_the_sender_to_the_inbox(
        rig: Rig, person: str, inbox: bool) -> None:
    sent = await rig.submit(sender=HOSPITAL, to=SHELTER)
    assert await rig.services.worklist.opens_in_inbox(rig.person(person), sent.rid) is inbox


async def test_the_inbox_leads_with_what_is_due_even_past_its_newest_page(rig: Rig) -> None:
    """An emergent referral older than the newest page still comes first: the inbox reads
    the agency's soonest deadlines as well as its newest referrals."""
    emergent = await rig.submit(urgency=Urgency.EMERGENT)
    newer = [await rig.submit(urgency=Urgency.ROUTINE) for _ in range(3)]
    items = await rig.services.worklist.inbox(rig.who(SHELTER, "point_person"), limit=2)
    shown = [item.referral.id for item in items]
    assert shown[0] == emergent.rid
    assert set(shown[1:]) <= {s.rid for s in newer} and len(shown) == len(set(shown))

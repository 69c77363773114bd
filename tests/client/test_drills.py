"""The coordinator's side of an onward drill, in process: the shelter's drill sender device
opens the hospital's drill handoff (fetched through the drill) and forwards it to
counseling with the record its step covers; the counselor's device reads that record."""

from __future__ import annotations

from hub.client import Agent, HubApi
from hub.client.cases import case_timeline
from hub.client.drills import seal_steps
from hub.crypto import short_fingerprint
from tests.client.test_sdk import pinned_trust


async def test_the_shelters_drill_device_forwards_the_handoff_with_its_record(hub) -> None:
    w = hub.world
    url = str(hub.client.make_url("")).rstrip("/")
    prints = {a: short_fingerprint(root.public) for a, root in w.roots.items()}
    coordinator = HubApi(url, w.members["ccr-coordinator"].token)
    counselor_api = HubApi(url, w.members["northside-intake"].token)
    try:
        senders = {agency: Agent(coordinator, w.members[person].device,
                                 await pinned_trust(coordinator, prints), clock=hub.clock.now)
                   for agency, person in (("mercy-hospital", "mercy-nurse-1"),
                                          ("harbor-house", "harbor-intake"))}
        drill = await coordinator.start_drill("shelter-counseling")
        first, onward = await seal_steps(senders.__getitem__, drill)
        assert (onward.sender_agency, onward.destination) == ("harbor-house",
                                                              "northside-counseling")

        counselor = Agent(counselor_api, w.members["northside-intake"].device,
                          await pinned_trust(counselor_api, prints), clock=hub.clock.now)
        case = await case_timeline(counselor, onward.id)
        assert case.forwarding is not None and case.forwarding.purpose == "counseling"
        carried = next(s for s in case.steps if s.referral == first.id)
        assert carried.content is not None  # only what the step covers went onward
        assert set(carried.content) == {"kind", "needs", "summary"}
        assert carried.content["summary"].startswith("DRILL")

        debrief = await coordinator.drill_debrief(drill.id)  # fetching it was no 'opened'
        assert [m.what for m in debrief.moments if m.step == 1].count("opened") == 0
        await coordinator.end_drill(drill.id)
    finally:
        await coordinator.close()
        await counselor_api.close()

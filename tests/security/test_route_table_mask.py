"""Issue 17, 1-3, over the route table itself: for every route (the JSON API and the
pages, with every body its models take), every flow-back setting (an agreement that keeps
the status from the sender; one that keeps the outcome; consent's share_outcome either
way), every status the receiving agency can reach and each party who may not learn it
(the sending agency's people, whatever their role, and a third agency), two worlds that
differ only in what that party may not learn get the same answers, down to the last byte
that is not a request id. A route added later is swept without anyone remembering to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from .conftest import Twins
from .sweep import Case, sweep

PROSECUTOR, ADVOCACY, ADVOCACY_REQUEST = "county-prosecutor", "bridge-advocacy", \
    "advocacy-request"
ADVOCATE = "bridge-advocate"
Progress = Callable[[Twins, str, object], Awaitable[None]]


async def advance(side, rid: str, sealed, twins: Twins, steps: list[tuple[str, dict | None]],
                  person: str) -> None:
    for step, doc in steps:
        if step == "open":
            await side.ok("GET", f"/v1/referrals/{rid}/envelope", person)
        elif step == "acknowledge":
            await side.ok("POST", f"/v1/referrals/{rid}/acknowledge", person,
                          json=twins.receipt(person, sealed))
        else:
            await side.ok("POST", f"/v1/referrals/{rid}/{step}", person, json=doc)


OPENED = [("open", None)]
RECEIVED = [*OPENED, ("acknowledge", None)]
ACCEPTED = [*RECEIVED, ("accept", None)]
STATUSES = {
    "opened": OPENED, "received": RECEIVED, "accepted": ACCEPTED,
    "rejected": [*RECEIVED, ("reject", {"reason": "survivor-declined"})],
    "in-progress": [*ACCEPTED, ("progress", None)],
    "completed": [*ACCEPTED, ("complete", {"outcome": "services-provided"})],
}
PROSECUTION_SIDE = ["prosecutor-vw", "prosecutor-admin", "harbor-intake"]


async def _world(twins: Twins, sender: str, dest: str, kind: str, share: bool,
                 a_steps: list, b_steps: list, person: str) -> Case:
    rid, sealed = await twins.submit(sender, dest, kind, share_outcome=share)
    twins.clock.advance(60)
    await advance(twins.a, rid, sealed, twins, a_steps, person)
    await advance(twins.b, rid, sealed, twins, b_steps, person)
    twins.clock.advance(60)
    submitted = twins.world.submit_body(sealed, dest, kind)
    return Case(rid, twins.world.members[sender].agency, kind, submitted, dest)


async def _assert_same(twins: Twins, case: Case, people: list[str]) -> None:
    """Every route the same for each of ``people``; then whatever fell due (the notices of
    a withdrawal the sweep recorded, say) fired on both hubs, and the same notices to them."""
    differences = []
    for person in people:
        differences += await sweep(twins, case, person)
    assert not differences, "\n".join(differences[:6])
    for side in twins.sides:
        await side.run_due()
    assert twins.a.told(set(people)) == twins.b.told(set(people))


@pytest.mark.parametrize("share", [False, True])
@pytest.mark.parametrize("status", list(STATUSES))
async def test_a_status_kept_from_the_sender_shows_in_no_answer(twins, status, share) -> None:
    """The prosecutor's office learns that it sent the referral, not whether or how the
    survivor engaged with the advocate: whatever the advocate did looks like nothing."""
    case = await _world(twins, "prosecutor-vw", ADVOCACY, ADVOCACY_REQUEST, share,
                        STATUSES[status], [], ADVOCATE)
    await _assert_same(twins, case, PROSECUTION_SIDE)


async def test_the_receivers_narrowing_of_consent_shows_in_no_answer(twins) -> None:
    rid, sealed = await twins.submit("prosecutor-vw", ADVOCACY, ADVOCACY_REQUEST,
                                     share_outcome=True)
    twins.clock.advance(60)
    await twins.a.ok("POST", f"/v1/referrals/{rid}/consent", ADVOCATE,
                     json={"share_outcome": False})
    case = Case(rid, PROSECUTOR, ADVOCACY_REQUEST,
                twins.world.submit_body(sealed, ADVOCACY, ADVOCACY_REQUEST), ADVOCACY)
    await _assert_same(twins, case, PROSECUTION_SIDE)


async def test_consent_withdrawn_at_the_advocacy_looks_the_same_whatever_came_before(
        twins) -> None:
    case = await _world(twins, "prosecutor-vw", ADVOCACY, ADVOCACY_REQUEST, False,
                        [*STATUSES["completed"], ("revoke-consent", {"reason": "survivor-safety"})],
                        [("revoke-consent", {"reason": "survivor-safety"})], ADVOCATE)
    await _assert_same(twins, case, PROSECUTION_SIDE)


async def test_consent_running_out_looks_the_same_whether_or_not_the_referral_had_closed(
        twins) -> None:
    case = await _world(twins, "prosecutor-vw", ADVOCACY, ADVOCACY_REQUEST, False,
                        STATUSES["completed"], [], ADVOCATE)
    for side in twins.sides:
        await side.run_due()
    for _ in range(31):  # a day at a time: the ladder's rungs and consent's end fire
        twins.clock.advance(86400)
        for side in twins.sides:
            await side.run_due()
    await _assert_same(twins, case, PROSECUTION_SIDE)


async def test_a_coordinators_review_shows_the_sender_nothing(twins) -> None:
    case = await _world(twins, "prosecutor-vw", ADVOCACY, ADVOCACY_REQUEST, False,
                        STATUSES["received"], [], ADVOCATE)
    sid, csrf = await twins.a.session("ccr-coordinator")
    r = await twins.a.client.post(f"/dashboard/referrals/{case.rid}/review",
                                  data={"csrf": csrf, "code": "discussed"},
                                  headers={"Cookie": f"ccr_session={sid}"},
                                  allow_redirects=False)
    assert r.status == 303, await r.text()
    await _assert_same(twins, case, PROSECUTION_SIDE)


OUTCOME_KEPT = {  # (sender, destination, type, share_outcome): the agreement or the survivor
    "by the agreement": ("mercy-nurse-1", ADVOCACY, "discharge-handoff", True),
    "by the survivor": ("mercy-nurse-1", "harbor-house", "discharge-handoff", False),
}
HOSPITAL_SIDE = ["mercy-nurse-1", "mercy-nurse-2", "mercy-admin", "riverside-detective"]


@pytest.mark.parametrize("kept", list(OUTCOME_KEPT))
@pytest.mark.parametrize("ending", ["reject", "complete"])
async def test_an_outcome_kept_from_the_sender_shows_in_no_answer(twins, kept, ending) -> None:
    sender, dest, kind, share = OUTCOME_KEPT[kept]
    receiver = "harbor-intake" if dest == "harbor-house" else ADVOCATE
    field = "reason" if ending == "reject" else "outcome"
    codes = {"reject": ("capacity", "survivor-declined"),
             "complete": ("services-provided", "unable-to-contact")}[ending]
    before = ACCEPTED if ending == "complete" else RECEIVED
    case = await _world(twins, sender, dest, kind, share, [*before, (ending, {field: codes[0]})],
                        [*before, (ending, {field: codes[1]})], receiver)
    await _assert_same(twins, case, HOSPITAL_SIDE)


async def test_the_sweep_sees_what_the_agreement_and_the_survivor_let_through(twins) -> None:
    """The control: where outcomes flow back and the survivor agreed, the sender does
    learn the decline reason, and the sweep notices that the two worlds differ."""
    case = await _world(twins, "mercy-nurse-1", "harbor-house", "discharge-handoff", True,
                        [*RECEIVED, ("reject", {"reason": "capacity"})],
                        [*RECEIVED, ("reject", {"reason": "survivor-declined"})], "harbor-intake")
    differences = await sweep(twins, case, "mercy-nurse-1")
    assert any("referral.get" in d and "capacity" in d for d in differences)

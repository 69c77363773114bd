"""Drills through the services: a coordinator's drill runs through the real routing and
ladder, tells only the scenario's people, never counts in the figures, and leaves nothing
in Redis when it ends (but its debrief)."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest

from hub.api.casefile import Forwarding, RecordStep, attach, detach, forward, new_case
from hub.api.drills import drill_content
from hub.cards import Card
from hub.crypto import ReceiptStatus, Urgency, open_envelope, sign_receipt
from hub.errors import Forbidden, Unprocessable
from hub.services.figures import Period
from tests.web.pages.support import Escalation, Outbox

from .conftest import Rig

SCENARIO = "discharge-2am"


async def start_drill(rig: Rig):
    """The coordinator starts the 2 a.m. drill and seals its step as the CLI does."""
    coordinator = rig.person("ccr-coordinator")
    drill = await rig.services.drills.start(coordinator, SCENARIO)
    step = rig.services.ccr.drill(SCENARIO).steps[0]
    now = int(rig.clock.now())
    sealed = rig.world.seal_drill(
        rig.world.members[step.sender], step.to, step.type,
        drill_content(step.type, step.story, step.needs, sender=step.sender, now=now),
        urgency=Urgency.EMERGENT, now=now)
    referral = await rig.services.drills.submit(coordinator, drill.id, sealed.envelope)
    return drill, sealed, referral


def engine(rig: Rig) -> Escalation:
    email, sms = Outbox("email"), Outbox("sms")
    return Escalation(rig, rig.services.engine({"email": email, "sms": sms}, "https://hub.test"),
                      email, sms)


async def test_a_drill_runs_the_real_ladder_and_tells_only_its_people(rig: Rig) -> None:
    coordinator = rig.person("ccr-coordinator")
    figures_before = await rig.services.figures.figures(coordinator, Period())
    drill, sealed, referral = await start_drill(rig)
    assert referral.drill == drill.id and referral.sender_agency == "mercy-hospital"
    card = await rig.store.redis.hget(rig.store.keys.cards(), referral.id)
    assert Card.decode(card.decode()).drill  # the coordinators' queue says DRILL
    run = engine(rig)
    await run.run_due()
    await run.advance(45 * 60)  # nobody acknowledges: the ladder goes past the first rung
    told = {n.person for n in await rig.store.notices.of_referral(referral.id)}
    assert told and told <= set(rig.services.ccr.drill(SCENARIO).people)
    subjects = [m.subject for m in [*run.email.sent, *run.sms.sent]]
    assert subjects and all(s.startswith("DRILL:") for s in subjects)

    point = rig.world.members["harbor-intake"]
    raw = sign_receipt(point.device, envelope_id=sealed.header.envelope_id,
                       header_hash=sealed.header.hash, status=ReceiptStatus.ACKNOWLEDGED,
                       at=int(rig.clock.now()))
    await rig.services.lifecycle.acknowledge(point.principal(), referral.id,
                                             base64.b64encode(raw).decode())
    debrief = await rig.services.drills.debrief(rig.person("ccr-coordinator"), drill.id)
    whats = [m.what for m in debrief.moments]
    assert whats[0] == "sent" and "notified" in whats and "acknowledged" in whats
    assert debrief.past_rungs and debrief.finishers == ("harbor-intake",)
    assert await rig.services.figures.figures(coordinator, Period()) == figures_before

    finished: list[str] = []

    async def hook(person, record) -> None:
        finished.append(person)
    rig.services.drills.finished.append(hook)
    ended = await rig.services.drills.end(rig.person("ccr-coordinator"), drill.id)
    assert ended.csv().count("\n") == len(debrief.moments) + 1 and finished == ["harbor-intake"]
    facts = await rig.store.checklists.facts("harbor-intake")  # the checklists heard of it
    assert facts.drill_done_at == rig.clock.now()
    assert await rig.store.checklists.drilled(["harbor-house"]) == {"harbor-house"}
    left = [k.decode() async for k in rig.store.redis.scan_iter(match=f"{rig.store.keys.prefix}:*")]
    traces = [k for k in left if not k.endswith((":audit", ":audit:log"))
              and (referral.id in k or drill.id in k
                   or await _holds(rig, k, (referral.id, drill.id)))]
    assert traces == []
    await rig.services.auditlog.seal()
    assert (await rig.services.auditlog.verify()).ok


async def test_a_drill_marked_for_the_case_review_leaves_no_mark_or_action_item(
        rig: Rig) -> None:
    """The case review's index and action items name a referral outside its own keys: a
    drill's end takes them too."""
    coordinator = rig.person("ccr-coordinator")
    drill, _, referral = await start_drill(rig)
    await rig.services.mdt.mark(coordinator, referral.id, "other")
    item = await rig.services.mdt.add_action(coordinator, referral.id, "harbor-house",
                                             "contact-agency", date(2030, 1, 1))
    await rig.services.drills.end(coordinator, drill.id)
    left = [k.decode() async for k in rig.store.redis.scan_iter(match=f"{rig.store.keys.prefix}:*")]
    ids = (referral.id, drill.id, item.id)
    assert [k for k in left if not k.endswith((":audit", ":audit:log"))
            and (any(i in k for i in ids) or await _holds(rig, k, ids))] == []


async def _holds(rig: Rig, key: str, ids: tuple[str, ...]) -> bool:
    r = rig.store.redis
    kind = (await r.type(key)).decode()
    if kind == "zset":
        values = [m for m, _ in await r.zrange(key, 0, -1, withscores=True)]
    elif kind == "hash":
        raw = await r.hgetall(key)
        values = [*raw.keys(), *raw.values()]
    elif kind == "set":
        values = list(await r.smembers(key))
    elif kind == "list":
        values = await r.lrange(key, 0, -1)
    elif kind == "string":
        values = [await r.get(key)]
    else:
        return False
    return any(i.encode() in v for v in values for i in ids if isinstance(v, bytes))


async def test_only_a_coordinator_starts_a_drill_and_a_real_sender_cannot_send_one(
        rig: Rig) -> None:
    with pytest.raises(Forbidden):
        await rig.services.drills.start(rig.person("harbor-intake"), SCENARIO)
    with pytest.raises(Unprocessable):
        await rig.services.drills.start(rig.person("ccr-coordinator"), "no-such-drill")
    nurse = rig.world.members["mercy-nurse-1"]
    sealed = rig.world.seal_drill(nurse, "harbor-house", "discharge-handoff", b"{}",
                                  urgency=Urgency.EMERGENT, now=int(rig.clock.now()))
    with pytest.raises(Unprocessable) as refused:
        await rig.services.referrals.submit(nurse.principal(), sealed.envelope,
                                            rig.consent(nurse, "harbor-house",
                                                        "discharge-handoff"))
    assert refused.value.code == "drill_envelope"


async def test_an_onward_drill_forwards_the_shelters_referral_to_counseling_and_ends_clean(
        rig: Rig) -> None:
    """The second example scenario: the hospital's handoff to the shelter, then the
    shelter's onward referral of it to counseling, through the real onward checks, both in
    the debrief, both purged at the end with the parent's onward set."""
    coordinator = rig.person("ccr-coordinator")
    figures_before = await rig.services.figures.figures(coordinator, Period())
    scenario = rig.services.ccr.drill("shelter-counseling")
    first, onward = scenario.steps
    drill = await rig.services.drills.start(coordinator, scenario.id)
    nurse, intake = rig.world.members[first.sender], rig.world.members[onward.sender]
    now = int(rig.clock.now())
    sealed = rig.world.seal_drill(nurse, first.to, first.type, drill_content(
        first.type, first.story, first.needs, sender=first.sender, now=now),
        urgency=Urgency.URGENT, now=now)
    parent = await rig.services.drills.submit(coordinator, drill.id, sealed.envelope)

    # the shelter's drill sender device is in its escalation group: it opens the handoff,
    # fetched through the drill (the coordinator's token is not of the shelter's group)
    fetched = await rig.services.drills.envelope(coordinator, drill.id, parent.id)
    opened = open_envelope(fetched, device=intake.sealer, trust=rig.world.trust(), now=now)
    assert opened.header.drill
    rig.clock.advance(600)
    now = int(rig.clock.now())
    case = forward(new_case(), RecordStep(
        referral=parent.id, sender=first.from_agency, destination=first.to, type=first.type,
        sent_at=opened.header.created_at, content=json.loads(detach(opened.content)[0])),
        Forwarding(purpose=onward.purpose, covers=onward.covers))
    content = attach(drill_content(onward.type, onward.story, onward.needs,
                                   sender=onward.sender, now=now), case)
    forwarded = rig.world.seal_drill(intake, onward.to, onward.type, content,
                                     urgency=Urgency.ROUTINE, now=now)
    with pytest.raises(Unprocessable) as refused:  # an onward step names its parent
        await rig.services.drills.submit(coordinator, drill.id, forwarded.envelope)
    assert refused.value.code == "bad_drill_step"
    child = await rig.services.drills.submit(
        coordinator, drill.id, forwarded.envelope, parent=parent.id,
        case_link=case.link(onward.from_agency, onward.to))
    assert (child.drill, child.parent, child.sender_agency) == (drill.id, parent.id,
                                                                 "harbor-house")
    assert await rig.store.referrals.onward(parent.id) == [child.id]
    seen = await rig.services.onward.onward(intake.principal(), parent.id)
    assert [o.referral.id for o in seen] == [child.id]  # the shelter sees what it forwarded
    told_back = await rig.services.onward.onward(nurse.principal(), parent.id)
    assert [o.referral.id for o in told_back] == [child.id]  # status flows back to Mercy

    await engine(rig).run_due()  # each step's group is told, and only the scenario's people
    rig.clock.advance(300)
    counselor = rig.world.members["northside-intake"]
    raw = sign_receipt(counselor.sealer, envelope_id=forwarded.header.envelope_id,
                       header_hash=forwarded.header.hash, status=ReceiptStatus.ACKNOWLEDGED,
                       at=int(rig.clock.now()))
    await rig.services.lifecycle.acknowledge(counselor.principal(), child.id,
                                             base64.b64encode(raw).decode())
    debrief = await rig.services.drills.debrief(coordinator, drill.id)
    by_step = {(m.step, m.what): m for m in debrief.moments}
    assert by_step[(1, "sent")].referral == parent.id
    assert by_step[(2, "sent")].referral == child.id and by_step[(2, "sent")].who == "harbor-intake"
    assert by_step[(2, "acknowledged")].after_sent == 300
    told = {(m.step, m.who) for m in debrief.moments if m.what == "notified"}
    assert {step for step, _ in told} == {1, 2}
    assert {who for _, who in told} <= set(scenario.people)
    assert debrief.finishers == ("northside-intake",)
    assert await rig.services.figures.figures(coordinator, Period()) == figures_before

    await rig.services.drills.end(coordinator, drill.id)
    ids = (parent.id, child.id, drill.id)
    left = [k.decode() async for k in rig.store.redis.scan_iter(match=f"{rig.store.keys.prefix}:*")]
    assert [k for k in left if not k.endswith((":audit", ":audit:log"))
            and (any(i in k for i in ids) or await _holds(rig, k, ids))] == []
    await rig.services.auditlog.seal()
    assert (await rig.services.auditlog.verify()).ok


async def test_a_drills_onward_step_names_its_own_drills_referral(rig: Rig) -> None:
    """A drill never forwards a real referral, nor one of another drill: the parent is the
    drill's referral of the step it forwards, checked as any onward referral's."""
    coordinator = rig.person("ccr-coordinator")
    real = await rig.submit()  # a real referral the shelter received
    drill = await rig.services.drills.start(coordinator, "shelter-counseling")
    onward = rig.services.ccr.drill("shelter-counseling").steps[1]
    intake = rig.world.members[onward.sender]
    now = int(rig.clock.now())
    sealed = rig.world.seal_drill(intake, onward.to, onward.type, drill_content(
        onward.type, onward.story, onward.needs, sender=onward.sender, now=now),
        urgency=Urgency.ROUTINE, now=now)
    with pytest.raises(Unprocessable) as refused:
        await rig.services.drills.submit(coordinator, drill.id, sealed.envelope,
                                         parent=real.rid)
    assert refused.value.code == "bad_drill_step" and "step 1" in str(refused.value)
    assert await rig.store.referrals.onward(real.rid) == []
    assert await rig.store.referrals.get(sealed.header.envelope_id.hex()) is None


async def test_a_drills_referral_never_goes_onward_as_a_real_one(rig: Rig) -> None:
    """The shelter forwarding a drill's handoff with a real (unmarked) envelope would take
    the drill out of the drill: refused, and nothing joins the drill's onward set."""
    drill, _, referral = await start_drill(rig)
    intake = rig.world.members["harbor-intake"]
    real = rig.world.seal_referral(intake, "northside-counseling", "counseling-referral",
                                   b"{}", urgency=Urgency.ROUTINE)
    with pytest.raises(Unprocessable) as refused:
        await rig.services.referrals.submit(
            intake.principal(), real.envelope,
            rig.consent(intake, "northside-counseling", "counseling-referral"),
            parent=referral.id)
    assert refused.value.code == "drill_envelope" and "drill" in str(refused.value)
    assert await rig.store.referrals.onward(referral.id) == []
    assert await rig.store.referrals.get(real.header.envelope_id.hex()) is None

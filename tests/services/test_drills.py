"""Drills through the services: a coordinator's drill runs through the real routing and
ladder, tells only the scenario's people, never counts in the figures, and leaves nothing
in Redis when it ends (but its debrief)."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from hub.api.drills import drill_content
from hub.cards import Card
from hub.crypto import ReceiptStatus, Urgency, sign_receipt
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

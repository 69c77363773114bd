"""The survivor's continuity of care (issue 22): a hospital's handoff goes to a shelter, the
shelter refers the survivor onward to counseling with the record, and the counselor reads
the hospital's handoff and the shelter's notes without the survivor telling it again,
while the hub's Redis, logs and notices hold none of it; the case's link ids on two agency
pairs are unrelated, and the hub's keyspace cannot join them."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest

from hub.api.casefile import CaseFile, Forwarding, RecordStep, forward, new_case
from hub.client import Agent, ConsentDetails, DischargeHandoff, HubApi, SafeContact, consent_for
from hub.client.cases import case_timeline, refer_onward
from hub.client.contents import GenericReferral, Person
from hub.client.errors import HubApiError
from hub.crypto import short_fingerprint
from hub.crypto.caselink import link_id
from tests.client.test_sdk import pinned_trust
from tests.escalation.conftest import rig  # noqa: F401  (the fixture)
from tests.support.redis_scan import dump_values

HOSPITAL, SHELTER, COUNSELING = "mercy-hospital", "harbor-house", "northside-counseling"
HANDOFF, COUNSEL = "discharge-handoff", "counseling-referral"
NAME, PHONE, SUMMARY = "Canary Zq7Survivor", "+15555550147", "canary-summary-Vx93 strangled"
NOTES = "canary-shelter-notes-Kp21: nightmares, wants a woman counselor"
COVERS = ("survivor", "needs", "safe_contact", "consent")  # what the survivor agreed goes on


def handoff() -> DischargeHandoff:
    return DischargeHandoff(
        survivor=Person(name=NAME, pronouns="she/her"), needs=("shelter", "counseling"),
        discharge_at="2027-01-15T14:00:00-06:00",
        safe_contact=SafeContact(channels=("sms",), phone=PHONE, voicemail_ok=False),
        consent=ConsentDetails(method="written", given_at="2027-01-15T10:00:00-06:00",
                               documented_by="mercy-nurse-1", scope="shelter and counseling"),
        children=2, summary=SUMMARY)


@pytest.fixture
async def agents(hub):
    w = hub.world
    url = str(hub.client.make_url("")).rstrip("/")
    prints = {a: short_fingerprint(root.public) for a, root in w.roots.items()}
    made = {}
    for role, agency, duty in (("nurse", HOSPITAL, "sender"), ("shelter", SHELTER, "sender"),
                               ("counselor", COUNSELING, "point_person"),
                               ("advocate", "bridge-advocacy", "point_person"),
                               ("prosecutor", "county-prosecutor", "sender")):
        who = w.first(agency, duty)
        api = HubApi(url, who.token)
        made[role] = Agent(api, who.device, await pinned_trust(api, prints),
                           clock=hub.clock.now)
    yield made
    for agent in made.values():
        await agent.api.close()


def consent(hub, destination: str, referral_type: str, by: str):
    return consent_for(destination, referral_type, documented_by=by, now=int(hub.clock.now()))


async def hospital_to_shelter(hub, agents, *, share_outcome: bool = False):
    nurse, shelter = agents["nurse"], agents["shelter"]
    given = consent(hub, SHELTER, HANDOFF, "mercy-nurse-1").model_copy(
        update={"share_outcome": share_outcome})
    first = await nurse.send(SHELTER, HANDOFF, handoff(), given, case=new_case())
    received = await shelter.open(first.id)
    await shelter.acknowledge(received)
    await shelter.api.move(first.id, "accept")
    return first


async def shelter_to_counseling(hub, agents, parent: str, covers=COVERS):
    return await refer_onward(
        agents["shelter"], parent, COUNSELING, COUNSEL,
        GenericReferral(kind=COUNSEL, text=NOTES),
        consent(hub, COUNSELING, COUNSEL, "harbor-intake"),
        Forwarding(purpose="counseling", covers=covers), urgency="routine")


async def test_the_counselor_reads_the_hospitals_handoff_and_never_makes_the_survivor_retell(
        hub, agents, rig, caplog) -> None:  # noqa: F811
    caplog.set_level(logging.DEBUG)
    first = await hospital_to_shelter(hub, agents)
    await rig.run_due()
    onward = await shelter_to_counseling(hub, agents, first.id)
    await rig.run_due()
    await rig.advance(6 * 3600)  # acknowledgement deadlines pass: escalation notices too

    counselor = agents["counselor"]
    received = await counselor.open(onward.id)
    assert GenericReferral.model_validate_json(received.content).text == NOTES
    (step,) = received.case.record
    sent = json.loads(handoff().to_bytes())
    assert (step.referral, step.sender, step.destination) == (first.id, HOSPITAL, SHELTER)
    for name in COVERS:  # never retold: the very fields the hospital wrote
        assert step.content[name] == sent[name]
    assert "summary" not in step.content and "children" not in step.content  # not consented

    timeline = await case_timeline(counselor, onward.id)
    assert timeline.agencies == (HOSPITAL, SHELTER, COUNSELING)
    assert [s.referral for s in timeline.steps] == [first.id, onward.id]
    assert timeline.steps[0].content["survivor"]["name"] == NAME
    assert timeline.steps[0].status is None  # the counselor is not party to it
    assert timeline.forwarding == Forwarding(purpose="counseling", covers=COVERS)

    assert rig.mail.messages or rig.sms.texts  # notices went out
    stored = b"".join(k + v for k, v in (await dump_values(hub.store.redis,
                                                            hub.store.keys.prefix)).items())
    mails = [m.as_string() for m in rig.mail.messages]
    texts = [json.dumps(t) for t in rig.sms.texts]
    secret = received.case.secret
    for canary in (NAME, PHONE, SUMMARY, NOTES, secret.hex(), base64.b64encode(secret).decode()):
        assert canary.encode() not in stored, f"{canary!r} is in Redis"
        assert canary not in caplog.text, f"{canary!r} is in the logs"
        assert not any(canary in m for m in mails + texts), f"{canary!r} is in a notice"


async def test_the_shelters_and_the_hospitals_timelines_show_the_onward_referral(
        hub, agents) -> None:
    first = await hospital_to_shelter(hub, agents)
    onward = await shelter_to_counseling(hub, agents, first.id)

    shelter = await case_timeline(agents["shelter"], onward.id)
    assert [(s.referral, s.status) for s in shelter.steps] == [(first.id, "accepted"),
                                                               (onward.id, "requested")]
    assert shelter.steps[0].content["survivor"]["name"] == NAME  # carried on the device
    assert [s.referral for s, _ in shelter.follow_ups(hub.clock.now())] == [onward.id]

    hub.clock.advance(7 * 86400)
    hospital = await case_timeline(agents["nurse"], first.id)  # status flows back to Mercy
    assert hospital.agencies == (HOSPITAL, SHELTER, COUNSELING)
    assert [(s.referral, s.destination) for s in hospital.steps] == [(first.id, SHELTER),
                                                                     (None, COUNSELING)]
    assert [(s.destination, f) for s, f in hospital.follow_ups(hub.clock.now())] == []
    assert (await agents["nurse"].api.referral(first.id)).parent is None


async def test_the_timeline_shows_each_milestone_recorded_owed_and_missed_where_the_agency_is_party(
        hub, agents, rig) -> None:  # noqa: F811
    first = await hospital_to_shelter(hub, agents, share_outcome=True)  # gaps flow back too
    await agents["shelter"].api.record_milestone(first.id, "exam-followup-scheduled")
    onward = await shelter_to_counseling(hub, agents, first.id)

    def states(timeline, rid):
        (step,) = [s for s in timeline.steps if s.referral == rid]
        return {m.code: (m.state(hub.clock.now()), m) for m in step.milestones}

    hospital = await case_timeline(agents["nurse"], first.id)  # status flows back to Mercy
    seen = states(hospital, first.id)
    assert seen["exam-followup-scheduled"][0] == "recorded"
    state, attended = seen["exam-followup-attended"]
    assert state == "pending" and attended.due_at > hub.clock.now() + 13 * 86400
    assert seen["no-show"][0] is None  # a code without a deadline is owed by no one
    assert hospital.milestones(hub.clock.now(), "missed") == []

    await rig.run_due()
    await rig.advance(15 * 86400)  # the follow-up exam was never recorded: a gap
    hospital = await case_timeline(agents["nurse"], first.id)
    ((step, gap),) = hospital.milestones(hub.clock.now(), "missed")
    assert (step.referral, gap.code) == (first.id, "exam-followup-attended")
    assert gap.gap_at is not None  # the engine made it a gap, not just the device's clock

    counselor = await case_timeline(agents["counselor"], onward.id)
    assert states(counselor, first.id) == {}  # not party to the hospital's referral
    assert set(states(counselor, onward.id)) == {"counseling-intake-scheduled", "first-session"}


async def test_an_onward_referral_is_hidden_from_a_sender_the_status_does_not_flow_back_to(
        hub, agents) -> None:
    """The prosecutor learns that its referral was sent, not what the advocate did with
    it: not even that the survivor went on to counseling."""
    prosecutor, advocate = agents["prosecutor"], agents["advocate"]
    sent = await prosecutor.send("bridge-advocacy", "advocacy-request",
                                 GenericReferral(kind="advocacy-request", text="x"),
                                 consent(hub, "bridge-advocacy", "advocacy-request",
                                         "prosecutor-vw"), case=new_case())
    onward = await refer_onward(advocate, sent.id, COUNSELING, COUNSEL,
                                GenericReferral(kind=COUNSEL, text=NOTES),
                                consent(hub, COUNSELING, COUNSEL, "bridge-advocate"),
                                Forwarding(purpose="counseling", covers=("*",)))
    assert [o.id for o in await advocate.api.onward(sent.id)] == [onward.id]
    assert await prosecutor.api.onward(sent.id) == []
    coordinator = hub.world.first("ccr-coordination", "coordinator")
    r = await hub.client.get(f"/v1/referrals/{onward.id}", headers=coordinator.auth)
    assert (await r.json())["parent"] is None and (await r.json())["case_link"] is None
    assert (await agents["counselor"].api.referral(onward.id)).parent is None


async def test_only_the_agency_that_received_a_referral_can_forward_it(hub, agents) -> None:
    first = await hospital_to_shelter(hub, agents)
    w = hub.world
    body = w.submit_body(w.seal_referral(w.first("bridge-advocacy", "sender"), COUNSELING,
                                         COUNSEL, b"{}"), COUNSELING, COUNSEL)
    r = await hub.client.post("/v1/referrals", json={**body, "parent": first.id},
                              headers=w.first("bridge-advocacy", "sender").auth)
    assert r.status == 422 and (await r.json())["error"]["code"] == "unknown_parent"
    missing = await hub.client.post("/v1/referrals", json={**body, "parent": "0" * 32},
                                    headers=w.first("bridge-advocacy", "sender").auth)
    assert (await missing.json())["error"] == (await r.json())["error"] | {
        "message": (await r.json())["error"]["message"].replace(first.id, "0" * 32)}
    assert await agents["counselor"].api.inbox() == []  # nothing was stored


async def test_a_field_the_consent_does_not_cover_never_leaves_the_device(hub, agents) -> None:
    first = await hospital_to_shelter(hub, agents)
    with pytest.raises(ValueError, match="no field diagnosis"):
        await shelter_to_counseling(hub, agents, first.id, covers=("survivor", "diagnosis"))
    assert await agents["counselor"].api.inbox() == []


async def test_an_onward_referral_is_refused_once_the_survivor_withdrew_consent(
        hub, agents) -> None:
    first = await hospital_to_shelter(hub, agents)
    received = await agents["shelter"].open(first.id)  # opened before the withdrawal
    await agents["nurse"].api.move(first.id, "revoke-consent", {"reason": "survivor-withdrew"})
    w = hub.world
    body = w.submit_body(w.seal_referral(w.first(SHELTER, "sender"), COUNSELING, COUNSEL,
                                         received.content), COUNSELING, COUNSEL)
    r = await hub.client.post("/v1/referrals", json={**body, "parent": first.id},
                              headers=w.first(SHELTER, "sender").auth)
    assert r.status == 410 and (await r.json())["error"]["code"] == "parent_consent_ended"


async def test_link_ids_on_two_agency_pairs_are_unrelated_and_the_keyspace_cannot_join_them(
        hub, agents) -> None:
    """One survivor, sent by the hospital to the shelter and to counseling; another
    survivor, sent to counseling the same way. What the hub stores relates the first two
    no more than it relates the first to the other survivor's."""
    nurse = agents["nurse"]
    case, other = new_case(), new_case()
    a = await nurse.send(SHELTER, HANDOFF, handoff(),
                         consent(hub, SHELTER, HANDOFF, "mercy-nurse-1"), case=case)
    b = await nurse.send(COUNSELING, COUNSEL, GenericReferral(kind=COUNSEL, text="x"),
                         consent(hub, COUNSELING, COUNSEL, "mercy-nurse-1"), case=case)
    c = await nurse.send(COUNSELING, COUNSEL, GenericReferral(kind=COUNSEL, text="x"),
                         consent(hub, COUNSELING, COUNSEL, "mercy-nurse-1"), case=other)

    assert a.case_link == link_id(case.secret, HOSPITAL, SHELTER).hex()
    assert a.case_link != b.case_link
    assert link_id(case.secret, SHELTER, HOSPITAL).hex() == a.case_link  # either side

    values = await dump_values(hub.store.redis, hub.store.keys.prefix)
    for link in (a.case_link, b.case_link):  # only on its own referral's record
        holders = [k for k, v in values.items() if link.encode() in k + v]
        assert holders == [hub.store.keys.referral(
            a.id if link == a.case_link else b.id).encode()]

    async def fields(rid: str) -> set[tuple[bytes, bytes]]:
        return set((await hub.store.redis.hgetall(hub.store.keys.referral(rid))).items())

    def joined(x: set, y: set) -> set[bytes]:  # the fields two referrals hold alike
        return {name for name, _ in x & y}
    fa, fb, fc = await fields(a.id), await fields(b.id), await fields(c.id)
    assert joined(fa, fb) == joined(fa, fc)  # the same survivor looks like any other
    assert b"case_link" not in joined(fa, fb) | joined(fb, fc)


async def test_a_bad_parent_or_link_is_a_clear_422(hub, agents) -> None:
    w = hub.world
    sender = w.first(HOSPITAL, "sender")
    body = w.submit_body(w.seal_referral(sender, SHELTER, HANDOFF, b"{}"), SHELTER, HANDOFF)
    for extra, where in (({"parent": "XYZ"}, "parent"), ({"case_link": "ab"}, "case_link")):
        r = await hub.client.post("/v1/referrals", json={**body, **extra}, headers=sender.auth)
        assert r.status == 422, await r.text()
        assert where in (await r.json())["error"]["message"]
    with pytest.raises(HubApiError):
        await agents["nurse"].api.onward("0" * 32)


def test_the_record_goes_onward_cut_down_as_the_browser_cuts_it() -> None:
    """The same input gives the same record in Python and in the browser's script: the
    cases of tests/vectors/case-forward.json, which web/test/caselink.test.mjs checks too."""
    doc = json.loads((Path(__file__).parents[1] / "vectors" / "case-forward.json").read_text())
    prior, step = CaseFile.model_validate(doc["prior"]), RecordStep.model_validate(doc["step"])
    for case in doc["cases"]:
        fwd = Forwarding.model_validate(case["forwarding"])
        if case["error"]:
            with pytest.raises(ValueError) as refused:
                forward(prior, step, fwd)
            assert str(refused.value) == case["error"], case["name"]
            continue
        got = forward(prior, step, fwd).model_dump(mode="json", exclude_none=True)
        assert got == case["expected"], case["name"]
    cut = doc["cases"][0]["expected"]["record"]
    assert "summary" not in cut[0]["content"] and cut[0]["content"]["kind"]  # a test that bites

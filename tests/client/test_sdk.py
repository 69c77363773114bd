"""The SDK against a running hub: a nurse's device sends a typed discharge handoff with an
attachment; the shelter's point person finds it, opens it, acknowledges, accepts and
replies; the nurse follows the status and opens the reply. Errors arrive typed."""

from __future__ import annotations

import base64

import pytest

from hub.client import (
    Agent,
    ConsentDetails,
    DischargeHandoff,
    Forbidden,
    HubApi,
    NotFound,
    Reply,
    SafeContact,
    consent_for,
    parse_content,
)
from hub.client.contents import Person
from hub.crypto import TrustError, TrustStore, short_fingerprint

DEST, TYPE = "harbor-house", "discharge-handoff"


async def pinned_trust(api: HubApi, fingerprints: dict[str, str]) -> TrustStore:
    """Pin roots the way a person does: the hub offers each key, the fingerprint the
    partner read out over the phone decides."""
    trust = TrustStore()
    for agency in await api.agencies():
        if agency.id in fingerprints and agency.root_public_key:
            trust.pin(agency.id, base64.b64decode(agency.root_public_key),
                      fingerprint=fingerprints[agency.id])
    return trust


def handoff() -> DischargeHandoff:
    return DischargeHandoff(
        survivor=Person(name="Test Survivor", pronouns="she/her"),
        needs=("shelter", "advocacy"), discharge_at="2027-01-15T14:00:00-06:00",
        safe_contact=SafeContact(channels=("sms",), phone="+15555550199", voicemail_ok=False,
                                 may_name_agency=False, language="es"),
        consent=ConsentDetails(method="written", given_at="2027-01-15T10:00:00-06:00",
                               documented_by="mercy-nurse-1", scope="shelter intake"),
        children=2)


@pytest.fixture
async def agents(hub):
    w = hub.world
    url = str(hub.client.make_url("")).rstrip("/")
    prints = {a: short_fingerprint(root.public) for a, root in w.roots.items()}
    made = {}
    for role, who in (("nurse", w.first("mercy-hospital", "sender")),
                      ("point", w.first(DEST, "point_person")),
                      ("outsider", w.first("bridge-advocacy", "point_person"))):
        api = HubApi(url, who.token)
        made[role] = Agent(api, who.device, await pinned_trust(api, prints),
                           clock=hub.clock.now)
    yield made
    for agent in made.values():
        await agent.api.close()


async def test_a_handoff_travels_through_the_sdk_and_back(hub, agents) -> None:
    nurse, point = agents["nurse"], agents["point"]
    consent = consent_for(DEST, TYPE, documented_by="mercy-nurse-1", now=int(hub.clock.now()))
    sent = await nurse.send(DEST, TYPE, handoff(), consent, attachments=(b"%PDF discharge",))
    assert sent.status == "requested" and sent.attachment_count == 0

    inbox = await point.api.inbox("requested")
    assert [r.id for r in inbox] == [sent.id]
    received = await point.open(sent.id)
    content = parse_content(received.content)
    assert isinstance(content, DischargeHandoff) and content.children == 2
    assert content.safe_contact.voicemail_ok is False
    assert received.attachments == (b"%PDF discharge",)
    assert received.sender == f"{nurse.device.certificate.person}@mercy-hospital"

    assert (await point.acknowledge(received)).status == "received"
    assert (await point.api.move(sent.id, "accept")).status == "accepted"
    await point.reply(sent.id, Reply(text="Bed held until 9pm"))

    status = await nurse.api.referral(sent.id)
    assert status.status == "accepted" and status.opened_at and status.acknowledged_at
    (reply,) = await nurse.open_replies(sent.id)
    assert parse_content(reply.content) == Reply(text="Bed held until 9pm")


async def test_resubmitting_after_a_lost_answer_returns_the_same_referral(hub, agents) -> None:
    nurse = agents["nurse"]
    w = hub.world
    sealed = w.seal_referral(w.first("mercy-hospital", "sender"), DEST, TYPE, b"{}")
    consent = consent_for(DEST, TYPE, documented_by="mercy-nurse-1", now=int(hub.clock.now()))
    first = await nurse.api.submit(sealed.envelope, consent.model_dump())
    again = await nurse.api.submit(sealed.envelope, consent.model_dump())
    assert first.id == again.id
    assert len(await nurse.api.outbox()) == 1


async def test_refusals_arrive_as_typed_errors_with_the_hubs_code(hub, agents) -> None:
    nurse, outsider = agents["nurse"], agents["outsider"]
    consent = consent_for(DEST, TYPE, documented_by="mercy-nurse-1", now=int(hub.clock.now()))
    sent = await nurse.send(DEST, TYPE, handoff(), consent)
    with pytest.raises(NotFound) as missing:
        await outsider.api.referral(sent.id)
    assert missing.value.code == "not_found" and missing.value.status == 404
    wrong = consent.model_copy(update={"agency": "bridge-advocacy"})
    with pytest.raises(Forbidden) as refused:
        await nurse.send(DEST, TYPE, handoff(), wrong)
    assert refused.value.code == "consent_wrong_agency"


async def test_a_roster_signed_by_an_unpinned_root_is_refused_on_the_device(hub, agents) -> None:
    nurse = agents["nurse"]
    nurse.trust.roots.pop(DEST)
    consent = consent_for(DEST, TYPE, documented_by="mercy-nurse-1", now=int(hub.clock.now()))
    with pytest.raises(TrustError):
        await nurse.send(DEST, TYPE, handoff(), consent)
    assert await nurse.api.outbox() == []


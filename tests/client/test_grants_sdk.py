"""Key grants through the hub: the night advocate's replacement phone, approved after a
referral was sealed, cannot read it; the intake advocate's device hands on every open
referral it can read; the new phone then reads the referral, its attachment and a reply.
The hub refuses grants it can tell are wrong, serves each person only their own, and
deletes grants with the envelope when consent is withdrawn."""

from __future__ import annotations

import base64
import os

import pytest

from hub.client import Agent, HubApi, consent_for
from hub.client.errors import HubApiError
from hub.crypto import (
    DeviceIdentity,
    DeviceKeys,
    EnvelopeError,
    TrustStore,
    certify_device,
    make_roster,
    parse_header,
)
from hub.crypto.grants import Granter
from hub.crypto.rosters import listed_devices

DEST, TYPE = "harbor-house", "discharge-handoff"


def new_phone(hub, person: str) -> DeviceIdentity:
    w = hub.world
    keys = DeviceKeys.generate()
    cert = certify_device(w.roots[DEST], keys, agency=DEST, person=person,
                          device_id=os.urandom(16), issued_at=w.now - 60,
                          expires_at=w.now + 365 * 86400)
    return DeviceIdentity(keys, cert)


async def approve(hub, device: DeviceIdentity, version: int = 2) -> None:
    """The agency admin publishes a roster that adds ``device``."""
    w = hub.world
    root = w.roots[DEST]
    current = listed_devices(w.rosters[DEST], root.public, agency=DEST, now=w.now)
    from hub.client.rosters import escalation_groups, roster_people

    signed = make_roster(root, agency=DEST, version=version, issued_at=w.now,
                         expires_at=w.now + 90 * 86400,
                         people=roster_people(w.ccr, DEST),
                         devices=[*current.current, device.certificate],
                         groups=escalation_groups(w.ccr, DEST))
    w.rosters[DEST] = signed
    admin = w.members["harbor-director"]
    await hub.services.directory.publish(admin.principal(), DEST, signed.to_json())


def trust_of(hub) -> TrustStore:
    trust = TrustStore()
    for agency, root in hub.world.roots.items():
        trust.pin(agency, root.public)
    return trust


@pytest.fixture
async def people(hub):
    w = hub.world
    url = str(hub.client.make_url("")).rstrip("/")
    made = {}

    def agent(person: str, device: DeviceIdentity | None = None) -> Agent:
        m = w.members[person]
        made[person, id(device)] = a = Agent(HubApi(url, m.token), device or m.device,
                                             trust_of(hub), clock=hub.clock.now)
        return a

    yield agent
    for a in made.values():
        await a.api.close()


async def send(hub, people) -> str:
    nurse = people("mercy-nurse-1")
    consent = consent_for(DEST, TYPE, documented_by="mercy-nurse-1", now=int(hub.clock.now()))
    sent = await nurse.send(DEST, TYPE, b'{"note": "call before 5pm"}', consent,
                            attachments=(b"%PDF discharge",))
    return sent.id


async def test_a_replacement_phone_reads_open_referrals_once_a_current_device_grants(
        hub, people) -> None:
    rid = await send(hub, people)
    phone = new_phone(hub, "harbor-night")
    await approve(hub, phone)
    night = people("harbor-night", phone)
    with pytest.raises(EnvelopeError):
        await night.open(rid)

    intake = people("harbor-intake")
    reply = await people("mercy-nurse-1").reply(rid, b'{"text": "she has a dog"}')
    assert reply.created
    progress: list[tuple[int, int]] = []
    assert await intake.grant_all(progress=lambda d, n: progress.append((d, n))) == {
        "granted": 1, "readable": 0, "not_mine": 0}
    assert progress == [(1, 1)]

    received = await night.open(rid)
    assert received.content == b'{"note": "call before 5pm"}'
    assert received.attachments == (b"%PDF discharge",)
    (opened_reply,) = await night.open_replies(rid)
    assert opened_reply.content == b'{"text": "she has a dog"}'
    # a second run finds nothing left to hand on
    assert await intake.grant_all() == {"granted": 0, "readable": 1, "not_mine": 0}
    # fetching only to grant is not the referral being opened
    history = [e.action for e in (await intake.api.history(rid)).events]
    assert history.count("opened") == 1  # the night phone's own open


async def test_the_hub_refuses_grants_it_can_tell_are_wrong(hub, people) -> None:
    rid = await send(hub, people)
    phone = new_phone(hub, "harbor-night")
    await approve(hub, phone)
    intake = people("harbor-intake")
    envelope = await intake.api.envelope(rid, to_grant=True)
    night_old = hub.world.members["harbor-night"].device
    outsider = new_phone(hub, "harbor-night")  # never approved

    async def refused(grant: bytes, who=intake) -> str:
        with pytest.raises(HubApiError) as info:
            await who.api.post_grants(rid, [grant])
        return f"{info.value.status} {info.value.code}"

    forged = Granter(outsider)._issue(parse_header(envelope), os.urandom(32), phone.certificate,
                                      2, hub.world.now)  # a device outside the roster
    assert await refused(forged) == "422 bad_key_grant"
    assert await refused(Granter(intake.device).grant(envelope, outsider.certificate,
                                                      roster_version=2, now=hub.world.now)
                         ) == "422 bad_key_grant"
    # signed by the night advocate's old device, uploaded by the intake advocate
    assert await refused(Granter(night_old).grant(envelope, phone.certificate, roster_version=2,
                                                 now=hub.world.now)) == "422 bad_key_grant"
    good = Granter(intake.device).grant(envelope, phone.certificate, roster_version=2,
                                        now=hub.world.now)
    altered = bytearray(good)
    altered[40] ^= 1
    assert await refused(bytes(altered)) == "422 bad_key_grant"
    other = await send(hub, people)
    with pytest.raises(HubApiError) as info:
        await intake.api.post_grants(other, [good])
    assert info.value.code == "bad_key_grant"
    nurse = people("mercy-nurse-1")
    assert await refused(good, nurse) == "403 forbidden"
    assert (await intake.api.post_grants(rid, [good])).stored == 1
    assert (await intake.api.post_grants(rid, [good])).stored == 0  # the same again
    # each person sees only grants to their own devices
    assert (await intake.api.grants(rid)).grants == []
    night = people("harbor-night", phone)
    (mine,) = (await night.api.grants(rid)).grants
    assert mine.grant == good


async def test_grants_go_with_the_envelope_when_consent_is_withdrawn(hub, people) -> None:
    rid = await send(hub, people)
    phone = new_phone(hub, "harbor-night")
    await approve(hub, phone)
    intake = people("harbor-intake")
    assert await intake.grant(rid) == 1
    assert await hub.store.redis.exists(hub.store.keys.grants(rid))
    await intake.api.move(rid, "revoke-consent", {"reason": "survivor-withdrew"})
    assert not await hub.store.redis.exists(hub.store.keys.grants(rid))
    with pytest.raises(HubApiError) as info:
        await people("harbor-night", phone).api.grants(rid)
    assert info.value.status in (403, 410)
    good = base64.b64decode(base64.b64encode(b"x" * 285))
    with pytest.raises(HubApiError):
        await intake.api.post_grants(rid, [good])


def recovery_device(hub) -> DeviceIdentity:
    return new_phone(hub, "recovery")


async def publish_devices(hub, devices, version: int) -> None:
    from hub.client.rosters import escalation_groups, roster_people

    w = hub.world
    certs = [d.certificate for d in devices]
    signed = make_roster(w.roots[DEST], agency=DEST, version=version, issued_at=w.now,
                         expires_at=w.now + 90 * 86400, people=roster_people(w.ccr, DEST, certs),
                         devices=certs, groups=escalation_groups(w.ccr, DEST))
    w.rosters[DEST] = signed
    await hub.services.directory.publish(hub.world.members["harbor-director"].principal(),
                                         DEST, signed.to_json())


async def test_the_recovery_key_hands_on_what_no_device_left_can_read(hub, people) -> None:
    """Everyone who was sealed to has left; the admin breaks glass with the recovery key:
    the new night phone reads the referral, the use is audited, the coordinators are told
    once (content-free) however many referrals are handed on."""
    w = hub.world
    recovery = recovery_device(hub)
    staff = [m.device for m in w.members.values() if m.agency == DEST and m.device]
    await publish_devices(hub, [*staff, recovery], 2)
    rids = [await send(hub, people), await send(hub, people)]
    phone = new_phone(hub, "harbor-night")
    await publish_devices(hub, [phone, recovery], 3)  # the staff's devices are gone
    told: list[str] = []

    async def tell(agency: str) -> None:
        told.append(agency)

    hub.services.grants.on_recovery = tell
    admin = Agent(people("harbor-director").api, recovery, trust_of(hub), clock=hub.clock.now)
    night = people("harbor-night", phone)
    for rid in rids:
        with pytest.raises(EnvelopeError):
            await night.open(rid)
        assert await admin.grant(rid) == 1
        assert (await night.open(rid)).content == b'{"note": "call before 5pm"}'
    assert told == [DEST]
    stream = await hub.store.redis.xrange(hub.store.keys.audit())
    assert sum(b"grant.recovery" in v[b"event"] for _, v in stream) == 2


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_coordinators_notice_names_the_agency_and_nothing_of_a_referral(language) -> None:
    from hub.adapters.render import RecoveryFacts, render_recovery

    words = render_recovery(RecoveryFacts(DEST, 1_800_000_000, "America/Chicago"), language,
                            "https://hub.example.org")
    assert DEST in words.subject and DEST in words.text and DEST in words.sms
    assert "https://hub.example.org/queue" in words.text
    assert len(words.sms) <= 160 and words.sms.isascii()

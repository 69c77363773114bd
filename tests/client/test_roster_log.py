"""The roster log through the hub: every roster served is logged first; two senders who
fetched harbor-house's roster hold heads that agree; a hub that shows one sender a roster
with an extra device and another a roster without it (both signed by the agency's root, as
after a root compromise) is caught: the first sender's device refuses the next roster, and
comparing the two heads names the equivocation."""

from __future__ import annotations

import json
import os

import pytest

from hub.client import Agent, HubApi
from hub.client.rosters import escalation_groups, roster_people
from hub.crypto import DeviceKeys, TrustError, TrustStore, certify_device, make_roster
from hub.crypto.rosterlog import compare

DEST = "harbor-house"


def agent(hub, person: str) -> Agent:
    trust = TrustStore()
    for agency, root in hub.world.roots.items():
        trust.pin(agency, root.public)
    m = hub.world.members[person]
    url = str(hub.client.make_url("")).rstrip("/")
    return Agent(HubApi(url, m.token), m.device, trust, clock=hub.clock.now)


def roster_v2(hub, *, extra: bool):
    w = hub.world
    root = w.roots[DEST]
    devices = [m.device.certificate for m in w.members.values()
               if m.agency == DEST and m.device]
    if extra:
        keys = DeviceKeys.generate()
        devices.append(certify_device(root, keys, agency=DEST, person="harbor-night",
                                      device_id=os.urandom(16), issued_at=w.now - 60,
                                      expires_at=w.now + 86400))
    return make_roster(root, agency=DEST, version=2, issued_at=w.now, expires_at=w.now + 86400,
                       people=roster_people(w.ccr, DEST), devices=devices,
                       groups=escalation_groups(w.ccr, DEST))


@pytest.fixture
async def senders(hub):
    made = [agent(hub, "mercy-nurse-1"), agent(hub, "bridge-advocate")]
    yield made
    for a in made:
        await a.api.close()


async def test_every_roster_served_is_logged_and_two_senders_agree(hub, senders) -> None:
    nurse, advocate = senders
    await nurse.refresh_roster(DEST)
    await advocate.refresh_roster(DEST)
    await advocate.refresh_roster("mercy-hospital")
    await nurse.refresh_roster(DEST)  # the log grew meanwhile: followed, not refused
    mine, theirs = nurse.trust.log.shown_head(), advocate.trust.log.shown_head()
    entries = [e.encode() for e in (await nurse.api.roster_log()).entries]
    assert compare(mine, theirs, entries) == ""
    assert {a for a, _ in nurse.trust.log.latest.items()} >= {DEST, "mercy-hospital"}


async def test_a_hub_showing_two_senders_two_rosters_is_caught(hub, senders) -> None:
    nurse, advocate = senders
    admin = hub.world.members["harbor-director"].principal()
    await hub.services.directory.publish(admin, DEST, roster_v2(hub, extra=True).to_json())
    with_extra = await nurse.refresh_roster(DEST)
    assert len(with_extra.devices) == 4
    nurse_head = nurse.trust.log.shown_head()

    # the hub equivocates: it serves another version 2, and a log that fits it
    redis, keys = hub.store.redis, hub.store.keys
    last = json.loads(await redis.lindex(keys.roster_log(), -1))  # the roster with the extra
    assert last["agency"] == DEST and last["version"] == 2
    await redis.ltrim(keys.roster_log(), 0, -2)
    await redis.hset(keys.roster_log_latest(), mapping={" head": last["prev"]})
    await redis.hdel(keys.roster_log_latest(), DEST)
    other = roster_v2(hub, extra=False)
    await redis.hset(keys.roster(DEST), mapping={"signed": json.dumps(
        other.to_json(), sort_keys=True)})
    without = await advocate.refresh_roster(DEST)
    assert len(without.devices) == 3  # the advocate's device accepts what it was shown...

    with pytest.raises(TrustError) as info:  # ...the nurse's device does not
        await nurse.refresh_roster(DEST)
    assert info.value.reason == "roster-log-fork"
    entries = [e.encode() for e in (await advocate.api.roster_log()).entries]
    said = compare(advocate.trust.log.shown_head(), nurse_head, entries)
    assert "different roster histories" in said

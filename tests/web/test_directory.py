"""The directory over HTTP: an agency admin publishes signed rosters; the hub checks each
against the agency's registered root and refuses forgeries and rollbacks; referrals route
by whichever roster is current."""

from __future__ import annotations

import base64
import json

from hub.crypto import AgencyRoot, make_roster
from hub.sandbox import World
from tests.support.redis_scan import dump_values

DEST, TYPE = "harbor-house", "discharge-handoff"


def _reissue(world: World, version: int, *, root: AgencyRoot | None = None) -> dict[str, str]:
    """The shelter's current roster, signed again under a new version (by ``root``)."""
    current = world.trust().roster(DEST, world.now)
    signed = make_roster(root or world.roots[DEST], agency=DEST, version=version,
                         issued_at=world.now - 60, expires_at=world.now + 90 * 86400,
                         people=list(current.body.people),
                         devices=list(current.devices.values()),
                         groups=list(current.body.groups))
    return signed.to_json()


async def test_admin_publishes_a_new_version_and_everyone_sees_it(hub) -> None:
    admin = hub.world.first(DEST, "agency_admin")
    r = await hub.client.put(f"/v1/agencies/{DEST}/roster", json=_reissue(hub.world, 2),
                             headers=admin.auth)
    assert r.status == 201, await r.text()
    nurse = hub.world.first("mercy-hospital", "sender")
    listing = await (await hub.client.get("/v1/agencies", headers=nurse.auth)).json()
    shelter = next(a for a in listing["agencies"] if a["id"] == DEST)
    assert shelter["roster_version"] == 2
    served = await (await hub.client.get(f"/v1/agencies/{DEST}/roster",
                                         headers=nurse.auth)).json()
    assert served["version"] == 2
    assert base64.b64decode(served["roster"]) == base64.b64decode(_reissue(hub.world, 2)["roster"])


async def test_forged_rollback_and_foreign_rosters_are_refused_and_change_nothing(hub) -> None:
    admin = hub.world.first(DEST, "agency_admin")
    other_admin = hub.world.first("bridge-advocacy", "agency_admin")
    point = hub.world.first(DEST, "point_person")
    before = await dump_values(hub.store.redis, hub.store.keys.prefix)
    cases = [
        (admin, _reissue(hub.world, 2, root=AgencyRoot.generate()), 422),  # not its root
        (admin, _reissue(hub.world, 1), 409),  # same version, other bytes: a rollback
        (point, _reissue(hub.world, 2), 403),  # not an agency admin
        (other_admin, _reissue(hub.world, 2), 403),  # another agency's admin
    ]
    for who, doc, status in cases:
        r = await hub.client.put(f"/v1/agencies/{DEST}/roster", json=doc, headers=who.auth)
        assert r.status == status, (who.person, await r.text())
        assert len((await r.json())["error"]["message"]) > 10
    after = await dump_values(hub.store.redis, hub.store.keys.prefix)
    audit = hub.store.keys.audit().encode()
    assert {k: v for k, v in after.items() if k != audit} == \
        {k: v for k, v in before.items() if k != audit}


async def test_referrals_route_by_the_roster_published_after_the_hub_cached_one(hub) -> None:
    w = hub.world
    nurse = w.first("mercy-hospital", "sender")
    first = w.seal_referral(nurse, DEST, TYPE, b"{}")
    r = await hub.client.post("/v1/referrals", json=w.submit_body(first, DEST, TYPE),
                              headers=nurse.auth)
    assert r.status == 201
    # another hub process publishes: this one's cached verification is now stale
    doc = _reissue(w, 2)
    await hub.store.redis.hset(hub.store.keys.roster(DEST), mapping={
        "version": "2", "signed": json.dumps(doc, sort_keys=True)})
    second = w.seal_referral(nurse, DEST, TYPE, b"{}")
    r = await hub.client.post("/v1/referrals", json=w.submit_body(second, DEST, TYPE),
                              headers=nurse.auth)
    assert r.status == 201, await r.text()
    # a root replaced under the hub leaves no current roster: refused, nothing written
    await hub.store.directory.replace_root(DEST, AgencyRoot.generate().public,
                                           hub.services.auditor.event(None, "root.replace"))
    # (written by another process: this one's cache still holds the old verification)
    third = w.seal_referral(nurse, DEST, TYPE, b"{}")
    r = await hub.client.post("/v1/referrals", json=w.submit_body(third, DEST, TYPE),
                              headers=nurse.auth)
    assert r.status == 409 and (await r.json())["error"]["code"] == "no_roster"
    assert await hub.store.referrals.get(third.header.envelope_id.hex()) is None

"""DirectoryService: an agency's roster is published by that agency's admin only, signed by
the root the operator registered, and only ever newer; a referral is routed by the roster
that stands, and one replaced meanwhile is verified again rather than sealed past."""

from __future__ import annotations

import pytest

from hub.client.rosters import escalation_groups, roster_people
from hub.crypto import AgencyRoot, make_roster
from hub.errors import Conflict, Forbidden, Unprocessable
from hub.services.directory import DirectoryService

from .conftest import SHELTER, Rig


def _roster(rig: Rig, version: int, root: AgencyRoot | None = None) -> dict:
    now = int(rig.clock.now())
    certificates = list(rig.world.roster(SHELTER, now).devices.values())
    return make_roster(root or rig.world.roots[SHELTER], agency=SHELTER, version=version,
                       issued_at=now - 60, expires_at=now + 86400,
                       people=roster_people(rig.services.ccr, SHELTER),
                       devices=certificates,
                       groups=escalation_groups(rig.services.ccr, SHELTER)).to_json()


async def test_a_newer_roster_is_published_and_routes_what_comes_next(rig: Rig) -> None:
    admin = rig.who(SHELTER, "agency_admin")
    assert await rig.services.directory.publish(admin, SHELTER, _roster(rig, 2)) == (2, True)
    assert (await rig.services.directory.published(SHELTER)).version == 2
    stamp, roster = await rig.services.directory.routing_roster(SHELTER)
    assert stamp[0] == roster.version == 2


async def test_the_published_roster_again_changes_nothing_and_an_older_one_is_refused(
        rig: Rig) -> None:
    admin = rig.who(SHELTER, "agency_admin")
    assert await rig.services.directory.publish(admin, SHELTER, _roster(rig, 2)) == (2, True)
    published = (await rig.services.directory.published(SHELTER)).signed
    assert await rig.services.directory.publish(admin, SHELTER, published) == (2, False)
    assert [e.outcome for e in await rig.store.audit.events()
            if e.action == "roster.publish" and e.actor == admin.person] == \
        ["ok", "ok", "unchanged"]  # version 1 (the world's), 2, and 2 again
    with pytest.raises(Conflict) as refused:
        await rig.services.directory.publish(admin, SHELTER, _roster(rig, 1))
    assert refused.value.code == "roster_rollback"


async def test_a_roster_not_signed_by_the_registered_root_is_refused(rig: Rig) -> None:
    with pytest.raises(Unprocessable) as refused:
        await rig.services.directory.publish(rig.who(SHELTER, "agency_admin"), SHELTER,
                                             _roster(rig, 2, AgencyRoot.generate()))
    assert refused.value.code == "roster_bad_signature"
    assert (await rig.services.directory.published(SHELTER)).version == 1


async def test_only_the_agencys_own_admin_publishes_its_roster(rig: Rig) -> None:
    for who in (rig.who(SHELTER, "point_person"), rig.who("bridge-advocacy", "agency_admin")):
        with pytest.raises(Forbidden):
            await rig.services.directory.publish(who, SHELTER, _roster(rig, 2))
    assert (await rig.services.directory.published(SHELTER)).version == 1


async def test_a_submission_finds_a_roster_replaced_since_it_was_verified(rig: Rig) -> None:
    """This process verified version 1; another publishes version 2: the write notices the
    stamp changed, and the service verifies the new roster and writes against it."""
    await rig.submit()  # version 1, verified and cached
    elsewhere = DirectoryService(store=rig.store, clock=rig.clock, ccr=rig.services.ccr,
                                 auditor=rig.services.auditor)
    await elsewhere.publish(rig.who(SHELTER, "agency_admin"), SHELTER, _roster(rig, 2))
    await rig.submit()
    stamp, _ = await rig.services.directory.routing_roster(SHELTER)
    assert stamp[0] == 2

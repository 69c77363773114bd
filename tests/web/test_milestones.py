"""Recording milestones over HTTP: codes from milestones.toml only (an unknown one is a 422
that lists the type's codes, and changes nothing), the receiving agency only (the sender
403, any other agency 404 as for a missing referral), once accepted, stored with its audit
event; a retry answers the record kept."""

from __future__ import annotations

import asyncio
import json

from tests.web.pages.conftest import acknowledge, act, submit

DEST = "harbor-house"


async def _accepted(hub) -> str:
    sealed, rid = await submit(hub)
    await acknowledge(hub, sealed, rid)
    await act(hub, rid, "accept")
    return rid


def _post(hub, rid: str, who, code: str):
    return hub.client.post(f"/v1/referrals/{rid}/milestones", json={"code": code},
                           headers=who.auth)


async def test_an_unknown_code_is_a_422_listing_the_valid_ones_and_changes_nothing(hub) -> None:
    rid = await _accepted(hub)
    point = hub.world.first(DEST, "point_person")
    r = await _post(hub, rid, point, "Survivor said she felt unsafe")
    error = (await r.json())["error"]
    assert r.status == 422 and error["code"] == "unknown_milestone"
    assert "exam-followup-scheduled, exam-followup-attended, no-show" in error["message"]
    assert "unsafe" not in error["message"]  # free text is not echoed back
    assert await hub.store.milestones.recorded(rid) == []
    assert "milestone.recorded" not in [e.action for e in await hub.store.referrals.history(rid)]


async def test_only_the_receiving_agency_records_a_milestone(hub) -> None:
    rid = await _accepted(hub)
    outsider = hub.world.first("riverside-pd", "point_person")
    sender = hub.world.first("mercy-hospital", "sender")
    coordinator = hub.world.first("ccr-coordination", "coordinator")
    assert (await _post(hub, rid, outsider, "no-show")).status == 404
    assert (await _post(hub, rid, sender, "no-show")).status == 403
    assert (await _post(hub, rid, coordinator, "no-show")).status == 403
    assert await hub.store.milestones.recorded(rid) == []


async def test_a_milestone_is_stored_with_its_audit_event_and_a_retry_keeps_it(hub) -> None:
    rid = await _accepted(hub)
    point = hub.world.first(DEST, "point_person")
    first = await _post(hub, rid, point, "exam-followup-scheduled")
    assert first.status == 201
    kept = await first.json()
    assert kept["in_time"] is True and kept["by"] == point.person
    hub.clock.advance(60)
    again = await _post(hub, rid, point, "exam-followup-scheduled")
    assert again.status == 200 and await again.json() == kept
    events = [e for e in await hub.store.audit.events() if e.action == "milestone.recorded"]
    assert [(e.referral, e.outcome) for e in events] == [(rid, "ok")]
    owed = await hub.store.redis.zscore(hub.store.keys.obligations(),
                                        f"{rid}:ms:exam-followup-scheduled")
    assert owed is None  # met: off the queue, its timer stopped
    listed = await (await hub.client.get(f"/v1/referrals/{rid}/milestones",
                                         headers=point.auth)).json()
    assert [m["code"] for m in listed["recorded"]] == ["exam-followup-scheduled"]


async def test_milestones_wait_for_acceptance(hub) -> None:
    sealed, rid = await submit(hub)
    await acknowledge(hub, sealed, rid)
    point = hub.world.first(DEST, "point_person")
    r = await _post(hub, rid, point, "exam-followup-scheduled")
    assert r.status == 409 and "accepted" in (await r.json())["error"]["message"]


async def test_hub_milestone_records_one_and_a_wrong_code_lists_the_right_ones(hub) -> None:
    from tests.web.pages.test_mdt import _cli  # the `hub` command in-process, on this hub

    rid = await _accepted(hub)
    point = hub.world.first(DEST, "point_person")
    env = {"HUB_URL": str(hub.client.make_url("")).rstrip("/"), "HUB_TOKEN": point.token}
    code, out = await asyncio.to_thread(_cli, env, ["milestone", rid, "exam-followup-scheduled"])
    assert code == 0 and out.strip() == f"milestone exam-followup-scheduled recorded on {rid}"
    code, out = await asyncio.to_thread(_cli, env, ["milestone", rid, "exam", "--json"])
    error = json.loads(out)["error"]
    assert code != 0 and "exam-followup-attended" in error["message"]

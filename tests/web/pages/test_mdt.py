"""The team meeting's case review: an agenda built from flagged referrals (past the
acknowledgement deadline, a gap, marked for review) with codes and references only, as
JSON, a printable page, CSV and `hub mdt agenda`; action items with an owner agency and a
due date, on the dashboard and told to the owner by the deadline engine when they fall
due."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
from datetime import UTC, datetime, timedelta

import orjson

from hub.cli import main

from .conftest import acknowledge, act, submit
from .support import queue_rows

HOUR, DAY = 3600, 86400
CANARY = b'{"narrative": "CANARY-Jane-Roe-555-0199"}'


def today(hub, days: int = 0) -> str:
    return (datetime.fromtimestamp(hub.clock.now(), UTC) + timedelta(days=days)).date(
    ).isoformat()


async def flagged(hub, escalation) -> dict[str, str]:
    """Three referrals on the agenda, each for one reason: name -> id."""
    _, breached = await submit(hub)  # never acknowledged: past its deadline in 2 hours
    sealed, gap = await submit(hub)
    await acknowledge(hub, sealed, gap)
    await act(hub, gap, "accept")
    point = hub.world.first("harbor-house", "point_person")
    r = await hub.client.post(f"/v1/referrals/{gap}/milestones", headers=point.auth,
                              json={"code": "no-show"})
    assert r.status == 201
    sealed, marked = await submit(hub)
    await acknowledge(hub, sealed, marked)
    nurse = hub.world.first("mercy-hospital", "sender")  # either agency may ask for review
    r = await hub.client.post(f"/v1/referrals/{marked}/review-mark", headers=nurse.auth,
                              json={"code": "safety-concern"})
    assert r.status == 200, await r.text()
    await escalation.advance(3 * HOUR)
    return {"breached": breached, "gap": gap, "marked": marked}


async def test_the_agenda_holds_the_flagged_referrals_by_reference_and_code(
        hub, sign_in, escalation) -> None:
    ids = await flagged(hub, escalation)
    coordinator = hub.world.first("ccr-coordination", "coordinator")
    r = await hub.client.get("/v1/mdt/agenda", params={"date": today(hub)},
                             headers=coordinator.auth)
    assert r.status == 200, await r.text()
    rows = {row["referral"]: row for row in (await r.json())["items"]}
    assert {rid: rows[rid]["reasons"] for rid in ids.values()} == {
        ids["breached"]: ["breached"], ids["gap"]: ["gap"], ids["marked"]: ["marked"]}
    assert rows[ids["gap"]]["gaps"] == ["exam-followup-attended"]
    assert rows[ids["marked"]]["marked"] == "safety-concern"

    browser = await sign_in("ccr-coordinator")
    status, html = await browser.text(f"/dashboard/mdt?date={today(hub)}")
    assert status == 200 and {row.reference for row in queue_rows(html)} == {
        rid[:8] for rid in ids.values()}
    csv = await (await browser.get(f"/dashboard/mdt.csv?date={today(hub)}")).text()
    lines = csv.strip().split("\r\n")
    assert lines[0].startswith("meeting_date,reference,referral") and len(lines) == 4
    assert all(rid in csv for rid in ids.values())

    other = await sign_in("riverside-sergeant")  # an agency admin sees their own only
    assert queue_rows((await other.text("/dashboard/mdt"))[1]) == []
    bad = await hub.client.get("/v1/mdt/agenda", params={"date": "8 Dec"},
                               headers=coordinator.auth)
    assert bad.status == 400 and "YYYY-MM-DD" in (await bad.json())["error"]["message"]


async def test_the_agenda_carries_nothing_from_inside_an_envelope(
        hub, sign_in, escalation) -> None:
    w = hub.world
    nurse = w.first("mercy-hospital", "sender")
    sealed = w.seal_referral(nurse, "harbor-house", "discharge-handoff", CANARY,
                             now=int(hub.clock.now()))
    r = await hub.client.post("/v1/referrals", json=w.submit_body(
        sealed, "harbor-house", "discharge-handoff"), headers=nurse.auth)
    assert r.status == 201
    await escalation.advance(3 * HOUR)  # past its acknowledgement deadline: on the agenda
    browser = await sign_in("ccr-coordinator")
    _, html = await browser.text("/dashboard/mdt")
    csv = await (await browser.get("/dashboard/mdt.csv")).text()
    coordinator = w.first("ccr-coordination", "coordinator")
    env = {"HUB_URL": str(hub.client.make_url("")).rstrip("/"),
           "HUB_TOKEN": coordinator.token}
    code, printed = await asyncio.to_thread(_cli, env, ["mdt", "agenda", "--date",
                                                        today(hub), "--csv"])
    assert code == 0 and printed.startswith("meeting_date,reference")
    assert sealed.header.envelope_id.hex() in printed
    for shown in (html, csv, printed):
        assert sealed.header.envelope_id.hex()[:8] in shown
        assert "CANARY" not in shown and "Jane" not in shown


def _cli(env: dict[str, str], argv: list[str]) -> tuple[int, str]:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            code = main(argv)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return code, out.getvalue()


async def test_an_action_item_is_tracked_like_a_follow_up_and_told_to_its_owner(
        hub, sign_in, escalation) -> None:
    sealed, rid = await submit(hub)
    await acknowledge(hub, sealed, rid)
    coordinator = hub.world.first("ccr-coordination", "coordinator")
    r = await hub.client.post("/v1/mdt/actions", headers=coordinator.auth, json={
        "referral": rid, "owner": "mercy-hospital", "code": "reschedule-exam",
        "due": today(hub, 2)})
    assert r.status == 201, await r.text()
    item = await r.json()
    nurse = hub.world.first("mercy-hospital", "sender")
    refused = await hub.client.post("/v1/mdt/actions", headers=nurse.auth, json={
        "referral": rid, "owner": "mercy-hospital", "code": "other", "due": today(hub, 2)})
    assert refused.status == 403

    before = len(escalation.email.sent)
    await escalation.advance(3 * DAY)
    told = [n.to for n in escalation.email.sent[before:]]
    assert "sane-day@mercy.example.org" in told  # mercy's point person: the owner is told
    browser = await sign_in("ccr-coordinator")
    _, html = await browser.text("/dashboard?state=follow-up&hours=1")
    assert rid[:8] in [row.reference for row in queue_rows(html)]
    assert "action item from the case review" in html
    agenda = await (await hub.client.get("/v1/mdt/agenda", headers=coordinator.auth)).json()
    [row] = [row for row in agenda["items"] if row["referral"] == rid]
    assert "action" in row["reasons"] and row["actions"][0]["id"] == item["id"]

    done = await hub.client.post(f"/v1/mdt/actions/{item['id']}/done", headers=nurse.auth)
    assert done.status == 200 and (await done.json())["status"] == "done"
    _, html = await (await sign_in("ccr-coordinator")).text("/dashboard?state=follow-up&hours=1")
    assert rid[:8] not in [row.reference for row in queue_rows(html)]


async def test_an_overdue_action_item_climbs_the_ladder_on_its_owners_queue_until_closed(
        hub, sign_in, escalation) -> None:
    """Owned by an agency that is neither side of the referral: its point person, then its
    backups, then the coordinators are told as the urgent policy's steps say (0m, 1h, 2h),
    it is on the owner's queue, and cancelling the referral closes it in the same step."""
    sealed, rid = await submit(hub)  # urgent discharge handoff, mercy -> harbor-house
    await acknowledge(hub, sealed, rid)
    coordinator = hub.world.first("ccr-coordination", "coordinator")
    r = await hub.client.post("/v1/mdt/actions", headers=coordinator.auth, json={
        "referral": rid, "owner": "county-prosecutor", "code": "contact-agency",
        "due": today(hub, 1)})
    assert r.status == 201, await r.text()
    item = await r.json()

    def told(since: int) -> list[str]:
        return sorted(n.to for n in escalation.email.sent[since:]
                      if n.to.endswith(("prosecutor.example.org", "ccr.example.org")))

    before = len(escalation.email.sent)
    await escalation.advance(item["due"] - hub.clock.now() - 60)
    assert told(before) == []  # not due yet
    await escalation.advance(61)
    assert told(before) == ["vw@prosecutor.example.org"]  # the owner's point person
    [notice] = [n for n in escalation.email.sent[before:] if n.to.startswith("vw@")]
    assert "action item from the case review" in notice.text and rid[:8] in notice.subject
    assert "River County Prosecutor" in notice.text  # the agency that owes it
    await escalation.advance(HOUR)
    assert told(before) == ["vw-supervisor@prosecutor.example.org",  # then its backups
                            "vw@prosecutor.example.org"]
    await escalation.advance(HOUR)
    assert "coordinator@ccr.example.org" in told(before)  # then the coordinators
    climbed = len(told(before))
    await escalation.advance(DAY)
    assert len(told(before)) == climbed  # the ladder is climbed once

    owner = await sign_in("prosecutor-vw")  # on the owner agency's own queue
    _, html = await owner.text("/dashboard?state=follow-up&hours=1")
    assert rid[:8] in [row.reference for row in queue_rows(html)]
    _, html = await owner.text("/dashboard?state=follow-up&hours=1&type=discharge-handoff")
    assert rid[:8] in [row.reference for row in queue_rows(html)]  # the filtered path too
    receiving = await sign_in("harbor-intake")
    _, html = await receiving.text("/dashboard?state=follow-up&hours=1")
    assert rid[:8] in [row.reference for row in queue_rows(html)]

    nurse = hub.world.first("mercy-hospital", "sender")
    r = await hub.client.post(f"/v1/referrals/{rid}/cancel", headers=nurse.auth,
                              json={"reason": "duplicate"})
    assert r.status == 200, await r.text()
    store = hub.store
    closed = await store.mdt.get(item["id"])
    assert closed is not None and closed.status == "closed"
    assert await store.mdt.open_items() == []
    for reader in (owner, receiving):
        _, html = await reader.text("/dashboard?state=follow-up&hours=1")
        assert rid[:8] not in [row.reference for row in queue_rows(html)]
    owed = await store.redis.zrange(store.keys.obligations_of("county-prosecutor"), 0, -1)
    assert owed == []
    history = [e.action for e in await store.referrals.history(rid)]
    assert history[-2:] == ["status.cancelled", "mdt.action.closed"]
    audit = [orjson.loads(row[b"event"]) for _, row in await store.redis.xrange(
        store.keys.audit())]
    assert [(e["action"], e["referral"]) for e in audit if e["action"] == "mdt.action.closed"
            ] == [("mdt.action.closed", rid)]
    before = len(escalation.email.sent)
    await escalation.advance(DAY)
    assert told(before) == []


async def test_the_agenda_is_filtered_by_agency_and_paged(hub, sign_in, escalation) -> None:
    ids = await flagged(hub, escalation)
    coordinator = hub.world.first("ccr-coordination", "coordinator")
    r = await hub.client.post("/v1/mdt/actions", headers=coordinator.auth, json={
        "referral": ids["breached"], "owner": "county-prosecutor", "code": "contact-agency",
        "due": today(hub, 2)})
    assert r.status == 201, await r.text()

    async def agenda(**params) -> dict:
        r = await hub.client.get("/v1/mdt/agenda", params={"date": today(hub), **params},
                                 headers=coordinator.auth)
        assert r.status == 200, await r.text()
        return await r.json()

    owed = await agenda(agency="county-prosecutor")  # owes an action item on one only
    assert [row["referral"] for row in owed["items"]] == [ids["breached"]]
    assert (owed["agency"], owed["total"], owed["next"]) == ("county-prosecutor", 1, None)
    assert (await agenda(agency="harbor-house"))["total"] == 3
    assert (await agenda(agency="riverside-pd"))["items"] == []

    first = await agenda(agency="harbor-house", limit="2")
    assert (len(first["items"]), first["page"], first["pages"]) == (2, 1, 2)
    assert "agency=harbor-house" in first["next"] and "page=2" in first["next"]
    r = await hub.client.get(first["next"], headers=coordinator.auth)
    second = await r.json()
    assert len(second["items"]) == 1 and second["next"] is None
    assert {row["referral"] for row in first["items"] + second["items"]} == set(ids.values())
    for bad in ({"page": "0"}, {"limit": "500"}, {"page": "x"}):
        r = await hub.client.get("/v1/mdt/agenda", params=bad, headers=coordinator.auth)
        assert r.status == 400 and (await r.json())["error"]["code"] == "bad_query", bad
    r = await hub.client.get("/v1/mdt/agenda", params={"agency": "nowhere"},
                             headers=coordinator.auth)
    assert r.status == 422 and "harbor-house" in (await r.json())["error"]["message"]

    browser = await sign_in("ccr-coordinator")
    _, html = await browser.text(f"/dashboard/mdt?date={today(hub)}&limit=2")
    assert len(queue_rows(html)) == 2 and 'rel="next"' in html
    link = re.search(r'<a rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    _, html = await browser.text(link)
    assert len(queue_rows(html)) == 1 and 'rel="next"' not in html
    _, html = await browser.text(f"/dashboard/mdt?date={today(hub)}&agency=county-prosecutor")
    assert [row.reference for row in queue_rows(html)] == [ids["breached"][:8]]
    assert '<option value="county-prosecutor" selected>' in html
    csv = await (await browser.get(
        f"/dashboard/mdt.csv?date={today(hub)}&agency=harbor-house&limit=1&page=2")).text()
    assert len(csv.strip().split("\r\n")) == 4  # the export holds every row

    env = {"HUB_URL": str(hub.client.make_url("")).rstrip("/"),
           "HUB_TOKEN": coordinator.token}
    code, printed = await asyncio.to_thread(_cli, env, [
        "mdt", "agenda", "--date", today(hub), "--agency", "county-prosecutor", "--json"])
    assert code == 0, printed
    assert [row["referral"] for row in json.loads(printed)["items"]] == [ids["breached"]]


async def test_consent_withdrawn_closes_the_referrals_action_items_too(hub, escalation) -> None:
    sealed, rid = await submit(hub)
    await acknowledge(hub, sealed, rid)
    coordinator = hub.world.first("ccr-coordination", "coordinator")
    r = await hub.client.post("/v1/mdt/actions", headers=coordinator.auth, json={
        "referral": rid, "owner": "county-prosecutor", "code": "contact-agency",
        "due": today(hub, 1)})
    item = await r.json()
    nurse = hub.world.first("mercy-hospital", "sender")
    r = await hub.client.post(f"/v1/referrals/{rid}/revoke-consent", headers=nurse.auth,
                              json={"reason": "survivor-withdrew"})
    assert r.status == 200, await r.text()
    store = hub.store
    assert (await store.mdt.get(item["id"])).status == "closed"
    assert await store.redis.zrange(store.keys.obligations_of("county-prosecutor"), 0, -1) == []
    assert "mdt.action.closed" in [e.action for e in await store.referrals.history(rid)]
    before = len(escalation.email.sent)
    await escalation.advance(2 * DAY)  # its due time passes: no one is told of it
    assert not [n for n in escalation.email.sent[before:] if "action item" in n.text]

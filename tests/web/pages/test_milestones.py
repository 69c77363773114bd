"""Milestones and gaps (issue 22): a milestone whose deadline passes unrecorded is a gap.
It falls due on the fake clock through the same engine as an acknowledgement, reaches the
coordinators' queue (?state=gap) and the sender, where the agreement lets the status flow
back and the survivor's consent shares how it went (share_outcome, as for the outcome); an
agreement without flow-back, or a consent that does not share (or no longer does), keeps it
from the sender."""

from __future__ import annotations

import re

from hub.display import local_time

from .conftest import acknowledge, act, submit
from .support import queue_rows

HOUR, DAY = 3600, 86400
NURSE = "sane-day@mercy.example.org"  # mercy-hospital's first sender
INTAKE = "intake@harbor.example.org"  # harbor-house's point person
VICTIM_WITNESS = "vw@prosecutor.example.org"  # the prosecutor's point person


async def gap_rows(sign_in, person: str = "ccr-coordinator"):
    browser = await sign_in(person)
    status, html = await browser.text("/dashboard?state=gap&hours=1")
    assert status == 200, html
    return queue_rows(html), html


def sent_to(escalation, since: int = 0) -> list[str]:
    return [n.to for n in escalation.email.sent[since:]]


async def test_a_gap_falls_due_and_reaches_the_dashboard_and_the_sender(
        hub, sign_in, escalation) -> None:
    # urgent discharge handoff, mercy -> harbor-house; the survivor shares how it went
    sealed, rid = await submit(hub, share_outcome=True)
    await escalation.run_due()
    await acknowledge(hub, sealed, rid)
    await act(hub, rid, "accept")  # exam-followup-scheduled is due 3 days from now
    point = hub.world.first("harbor-house", "point_person")
    r = await hub.client.post(f"/v1/referrals/{rid}/milestones", headers=point.auth,
                              json={"code": "exam-followup-attended"})  # met in time
    assert r.status == 201 and (await r.json())["in_time"] is True
    await escalation.advance(DAY)  # first contact's follow-up falls due: no gap yet
    assert (await gap_rows(sign_in))[0] == []
    before = len(escalation.email.sent)

    await escalation.advance(2 * DAY)
    told = sent_to(escalation, before)
    assert NURSE in told and INTAKE in told  # the sender hears of it, the agency is asked
    [notice] = [n for n in escalation.email.sent[before:] if n.to == NURSE]
    assert rid[:8] in notice.subject and "holds no details of the referral" in notice.text
    rows, html = await gap_rows(sign_in)
    assert [(r.reference, r.state) for r in rows] == [(rid[:8], "gap")]
    assert "milestone: exam followup scheduled" in html
    harbor_rows, _ = await gap_rows(sign_in, "harbor-intake")
    assert [r.reference for r in harbor_rows] == [rid[:8]]  # the agency's own queue

    coordinator = await sign_in("ccr-coordinator")  # a gap can be nudged, as a follow-up
    page = f"/dashboard/referrals/{rid}"
    nudged = await coordinator.post_form(f"{page}/nudge",
                                         {"timer": "ms:exam-followup-scheduled"}, page=page)
    assert nudged.status == 303 and nudged.headers["Location"].endswith("done=nudged")
    r = await hub.client.post(f"/v1/referrals/{rid}/milestones", headers=point.auth,
                              json={"code": "exam-followup-scheduled"})
    assert r.status == 201 and (await r.json())["in_time"] is False  # late: still a gap met
    assert (await gap_rows(sign_in))[0] == []
    before = len(escalation.email.sent)
    await escalation.advance(2 * DAY)
    assert NURSE not in sent_to(escalation, before)  # told once; the ladder stopped
    status, html = await (await sign_in("ccr-coordinator")).text("/dashboard/figures?days=7")
    row = html[html.index('data-milestones="harbor-house discharge-handoff"'):]
    cells = [c.split(">")[-1] for c in row.split("</td>")[:4]]
    assert status == 200 and cells == ["Harbor House Domestic Violence Shelter",
                                       "Hospital discharge handoff", "1", "1"]  # met, missed
    csv = await (await sign_in("ccr-coordinator")).text("/dashboard/figures.csv?days=7")
    [harbor] = [line for line in csv[1].split("\r\n") if line.startswith("harbor-house,")]
    assert harbor.endswith(",discharge-handoff=1,discharge-handoff=1")


async def test_an_agreement_without_flow_back_keeps_the_gap_from_the_sender(
        hub, sign_in, escalation) -> None:
    dest, type_ = "bridge-advocacy", "advocacy-request"  # the status does not flow back
    sealed, rid = await submit(hub, dest=dest, type_=type_, sender_agency="county-prosecutor")
    await escalation.run_due()
    await acknowledge(hub, sealed, rid, dest=dest)
    await act(hub, rid, "accept", dest=dest)  # compensation-claim-filed: within 21 days
    before = len(escalation.email.sent)
    await escalation.advance(21 * DAY)
    told = sent_to(escalation, before)
    assert any(t.endswith("@bridge.example.org") for t in told)  # the agency is asked
    assert VICTIM_WITNESS not in told  # the prosecutor, kept from the status, hears nothing
    rows, _ = await gap_rows(sign_in)
    assert rid[:8] in [r.reference for r in rows]
    prosecutor = hub.world.first("county-prosecutor", "sender")
    r = await hub.client.get(f"/v1/referrals/{rid}/milestones", headers=prosecutor.auth)
    listed = await r.json()
    assert r.status == 200 and listed["recorded"] == []
    assert all(m["gap_at"] is None for m in listed["configured"])
    history = await (await hub.client.get(f"/v1/referrals/{rid}/history",
                                          headers=prosecutor.auth)).json()
    assert "milestone" not in str(history)
    advocate = hub.world.first(dest, "point_person")
    listed = await (await hub.client.get(f"/v1/referrals/{rid}/milestones",
                                         headers=advocate.auth)).json()
    assert [m["code"] for m in listed["configured"] if m["gap_at"]] == [
        "compensation-claim-filed"]


async def test_a_no_show_makes_the_exam_a_gap_at_once(hub, sign_in, escalation) -> None:
    sealed, rid = await submit(hub, share_outcome=True)
    await escalation.run_due()
    await acknowledge(hub, sealed, rid)
    await act(hub, rid, "accept")
    point = hub.world.first("harbor-house", "point_person")
    before = len(escalation.email.sent)
    r = await hub.client.post(f"/v1/referrals/{rid}/milestones", headers=point.auth,
                              json={"code": "no-show"})
    assert r.status == 201, await r.text()
    await escalation.run_due()
    assert sent_to(escalation, before) == [NURSE]
    rows, html = await gap_rows(sign_in)
    assert [(r.reference, r.state) for r in rows] == [(rid[:8], "gap")]
    assert "milestone: exam followup attended" in html


async def sender_knows(hub, sign_in, rid: str) -> dict[str, object]:
    """What the sending agency learns of the referral's milestones and gaps: its listing's
    gaps and records, and whether its history, audit trail or page's history mention one."""
    nurse = hub.world.first("mercy-hospital", "sender")
    listed = await (await hub.client.get(f"/v1/referrals/{rid}/milestones",
                                         headers=nurse.auth)).json()
    history = await (await hub.client.get(f"/v1/referrals/{rid}/history",
                                          headers=nurse.auth)).json()
    trail = await hub.client.get(f"/v1/referrals/{rid}/audit",  # for the agency's admin
                                 headers=hub.world.members["mercy-admin"].auth)
    assert trail.status == 200, await trail.text()
    _, html = await (await sign_in("mercy-nurse-1")).text(f"/inbox/{rid}")
    return {"gaps": [m["code"] for m in listed["configured"] if m["gap_at"] is not None],
            "recorded": [m["code"] for m in listed["recorded"]],
            "history": "milestone" in str(history), "audit": "milestone" in str(await trail.json()),
            "page": "milestone" in html[html.index('id="history"'):].partition("</ol>")[0]}


NOTHING = {"gaps": [], "recorded": [], "history": False, "audit": False, "page": False}


async def test_a_consent_that_does_not_share_the_outcome_keeps_the_gap_from_the_sender(
        hub, sign_in, escalation) -> None:
    sealed, rid = await submit(hub)  # the survivor did not agree to share how it went
    await escalation.run_due()
    await acknowledge(hub, sealed, rid)
    await act(hub, rid, "accept")  # exam-followup-scheduled is due 3 days from now
    point = hub.world.first("harbor-house", "point_person")
    r = await hub.client.post(f"/v1/referrals/{rid}/milestones", headers=point.auth,
                              json={"code": "no-show"})
    assert r.status == 201
    before = len(escalation.email.sent)
    await escalation.advance(3 * DAY)  # the exam missed at once, its scheduling now
    told = sent_to(escalation, before)
    assert INTAKE in told and NURSE not in told  # the agency is asked, the nurse not told
    rows, _ = await gap_rows(sign_in)
    assert {(r.reference, r.state) for r in rows} == {(rid[:8], "gap")}
    assert await sender_knows(hub, sign_in, rid) == NOTHING
    listed = await (await hub.client.get(f"/v1/referrals/{rid}/milestones",
                                         headers=point.auth)).json()
    assert sorted(m["code"] for m in listed["configured"] if m["gap_at"]) == [
        "exam-followup-attended", "exam-followup-scheduled"]  # the receiver still sees both


async def test_narrowing_consent_after_a_gap_takes_it_back_from_the_sender(
        hub, sign_in, escalation) -> None:
    sealed, rid = await submit(hub, share_outcome=True)
    await escalation.run_due()
    await acknowledge(hub, sealed, rid)
    await act(hub, rid, "accept")
    point = hub.world.first("harbor-house", "point_person")
    before = len(escalation.email.sent)
    await hub.client.post(f"/v1/referrals/{rid}/milestones", headers=point.auth,
                          json={"code": "no-show"})
    await escalation.run_due()
    assert sent_to(escalation, before) == [NURSE]  # shared: the nurse hears of the gap
    knows = await sender_knows(hub, sign_in, rid)
    assert knows["gaps"] == ["exam-followup-attended"] and knows["recorded"] == ["no-show"]
    assert knows["history"] and knows["audit"] and knows["page"]

    r = await hub.client.post(f"/v1/referrals/{rid}/consent", headers=point.auth,
                              json={"share_outcome": False})  # the survivor takes it back
    assert r.status == 200, await r.text()
    assert await sender_knows(hub, sign_in, rid) == NOTHING
    before = len(escalation.email.sent)
    await escalation.advance(3 * DAY)  # the scheduling falls due too: a gap, untold
    told = sent_to(escalation, before)
    assert INTAKE in told and NURSE not in told
    assert await sender_knows(hub, sign_in, rid) == NOTHING


def milestone_states(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-milestone="([a-z-]+)" data-state="([a-z]+)"', html))


async def test_the_receiving_agency_records_a_milestone_on_the_referral_page(
        hub, sign_in, escalation) -> None:
    sealed, rid = await submit(hub)
    await acknowledge(hub, sealed, rid)
    page = f"/inbox/{rid}"
    intake = await sign_in("harbor-intake")
    _, html = await intake.text(page)  # recorded once accepted: the page's script shows it
    assert 'action="/inbox/' in html and 'data-when="accepted in-progress" hidden' in html
    await act(hub, rid, "accept")
    status, html = await intake.text(page)
    assert 'data-when="accepted in-progress">' in html
    assert status == 200, html
    assert milestone_states(html) == {"exam-followup-scheduled": "pending",
                                      "exam-followup-attended": "pending", "no-show": "none"}
    due = hub.clock.now() + 3 * DAY  # its deadline, on the wall in Chicago
    assert local_time(due, "America/Chicago") in html and "CST" in html
    assert '<option value="exam-followup-attended">Follow-up exam attended</option>' in html

    r = await intake.post_form(f"{page}/milestones", {"code": "exam-followup-scheduled"},
                               page=page)
    assert r.status == 303 and r.headers["Location"].startswith(f"{page}?done=milestone")
    r = await intake.post_form(f"{page}/milestones", {"code": "no-show"}, page=page)
    assert r.status == 303  # the exam was missed: a gap at once, which the engine marks
    await escalation.run_due()
    _, html = await intake.text(page)
    assert "Milestone recorded." not in html
    assert milestone_states(html) == {"exam-followup-scheduled": "recorded",
                                      "exam-followup-attended": "missed", "no-show": "recorded"}
    assert '<option value="exam-followup-scheduled">' not in html  # recorded: not offered
    listed = await hub.client.get(f"/v1/referrals/{rid}/milestones",
                                  headers=hub.world.first("harbor-house", "point_person").auth)
    assert {m["code"] for m in (await listed.json())["recorded"]} == {
        "exam-followup-scheduled", "no-show"}

    night = await sign_in("harbor-night")  # a backup who reads Spanish
    _, html = await night.text(page)
    assert "Asistió al examen de seguimiento" in html and "Hitos" in html

    r = await intake.post_form(f"{page}/milestones", {"code": "made-up"}, page=page)
    assert r.status == 422 and "exam-followup-attended" in await r.text()
    r = await intake.post(f"{page}/milestones", {"code": "exam-followup-attended"})
    assert r.status == 403  # no CSRF token: refused, nothing recorded
    _, html = await intake.text(page)
    assert milestone_states(html)["exam-followup-attended"] == "missed"


async def test_the_sender_and_another_agency_cannot_record_from_the_page(
        hub, sign_in) -> None:
    sealed, rid = await submit(hub)
    await acknowledge(hub, sealed, rid)
    await act(hub, rid, "accept")
    nurse = await sign_in("mercy-nurse-1")
    status, html = await nurse.text(f"/inbox/{rid}")
    assert status == 200 and 'action="/inbox/' not in html
    r = await nurse.post_form(f"/inbox/{rid}/milestones", {"code": "no-show"},
                              page=f"/inbox/{rid}")
    assert r.status == 403

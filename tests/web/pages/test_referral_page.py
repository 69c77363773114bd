"""A referral's page: status history, receipts, escalation steps and the audit trail
(metadata only), and what a coordinator does there: nudge the receiving agency (at most
once in 15 minutes) and mark the referral reviewed at a team meeting."""

from __future__ import annotations

import pytest

from .conftest import acknowledge, act, submit
from .support import Markup, queue_rows, text

MINUTE, HOUR = 60, 3600


def section(html: str, heading: str) -> str:
    """The text of the page's section under ``heading`` ('' when there is none)."""
    marker = f"<h2>{heading}</h2>"
    if marker not in html:
        return ""
    return text(html.split(marker)[1].split("</section>")[0])


async def page(browser, rid: str) -> str:
    status, html = await browser.text(f"/dashboard/referrals/{rid}")
    assert status == 200, html
    return html


async def deliveries(hub) -> set[str]:
    return {m.decode() for m in await hub.store.redis.zrange(hub.store.keys.deliveries(), 0, -1)}


async def test_the_page_shows_status_history_receipts_and_escalation_steps(
        hub, sign_in, escalation) -> None:
    sealed, rid = await submit(hub)
    await escalation.run_due()  # the point person is emailed at 02:00 Chicago time
    hub.clock.advance(10 * MINUTE)
    point = hub.world.first("harbor-house", "point_person")
    await hub.client.get(f"/v1/referrals/{rid}/envelope", headers=point.auth)
    await acknowledge(hub, sealed, rid)
    await act(hub, rid, "accept")
    html = await page(await sign_in("ccr-coordinator"), rid)
    assert "Status accepted" in text(html) and "Acknowledge by Fri 15 Jan 2027 04:00 CST" \
        in text(html)
    assert section(html, "Receipts") == (
        "Receiving group notified: Fri 15 Jan 2027 02:00 CST "
        "Envelope first fetched: Fri 15 Jan 2027 02:10 CST "
        "Acknowledged: Fri 15 Jan 2027 02:10 CST by Harbor House intake advocate")
    history = section(html, "Status history")
    assert [line.split(" CST ")[1].strip() for line in history.split("Fri 15 Jan 2027 ")[1:]] == [
        "sent · SANE Nurse (day shift)", "notice sent · CCR Hub (automatic)",
        "opened · Harbor House intake advocate", "acknowledged · Harbor House intake advocate",
        "accepted · Harbor House intake advocate"]  # names and plain words, no slugs
    steps = [r.cells for r in Markup(html.split("<h2>Escalation steps</h2>")[1]
                                     .split("</section>")[0]).rows][1:]
    assert steps == [["1", "acknowledgement", "Harbor House intake advocate", "email",
                      "sent (1 attempt)", "–", "Fri 15 Jan 2027 02:00 CST"]]
    owed = section(html, "Deadlines owed")
    assert owed.count("Nudge Harbor House") == 4  # the follow-ups and the exam milestones
    assert "milestone: exam followup attended" in owed


async def test_the_page_shows_the_delivery_reported_for_a_text(hub, sign_in,
                                                               escalation) -> None:
    escalation.email.refuse.add("intake@harbor.example.org")
    _, rid = await submit(hub)
    await escalation.run_due()
    await hub.services.deliveries.apply("sms-1", "delivered")
    steps = section(await page(await sign_in("ccr-coordinator"), rid), "Escalation steps")
    assert "Harbor House intake advocate email could not be delivered" in steps
    assert "Harbor House intake advocate text message sent (1 attempt) delivered" in steps


@pytest.mark.parametrize(("person", "shown"), [
    ("ccr-coordinator", True), ("harbor-director", True), ("harbor-intake", False),
    ("harbor-night", False)])
async def test_the_audit_trail_is_for_coordinators_and_agency_admins_only(
        hub, sign_in, person: str, shown: bool) -> None:
    _, rid = await submit(hub)
    html = await page(await sign_in(person), rid)
    trail = section(html, "Audit trail")
    assert bool(trail) is shown
    assert ("sent it" in html) is shown
    if shown:
        assert "SANE Nurse (day shift) Mercy General Hospital (Emergency Department) sent it " \
            "done" in trail
        assert "referral." not in trail and "anonymous" not in trail


async def test_viewing_the_page_shows_in_its_audit_trail(hub, sign_in) -> None:
    _, rid = await submit(hub)
    browser = await sign_in("ccr-coordinator")
    await page(browser, rid)
    trail = section(await page(browser, rid), "Audit trail")
    assert "CCR coordinator River County CCR Coordination Office viewed it on the dashboard " \
        "done" in trail


async def test_a_nudge_queues_the_current_steps_notices_again(hub, sign_in,
                                                             escalation) -> None:
    _, rid = await submit(hub)
    await escalation.run_due()
    await escalation.advance(HOUR)  # the backups have been told
    before = {n.id for n in await hub.store.notices.of_referral(rid)}
    assert len(before) == 3 and not await deliveries(hub)
    browser = await sign_in("harbor-director")
    r = await browser.post_form(f"/dashboard/referrals/{rid}/nudge", {"timer": "ack"})
    assert r.status == 303
    assert r.headers["Location"] == f"/dashboard/referrals/{rid}?done=nudged"
    fresh = [n for n in await hub.store.notices.of_referral(rid) if n.id not in before]
    assert sorted((n.person, n.status, n.level) for n in fresh) == [
        ("harbor-director", "queued", 2), ("harbor-night", "queued", 2)]
    assert await deliveries(hub) == {n.id for n in fresh}  # for the workers to send
    _, html = await browser.text(r.headers["Location"])
    said = text(html)  # what will happen, flood control included: not "goes out again now"
    assert "Nudge queued: the current step's notices go out again within a minute. Anyone " \
        "who already had 3 notices in the last 10 minutes gets theirs in one combined " \
        "message as soon as that allows, within 10 minutes." in said
    await escalation.run_due()
    assert [n.to for n in escalation.sms.sent] == ["+15555550121", "+15555550121"]


async def test_a_second_nudge_within_15_minutes_is_429_with_a_clear_message(
        hub, sign_in) -> None:
    _, rid = await submit(hub)
    browser = await sign_in("ccr-coordinator")
    assert (await browser.post_form(f"/dashboard/referrals/{rid}/nudge",
                                    {"timer": "ack"})).status == 303
    hub.clock.advance(14 * MINUTE)
    r = await browser.post_form(f"/dashboard/referrals/{rid}/nudge", {"timer": "ack"})
    assert r.status == 429
    assert "nudged less than 15 minutes ago" in text(await r.text())
    assert len(await hub.store.notices.of_referral(rid)) == 1


async def test_a_nudge_works_again_after_15_minutes(hub, sign_in) -> None:
    _, rid = await submit(hub)
    browser = await sign_in("ccr-coordinator")
    assert (await browser.post_form(f"/dashboard/referrals/{rid}/nudge",
                                    {"timer": "ack"})).status == 303
    hub.clock.advance(15 * MINUTE)
    r = await browser.post_form(f"/dashboard/referrals/{rid}/nudge", {"timer": "ack"})
    assert r.status == 303, text(await r.text())
    assert len(await hub.store.notices.of_referral(rid)) == 2


async def test_nudging_an_acknowledged_referral_is_409(hub, sign_in) -> None:
    sealed, rid = await submit(hub)
    await acknowledge(hub, sealed, rid)
    browser = await sign_in("ccr-coordinator")
    r = await browser.post_form(f"/dashboard/referrals/{rid}/nudge", {"timer": "ack"})
    assert r.status == 409 and "that deadline is met" in text(await r.text())
    assert await hub.store.notices.of_referral(rid) == []


async def test_nudging_a_closed_referral_is_409(hub, sign_in) -> None:
    sealed, rid = await submit(hub)
    await acknowledge(hub, sealed, rid)
    await act(hub, rid, "reject", {"reason": "capacity"})
    browser = await sign_in("ccr-coordinator")
    r = await browser.post_form(f"/dashboard/referrals/{rid}/nudge", {"timer": "ack"})
    assert r.status == 409 and "the referral is rejected" in text(await r.text())


async def test_a_refused_nudge_does_not_hold_back_the_next_one(hub, sign_in) -> None:
    sealed, rid = await submit(hub)
    await acknowledge(hub, sealed, rid)
    await act(hub, rid, "accept")
    browser = await sign_in("ccr-coordinator")
    r = await browser.post_form(f"/dashboard/referrals/{rid}/nudge", {"timer": "ack"})
    assert r.status == 409  # acknowledged already
    r = await browser.post_form(f"/dashboard/referrals/{rid}/nudge",
                                {"timer": "fu:first-contact"})
    assert r.status == 303, text(await r.text())
    [notice] = await hub.store.notices.of_referral(rid)
    assert notice.timer == "fu:first-contact" and notice.person == "harbor-intake"


@pytest.mark.parametrize("timer", ["consent", "fu:no-such-follow-up", ""])
async def test_nudging_a_deadline_the_referral_does_not_have_is_a_clear_error(
        hub, sign_in, timer: str) -> None:
    sealed, rid = await submit(hub)
    await acknowledge(hub, sealed, rid)
    await act(hub, rid, "accept")
    browser = await sign_in("ccr-coordinator")
    r = await browser.post_form(f"/dashboard/referrals/{rid}/nudge", {"timer": timer})
    assert r.status == 400 and r.content_type == "text/html"
    assert "choose the acknowledgement or" in text(await r.text())
    r = await browser.post_form(f"/dashboard/referrals/{rid}/nudge",
                                {"timer": "fu:first-contact"})
    assert r.status == 303


async def test_a_nudge_without_the_csrf_token_is_refused(hub, sign_in) -> None:
    _, rid = await submit(hub)
    browser = await sign_in("ccr-coordinator")
    r = await browser.post(f"/dashboard/referrals/{rid}/nudge", {"timer": "ack"})
    assert r.status == 403 and "this form has expired" in text(await r.text())
    r = await browser.post(f"/dashboard/referrals/{rid}/nudge", {"timer": "ack", "csrf": "x"})
    assert r.status == 403
    assert await hub.store.notices.of_referral(rid) == []


async def test_a_review_is_recorded_in_the_history_and_shown_in_the_queue(hub,
                                                                         sign_in) -> None:
    _, rid = await submit(hub)
    browser = await sign_in("ccr-coordinator")
    r = await browser.post_form(f"/dashboard/referrals/{rid}/review",
                                {"code": "systemic-issue"})
    assert r.status == 303
    assert r.headers["Location"] == f"/dashboard/referrals/{rid}?done=reviewed"
    _, html = await browser.text(r.headers["Location"])
    assert "Marked as reviewed." in text(html)
    assert section(html, "Status history").endswith(
        "marked for team review (a systemic issue) · CCR coordinator")
    assert "CCR coordinator River County CCR Coordination Office marked it reviewed done" \
        in section(html, "Audit trail")
    [row] = queue_rows((await browser.text("/dashboard"))[1])
    assert row.cells[9] == "reviewed: a systemic issue"


async def test_a_review_needs_one_of_the_reason_codes(hub, sign_in) -> None:
    _, rid = await submit(hub)
    browser = await sign_in("ccr-coordinator")
    r = await browser.post_form(f"/dashboard/referrals/{rid}/review", {"code": "because"})
    assert r.status == 400
    assert "choose a reason: one of discussed, agency-followed-up" in text(await r.text())
    assert [e.action for e in await hub.store.referrals.history(rid)] == ["submitted"]


async def test_a_review_without_the_csrf_token_is_refused(hub, sign_in) -> None:
    _, rid = await submit(hub)
    browser = await sign_in("ccr-coordinator")
    r = await browser.post(f"/dashboard/referrals/{rid}/review", {"code": "discussed"})
    assert r.status == 403
    assert [e.action for e in await hub.store.referrals.history(rid)] == ["submitted"]


async def test_a_missing_referral_is_a_404_page(sign_in) -> None:
    browser = await sign_in("ccr-coordinator")
    status, html = await browser.text(f"/dashboard/referrals/{'0' * 32}")
    assert status == 404 and "Not found" in text(html)
    r = await browser.post_form(f"/dashboard/referrals/{'0' * 32}/nudge", {"timer": "ack"})
    assert r.status == 404
    r = await browser.post_form(f"/dashboard/referrals/{'0' * 32}/review", {"code": "other"})
    assert r.status == 404

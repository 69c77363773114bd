"""The stalled-referral queue as a coordinator uses it: what is about to breach, what is
past its acknowledgement deadline, which follow-ups are overdue; every filter, sort and
page; and what the escalation reached for each referral."""

from __future__ import annotations

import re

import pytest

from hub.crypto import Urgency

from .conftest import acknowledge, act, submit
from .support import Markup, queue_rows, references, text

MINUTE, HOUR, DAY = 60, 3600, 86400


async def queue(sign_in, query: str = "", person: str = "ccr-coordinator") -> str:
    """The queue page as ``person`` sees it now (signed in afresh: the tests move the clock
    on by hours, and 15 idle minutes sign a browser out)."""
    browser = await sign_in(person)
    status, html = await browser.text(f"/dashboard?{query}")
    assert status == 200, html
    return html


def counts(html: str) -> tuple[str, str, str]:
    line = text(html[html.index('<p class="counts">'):])
    return (line.split(" past the acknowledgement deadline")[0].split()[-1],
            line.split(" due within")[0].split()[-1],
            re.split(r" follow-ups? overdue", line)[0].split()[-1])


async def test_a_new_referral_is_due_soon_within_the_chosen_hours(hub, sign_in) -> None:
    _, rid = await submit(hub)  # urgent discharge handoff: acknowledge within 2 hours
    [row] = queue_rows(await queue(sign_in, "hours=4"))
    assert row.reference == rid[:8] and row.state == "due-soon"
    assert row.cells[1:5] == ["Mercy General Hospital (Emergency Department)",
                              "Harbor House Domestic Violence Shelter",
                              "Hospital discharge handoff", "urgent"]  # names, not slugs
    assert row.cells[6].startswith("in 2 h 00 min acknowledgement")
    html = await queue(sign_in, "hours=1")
    assert references(html) == [] and counts(html) == ("0", "0", "0")


async def test_a_referral_is_breached_once_its_acknowledgement_deadline_passes(
        hub, sign_in) -> None:
    _, rid = await submit(hub)
    hub.clock.advance(2 * HOUR - 1)
    assert [r.state for r in queue_rows(await queue(sign_in))] == ["due-soon"]
    hub.clock.advance(1)
    html = await queue(sign_in, "hours=1")  # past the deadline: shown whatever the window
    [row] = queue_rows(html)
    assert row.state == "breached" and row.cells[6].startswith("0 min overdue")
    assert counts(html) == ("1", "0", "0")
    hub.clock.advance(90 * MINUTE)
    assert queue_rows(await queue(sign_in))[0].cells[6].startswith("1 h 30 min overdue")


async def test_an_acknowledged_referral_leaves_the_queue(hub, sign_in) -> None:
    sealed, rid = await submit(hub)
    hub.clock.advance(3 * HOUR)
    assert references(await queue(sign_in)) == [rid[:8]]
    await acknowledge(hub, sealed, rid)
    html = await queue(sign_in)
    assert references(html) == [] and counts(html) == ("0", "0", "0")
    assert "Nothing stalled with these filters." in text(html)


async def record_exams(hub, rid: str) -> None:
    point = hub.world.first("harbor-house", "point_person")
    for code in ("exam-followup-scheduled", "exam-followup-attended"):
        r = await hub.client.post(f"/v1/referrals/{rid}/milestones", headers=point.auth,
                                  json={"code": code})
        assert r.status == 201, await r.text()


async def test_a_follow_up_is_overdue_once_its_deadline_after_acceptance_passes(
        hub, sign_in) -> None:
    sealed, rid = await submit(hub)  # urgent handoffs owe first contact within a day
    await acknowledge(hub, sealed, rid)
    await act(hub, rid, "accept")
    await record_exams(hub, rid)  # no gaps here: tests/web/pages/test_milestones.py
    hub.clock.advance(DAY - HOUR)
    [row] = queue_rows(await queue(sign_in))
    assert row.state == "due-soon" and "follow-up: first contact" in row.cells[6]
    hub.clock.advance(HOUR + 1)
    html = await queue(sign_in)
    [row] = queue_rows(html)
    assert row.state == "follow-up" and row.cells[6].startswith("0 min overdue follow-up: "
                                                                "first contact")
    assert counts(html) == ("0", "0", "1")
    assert references(await queue(sign_in, "state=follow-up")) == [rid[:8]]
    assert references(await queue(sign_in, "state=breached")) == []
    await act(hub, rid, "progress")  # first contact made
    assert references(await queue(sign_in)) == []
    hub.clock.advance(13 * DAY - 2 * HOUR)  # the outcome is owed within 14 days
    [row] = queue_rows(await queue(sign_in))
    assert row.state == "due-soon" and "follow-up: outcome ·" in row.cells[6]


async def test_an_accepted_referral_whose_policy_has_no_follow_ups_leaves_the_queue(
        hub, sign_in) -> None:
    sealed, rid = await submit(hub, type_="shelter-request")
    await acknowledge(hub, sealed, rid)
    await act(hub, rid, "accept")
    hub.clock.advance(20 * DAY)
    assert references(await queue(sign_in, "hours=168")) == []


@pytest.fixture
async def mix(hub) -> dict[str, str]:
    """Five open referrals, ten minutes apart, then ten minutes more (t0 + 50 min):
    A harbor discharge urgent, due t0+2h;    B harbor shelter urgent, due t0+1h10;
    C bridge advocacy urgent, due t0+1h20;   D harbor discharge emergent, due t0+1h;
    E harbor discharge routine, due t0+24h40."""
    plan = {"A": (Urgency.URGENT, "harbor-house", "discharge-handoff"),
            "B": (Urgency.URGENT, "harbor-house", "shelter-request"),
            "C": (Urgency.URGENT, "bridge-advocacy", "advocacy-request"),
            "D": (Urgency.EMERGENT, "harbor-house", "discharge-handoff"),
            "E": (Urgency.ROUTINE, "harbor-house", "discharge-handoff")}
    refs = {}
    for name, (urgency, dest, type_) in plan.items():
        _, rid = await submit(hub, urgency=urgency, dest=dest, type_=type_)
        refs[rid[:8]] = name
        hub.clock.advance(10 * MINUTE)
    return refs


def named(html: str, mix: dict[str, str]) -> str:
    return "".join(mix[r] for r in references(html))


FILTERED = [
    ("", "DBCAE"),
    ("agency=bridge-advocacy", "C"),
    ("agency=harbor-house", "DBAE"),
    ("agency=riverside-pd", ""),
    ("type=shelter-request", "B"),
    ("type=discharge-handoff", "DAE"),
    ("urgency=emergent", "D"),
    ("urgency=routine", "E"),
    ("hours=8", "DBCA"),
    ("hours=1", "DBC"),
    ("agency=harbor-house&urgency=urgent&type=discharge-handoff", "A"),
]
SORTED = [
    ("sort=due", "DBCAE"),
    ("sort=due&order=desc", "EACBD"),
    ("sort=age", "EDCBA"),  # youngest first
    ("sort=age&order=desc", "ABCDE"),  # oldest first
    ("sort=agency", "CDBAE"),  # Bridge before Harbor, then by deadline
    ("sort=agency&order=desc", "EABDC"),
    ("sort=type", "CDAEB"),  # advocacy, discharge (by deadline), shelter
    ("sort=type&order=desc", "BEADC"),
    ("sort=urgency", "DBCAE"),  # emergent, urgent (by deadline), routine
    ("sort=urgency&order=desc", "EACBD"),
]


async def test_each_filter_shows_what_it_says(sign_in, mix) -> None:
    browser = await sign_in("ccr-coordinator")
    shown = [(query, named((await browser.text(f"/dashboard?{query}"))[1], mix))
             for query, _ in FILTERED]
    assert shown == FILTERED


async def test_each_sort_orders_the_rows_as_it_says(sign_in, mix) -> None:
    browser = await sign_in("ccr-coordinator")
    shown = [(query, named((await browser.text(f"/dashboard?{query}"))[1], mix))
             for query, _ in SORTED]
    assert shown == SORTED


async def test_the_age_column_grows_down_the_page_when_sorted_by_age_ascending(
        sign_in, mix) -> None:
    ages = [r.cells[5] for r in queue_rows(await queue(sign_in, "sort=age&order=asc"))]
    assert ages == ["10 min", "20 min", "30 min", "40 min", "50 min"]


async def test_the_state_filter_and_the_counts_per_state(hub, sign_in, mix) -> None:
    hub.clock.advance(15 * MINUTE)  # t0 + 1h05: D (emergent, 1h) is past its deadline
    html = await queue(sign_in)
    assert named(html, mix) == "DBCAE" and counts(html) == ("1", "4", "0")
    assert [r.state for r in queue_rows(html)] == ["breached"] + ["due-soon"] * 4
    html = await queue(sign_in, "state=breached")
    assert named(html, mix) == "D" and counts(html) == ("1", "4", "0")
    assert named(await queue(sign_in, "state=due-soon"), mix) == "BCAE"
    assert named(await queue(sign_in, "state=follow-up"), mix) == ""
    assert counts(await queue(sign_in, "agency=harbor-house")) == ("1", "3", "0")
    assert counts(await queue(sign_in, "hours=4")) == ("1", "3", "0")


async def test_more_than_25_rows_are_paged(hub, sign_in) -> None:
    for _ in range(26):
        await submit(hub)
        hub.clock.advance(1)
    first = await queue(sign_in)
    assert len(queue_rows(first)) == 25
    assert "page 1 of 2 · 26 in all" in text(first) and "next →" in text(first)
    assert "← previous" not in text(first)
    second = await queue(sign_in, "page=2")
    assert len(queue_rows(second)) == 1 and "page 2 of 2 · 26 in all" in text(second)
    assert "← previous" in text(second) and "next →" not in text(second)
    assert not set(references(first)) & set(references(second))
    assert references(await queue(sign_in, "page=9")) == references(second)  # the last page
    desc = await queue(sign_in, "order=desc&page=2")
    assert references(desc) == references(first)[:1]


async def test_the_pages_links_keep_the_filters(hub, sign_in) -> None:
    for _ in range(26):
        await submit(hub)
    html = await queue(sign_in, "agency=harbor-house&sort=age&order=desc&hours=48")
    assert 'href="/dashboard?agency=harbor-house&amp;sort=age&amp;order=desc&amp;hours=48' \
           '&amp;page=2"' in html


BAD_FILTERS = [
    ("state=stalled", "state"), ("agency=Harbor%20House", "agency"), ("type=..%2F..", "type"),
    ("urgency=high", "urgency"), ("hours=0", "hours"), ("hours=169", "hours"),
    ("hours=soon", "hours"), ("sort=name", "sort"), ("order=up", "order"), ("page=0", "page"),
    ("survivor=jane", "survivor"),
]


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/rows"])
async def test_a_bad_filter_value_is_a_400_page_that_names_it(sign_in, path: str) -> None:
    browser = await sign_in("ccr-coordinator")
    for query, name in BAD_FILTERS:
        status, html = await browser.text(f"{path}?{query}")
        message = text(html)
        assert status == 400, query
        assert "this page's address has a bad value" in message and f"{name}:" in message, query


async def test_the_row_shows_the_level_reached_and_the_last_notice(hub, sign_in,
                                                                   escalation) -> None:
    await submit(hub)
    [row] = queue_rows(await queue(sign_in))
    assert row.cells[7] == "–" and row.cells[8] == "none yet"
    await escalation.run_due()  # the point person is told at once
    [row] = queue_rows(await queue(sign_in))
    assert row.cells[7] == "1" and row.cells[8].startswith("email · sent Fri 15 Jan 2027 02:00")
    await escalation.advance(HOUR)  # then the backups
    [row] = queue_rows(await queue(sign_in))
    assert row.cells[7] == "2" and row.cells[8].startswith("email · sent Fri 15 Jan 2027 03:00")
    assert row.cells[9] == ""
    await escalation.advance(HOUR)  # the deadline: the coordinators are alerted, and the
    [row] = queue_rows(await queue(sign_in))  # ladder's second round starts (level 4)
    assert row.state == "breached" and row.cells[7] == "4"
    assert row.cells[9] == "coordinators alerted"


async def test_coordinators_alerted_only_once_a_coordinator_was_told(hub, sign_in,
                                                                      escalation) -> None:
    """The night advocate has only a phone number, and the text to it is refused: the
    row says a notice could not be delivered, not that the coordinators were alerted
    (no coordinator was told); when the coordinators' rung comes, it says they were. The
    badges' column has a header."""
    escalation.sms.refuse.add("+15555550121")  # harbor-night, SMS only
    await submit(hub)
    await escalation.run_due()
    await escalation.advance(HOUR)  # level 2: the backups; the night advocate's text fails
    html = await queue(sign_in)
    [row] = queue_rows(html)
    assert row.cells[7] == "2" and "coordinators alerted" not in row.cells[9]
    assert "not delivered" in row.cells[9]
    header = next(r for r in Markup(html).rows if "data-referral" not in r.attrs)
    assert all(header.cells) and len(header.cells) == 10
    await escalation.advance(HOUR)  # the deadline: the coordinators' rung
    [row] = queue_rows(await queue(sign_in))
    assert "coordinators alerted" in row.cells[9]


async def test_a_coordinators_rung_that_reached_no_coordinator_is_not_alerted(
        hub, sign_in, escalation) -> None:
    """The coordinator's mailbox bounces and their text is refused: the coordinators' rung
    came, but nobody was told, and the row says so."""
    escalation.email.refuse.add("coordinator@ccr.example.org")
    escalation.sms.refuse.add("+15555550150")
    await submit(hub)
    await escalation.run_due()
    await escalation.advance(2 * HOUR)  # the deadline: the coordinators' rung
    [row] = queue_rows(await queue(sign_in))
    assert row.cells[7] == "4" and "coordinators alerted" not in row.cells[9]
    assert "not delivered" in row.cells[9]


async def test_the_row_shows_whether_the_last_notice_was_delivered(hub, sign_in,
                                                                   escalation) -> None:
    escalation.email.refuse.add("intake@harbor.example.org")  # the mailbox bounces
    await submit(hub)
    await escalation.run_due()  # so the point person is texted instead
    [row] = queue_rows(await queue(sign_in))
    assert row.cells[8].startswith("text message · sent Fri")
    assert [n.to for n in escalation.sms.sent] == ["+15555550120"]
    await hub.services.deliveries.apply("sms-1", "delivered")  # the gateway's report
    [row] = queue_rows(await queue(sign_in))
    assert row.cells[8].startswith("text message · sent · delivered Fri")


async def test_a_referral_claimed_from_a_notice_shows_who_claimed_it_until_the_pause_ends(
        hub, sign_in, escalation) -> None:
    _, rid = await submit(hub)
    await escalation.run_due()
    await escalation.advance(HOUR)  # the backups' rung: the night advocate's SMS
    (text_,) = [n for n in escalation.sms.sent if n.to == "+15555550121"]
    code = text_.text.split("responda ")[1][:6]
    answer = await hub.services.claims.by_reply("+15555550121", code)
    assert answer.outcome == "claimed"
    [row] = queue_rows(await queue(sign_in))
    assert row.state == "claimed"
    assert "claimed by Harbor House night advocate · escalation held until" in row.cells[6]
    browser = await sign_in("ccr-coordinator")
    status, html = await browser.text(f"/dashboard/referrals/{rid}")
    assert status == 200 and "claimed by Harbor House night advocate" in text(html)
    hub.clock.advance(15 * MINUTE)  # the pause is over: back to its deadline's state
    [row] = queue_rows(await queue(sign_in))
    assert row.state == "due-soon" and "claimed" not in row.cells[6]


async def test_the_dashboard_counts_open_referrals_no_one_on_duty_can_read(hub, sign_in
                                                                          ) -> None:
    """Harbor House's staff devices are all replaced after a referral was sealed: the
    dashboard says one referral no one on duty can read; the recovery key's grant to the new
    phone brings it back to none."""
    import base64

    from hub.crypto.grants import Granter
    from tests.client.test_grants_sdk import new_phone, publish_devices

    w = hub.world
    recovery = new_phone(hub, "recovery")
    staff = [m.device for m in w.members.values() if m.agency == "harbor-house" and m.device]
    await publish_devices(hub, [*staff, recovery], 2)
    sealed, rid = await submit(hub)
    phone = new_phone(hub, "harbor-night")
    await publish_devices(hub, [phone, recovery], 3)
    html = await queue(sign_in)
    assert "Harbor House Domestic Violence Shelter: 1 open referral that no one on duty " \
           "can read yet" in text(html)
    grant = Granter(recovery).grant(sealed.envelope, phone.certificate, roster_version=3,
                                    now=int(hub.clock.now()))
    admin = w.members["harbor-director"]
    r = await hub.client.post(f"/v1/referrals/{rid}/grants", headers=admin.auth,
                              json={"grants": [base64.b64encode(grant).decode()]})
    assert r.status == 201, await r.text()
    assert "Every open referral can be read by someone on duty" in text(await queue(sign_in))

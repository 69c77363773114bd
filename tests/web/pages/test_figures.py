"""Figures per receiving agency for the team meeting, on the page and as CSV: exact counts,
times and shares for a known set of referrals; only one's own agency for an agency admin;
the period chosen; aggregates only."""

from __future__ import annotations

import csv
import io

import pytest

from .conftest import acknowledge, act, submit
from .support import figure_rows, text

MINUTE, HOUR = 60, 3600
HARBOR = "Harbor House Domestic Violence Shelter"


@pytest.fixture
async def four(hub) -> list[str]:
    """Four urgent handoffs to Harbor House (acknowledge within 2 hours), all submitted on
    2027-01-15 (UTC): one declined for capacity after 30 minutes, one acknowledged in 1 hour
    (left open), one completed after acknowledging in 1.5 hours, one acknowledged 3 hours
    in, late (left open). One more to Bridge Advocacy, never acknowledged."""
    sent = [await submit(hub) for _ in range(4)]
    await submit(hub, dest="bridge-advocacy", type_="advocacy-request")
    (s1, declined), (s2, on_time), (s3, done), (s4, late) = sent
    hub.clock.advance(30 * MINUTE)
    await acknowledge(hub, s1, declined)
    await act(hub, declined, "reject", {"reason": "capacity"})
    hub.clock.advance(30 * MINUTE)
    await acknowledge(hub, s2, on_time)
    hub.clock.advance(30 * MINUTE)
    await acknowledge(hub, s3, done)
    await act(hub, done, "accept")
    await act(hub, done, "complete", {"outcome": "services-provided"})
    hub.clock.advance(90 * MINUTE)
    await acknowledge(hub, s4, late)
    return [rid for _, rid in sent]


async def figures(sign_in, person: str = "ccr-coordinator", query: str = "") -> str:
    status, html = await (await sign_in(person)).text(f"/dashboard/figures?{query}")
    assert status == 200, html
    return html


async def export(sign_in, person: str = "ccr-coordinator", query: str = ""):
    r = await (await sign_in(person)).get(f"/dashboard/figures.csv?{query}")
    assert r.status == 200, await r.text()
    return r, list(csv.DictReader(io.StringIO(await r.text())))


async def test_the_page_shows_exact_figures_for_a_known_set_of_referrals(sign_in,
                                                                         four) -> None:
    rows = figure_rows(await figures(sign_in))
    assert rows["harbor-house"] == [HARBOR, "4", "4", "1.0 h", "3.0 h", "75%", "50%",
                                    "no capacity: 1", "2"]
    assert rows["bridge-advocacy"] == ["Bridge Advocacy Center", "1", "0", "no data",
                                       "no data", "0%", "0%", "–", "1"]
    assert rows["riverside-pd"][1:] == ["0", "0", "no data", "no data", "no data", "no data",
                                        "–", "0"]
    assert len(rows) == 7  # every agency of the CCR


async def test_the_csv_holds_the_same_figures(sign_in, four) -> None:
    r, rows = await export(sign_in)
    harbor = next(row for row in rows if row["agency"] == "harbor-house")
    assert harbor == {"agency": "harbor-house", "first_day": "2026-12-17",
                      "last_day": "2027-01-15", "received": "4", "acknowledged": "4",
                      "ack_median_hours": "1.00", "ack_p90_hours": "3.00",
                      "acknowledged_in_time_pct": "75.0", "loop_closed_pct": "50.0",
                      "declined": "capacity=1", "open_now": "2",
                      "milestones_met": "", "milestones_missed": ""}  # none recorded or due
    assert len(rows) == 7


async def test_the_csv_is_an_attachment_that_names_no_referral(sign_in, four) -> None:
    r, _ = await export(sign_in)
    assert r.content_type == "text/csv"
    assert r.headers["Content-Disposition"] == \
        'attachment; filename="ccr-figures-2026-12-17-to-2027-01-15.csv"'
    body = await r.text()
    for rid in four:
        assert rid not in body and rid[:8] not in body
    assert "mercy-nurse" not in body and "harbor-intake" not in body


def charts(html: str) -> list[str]:
    """Each chart's markup, in the order shown."""
    return [c.split("</figure>")[0] for c in html.split('<figure class="chart"')[1:]]


async def test_the_charts_are_drawn_by_the_server_from_the_same_figures(sign_in,
                                                                        four) -> None:
    html = await figures(sign_in)
    drawn = charts(html)
    assert len(drawn) == 3
    assert "1.0 h" in drawn[0] and "3.0 h" in drawn[0]
    assert ">75%<" in drawn[1] and ">50%<" in drawn[1]


async def test_each_chart_names_its_two_figures_in_its_legend(sign_in, four) -> None:
    legends = [text(c.split('class="legend"')[1]) for c in charts(await figures(sign_in))]
    assert "first figure" not in " ".join(legends)
    assert "Median" in legends[0] and "90th percentile" in legends[0]
    assert "Within the deadline" in legends[1] and "Loop closed" in legends[1]
    assert "Received" in legends[2] and "Open now" in legends[2]


async def test_times_are_shown_in_the_unit_their_size_calls_for(hub, sign_in) -> None:
    """Acknowledged in 40 and 90 seconds: seconds, not '0.0 h' twice beside bars of
    different lengths; 25 minutes reads in minutes."""
    sent = [await submit(hub) for _ in range(2)]
    for seconds, (sealed, rid) in zip((40, 50), sent, strict=True):
        hub.clock.advance(seconds)
        await acknowledge(hub, sealed, rid)
    html = await figures(sign_in)
    assert figure_rows(html)["harbor-house"][3:5] == ["40 s", "90 s"]
    assert "0.0 h" not in html
    time_chart = text(charts(html)[0])
    assert "40 s" in time_chart and "90 s" in time_chart
    late = await submit(hub)
    hub.clock.advance(25 * MINUTE)
    await acknowledge(hub, *late)
    html = await figures(sign_in)
    assert figure_rows(html)["harbor-house"][3:5] == ["90 s", "25 min"]
    assert "25 min" in text(charts(html)[0])


@pytest.mark.parametrize("person", ["harbor-director"])
async def test_an_agency_admin_sees_only_their_agencys_figures(sign_in, four,
                                                               person: str) -> None:
    rows = figure_rows(await figures(sign_in, person))
    assert list(rows) == ["harbor-house"] and rows["harbor-house"][1] == "4"
    _, rows = await export(sign_in, person)
    assert [row["agency"] for row in rows] == ["harbor-house"]


async def test_another_agencys_admin_sees_none_of_harbor_houses_figures(sign_in,
                                                                        four) -> None:
    html = await figures(sign_in, "bridge-lead")
    assert list(figure_rows(html)) == ["bridge-advocacy"] and HARBOR not in html
    assert "capacity" not in html
    _, rows = await export(sign_in, "bridge-lead")
    assert [(row["agency"], row["received"]) for row in rows] == [("bridge-advocacy", "1")]


@pytest.mark.parametrize(("query", "received", "days"), [
    ("days=7", "4", "2027-01-09 to 2027-01-15"),
    ("days=1", "4", "2027-01-15 to 2027-01-15"),
    ("start=2027-01-15&end=2027-01-15", "4", "2027-01-15 to 2027-01-15"),
    ("start=2027-01-16&end=2027-02-28", "0", "2027-01-16 to 2027-02-28"),
    ("start=2026-01-15&end=2027-01-14", "0", "2026-01-15 to 2027-01-14"),
])
async def test_the_period_chosen_is_the_period_counted(sign_in, four, query: str,
                                                       received: str, days: str) -> None:
    html = await figures(sign_in, query=query)
    harbor = figure_rows(html)["harbor-house"]
    assert harbor[1] == received and harbor[-1] == "2"  # open now, whatever the period
    assert f"Referrals received from {days}" in text(html)
    _, rows = await export(sign_in, query=query)
    first, last = days.split(" to ")
    assert {(row["first_day"], row["last_day"]) for row in rows} == {(first, last)}


BAD_PERIODS = [
    ("start=2027-01-15&end=2027-01-01", 422, "the period ends before it starts"),
    ("start=2026-01-01&end=2027-01-15", 422, "a period is at most 366 days"),
    ("days=367", 400, "days:"),
    ("days=0", 400, "days:"),
    ("start=2027-01-01", 400, "give both 'start' and 'end'"),
    ("start=yesterday&end=2027-01-15", 400, "start:"),
    ("agency=harbor-house", 400, "agency:"),
]


@pytest.mark.parametrize("path", ["/dashboard/figures", "/dashboard/figures.csv"])
async def test_a_bad_period_is_an_error_page_that_says_what_is_wrong(sign_in,
                                                                     path: str) -> None:
    browser = await sign_in("ccr-coordinator")
    for query, status, message in BAD_PERIODS:
        answer, html = await browser.text(f"{path}?{query}")
        assert answer == status and message in text(html), query
        assert "<table class=\"figures\">" not in html and "received" not in html, query


async def test_the_export_link_carries_the_period_shown(sign_in) -> None:
    html = await figures(sign_in, query="start=2027-01-01&end=2027-01-15")
    assert 'href="/dashboard/figures.csv?start=2027-01-01&amp;end=2027-01-15"' in html

"""What every page promises whoever reads it: a Content-Security-Policy that runs no inline
script, no framing, no referrer; no inline script or style in the HTML; nothing in any URL
but opaque ids and filter codes; and an audit event, with the person as actor, for every
view."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest

from .conftest import acknowledge, submit
from .support import Markup, next_event

PAGES = [  # (who, path, status)
    (None, "/signin", 200),
    (None, "/signin?next=%2Fdashboard%2Ffigures", 200),
    ("ccr-coordinator", "/dashboard?agency=harbor-house&sort=age&order=desc&hours=48", 200),
    ("ccr-coordinator", "/dashboard?page=2", 200),
    ("ccr-coordinator", "/dashboard/rows?state=due-soon", 200),
    ("ccr-coordinator", "/dashboard/referrals/{rid}", 200),
    ("ccr-coordinator", "/dashboard/referrals/{rid}?done=nudged", 200),
    ("ccr-coordinator", "/dashboard/figures?start=2027-01-01&end=2027-01-15", 200),
    ("ccr-coordinator", "/dashboard/figures.csv?days=7", 200),
    ("ccr-coordinator", "/dashboard?state=stalled", 400),
    ("ccr-coordinator", "/dashboard/figures?start=2027-01-15&end=2027-01-01", 422),
    ("ccr-coordinator", f"/dashboard/referrals/{'0' * 32}", 404),
    ("harbor-intake", "/dashboard", 200),
    ("harbor-intake", "/dashboard/referrals/{rid}", 200),
    ("harbor-intake", "/dashboard/figures", 403),
    ("bridge-advocate", "/dashboard/referrals/{rid}", 404),
    ("mercy-ehr", "/dashboard", 403),
]
FILTER_KEYS = {"state", "agency", "type", "urgency", "hours", "sort", "order", "page", "days",
               "start", "end"}
CODE = re.compile(r"[a-z0-9][a-z0-9-]*|\d{4}-\d{2}-\d{2}")
SEGMENT = re.compile(r"[a-z][a-z0-9-]*(\.[a-z]+)?|[0-9a-f]{32}")


@dataclass
class View:
    who: str | None
    path: str
    status: int
    headers: dict[str, str]
    body: str


@pytest.fixture
async def views(hub, sign_in, visitor, escalation) -> list[View]:
    """Every page in PAGES, with enough going on for every section to show: 26 open
    referrals (two pages), notices sent, one more acknowledged."""
    sent = [await submit(hub) for _ in range(27)]
    await escalation.run_due()
    await acknowledge(hub, *sent[0])
    browsers = {None: visitor}
    out = []
    for who, path, status in PAGES:
        if who not in browsers:
            browsers[who] = await sign_in(who)
        r = await browsers[who].get(path.format(rid=sent[1][1]))
        assert r.status == status, (who, path)
        out.append(View(who, path, r.status, dict(r.headers), await r.text()))
    return out


async def test_every_page_sends_the_security_headers(views) -> None:
    for v in views:
        policy = v.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, v.path
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert v.headers["X-Frame-Options"] == "DENY", v.path
        assert v.headers["Referrer-Policy"] == "no-referrer", v.path
        assert v.headers["Cache-Control"] == "no-store", v.path


async def test_no_page_has_inline_script_or_style(views) -> None:
    for v in views:
        if v.headers["Content-Type"].startswith("text/csv"):
            continue
        page = Markup(v.body)
        assert all(s.attrs.get("src", "").startswith("/static/") and not s.body.strip()
                   for s in page.scripts), v.path
        assert page.styled == [] and page.style_blocks == 0 and page.handlers == [], v.path


async def test_no_url_on_any_page_holds_more_than_opaque_ids_and_filter_codes(hub,
                                                                             views) -> None:
    people = set(hub.world.members)
    for v in views:
        if v.headers["Content-Type"].startswith("text/csv"):
            continue
        urls = Markup(v.body).urls
        assert urls, v.path  # every page links somewhere
        for url in urls:
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc and url.startswith("/"), url
            assert all(SEGMENT.fullmatch(s) for s in parts.path.strip("/").split("/") if s), url
            for key, value in parse_qsl(parts.query):
                assert key in FILTER_KEYS and CODE.fullmatch(value), url
            assert not any(person in url for person in people), url
    urls = {u for v in views for u in Markup(v.body).urls}  # among them, those that matter:
    assert any(u.startswith("/dashboard?") and "page=2" in u for u in urls)  # paging,
    assert any(u.startswith("/dashboard/events?") for u in urls)  # live updates,
    assert any(re.fullmatch(r"/dashboard/referrals/[0-9a-f]{32}", u) for u in urls)  # a page,
    assert any(u.startswith("/dashboard/figures.csv?") for u in urls)  # the export


async def test_the_pages_script_and_stylesheet_are_the_hubs_own_files(hub, visitor) -> None:
    for path, kind in [("/static/dashboard.js", "javascript"), ("/static/hub.css", "css")]:
        r = await visitor.get(path)
        assert r.status == 200 and kind in r.content_type
        assert r.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(("path", "action"), [
    ("/dashboard?state=due-soon", "dashboard.queue"),
    ("/dashboard/rows", "dashboard.queue"),
    ("/dashboard/referrals/{rid}", "dashboard.referral"),
    ("/dashboard/figures", "dashboard.figures"),
    ("/dashboard/figures.csv", "dashboard.figures.csv"),
])
@pytest.mark.parametrize("person", ["ccr-coordinator", "harbor-director"])
async def test_every_page_view_is_audited_with_the_person_as_actor(
        hub, sign_in, person: str, path: str, action: str) -> None:
    _, rid = await submit(hub)
    browser = await sign_in(person)
    before = await hub.store.audit.length()
    r = await browser.get(path.format(rid=rid))
    assert r.status == 200
    events = (await hub.store.audit.events())[before:]
    assert [(e.actor, e.agency, e.action, e.outcome) for e in events] == [
        (person, hub.world.members[person].agency, action, "ok")]
    assert events[0].referral == (rid if "{rid}" in path else None)


@pytest.mark.parametrize(("person", "path", "action", "outcome"), [
    ("bridge-advocate", "/dashboard/referrals/{rid}", "dashboard.referral", "not_found"),
    ("mercy-ehr", "/dashboard", "dashboard.queue", "not_allowed"),
    ("harbor-intake", "/dashboard/figures", "dashboard.figures", "not_allowed"),
    ("ccr-coordinator", "/dashboard?hours=999", "dashboard.queue", "bad_query"),
])
async def test_a_refused_page_view_is_audited_with_why(hub, sign_in, person: str, path: str,
                                                       action: str, outcome: str) -> None:
    _, rid = await submit(hub)
    browser = await sign_in(person)
    before = await hub.store.audit.length()
    assert (await browser.get(path.format(rid=rid))).status >= 400
    events = (await hub.store.audit.events())[before:]
    assert [(e.actor, e.action, e.outcome) for e in events] == [(person, action, outcome)]


async def test_watching_the_queue_live_is_audited(hub, live) -> None:
    browser = await live("harbor-director")
    r = await browser.get("/dashboard/events")
    await next_event(r)
    await browser.post_form("/signout", {})
    assert (await next_event(r)).name == "signed-out"
    await r.content.read()
    events = [e for e in await hub.store.audit.events() if e.action == "dashboard.live"]
    assert [(e.actor, e.outcome) for e in events] == [("harbor-director", "ok")]


async def test_signing_in_and_out_is_audited_with_the_person_as_actor(hub, sign_in) -> None:
    browser = await sign_in("harbor-intake")
    await browser.post_form("/signout", {})
    events = [(e.actor, e.action) for e in await hub.store.audit.events()
              if e.action.startswith("session.")]
    assert events == [("harbor-intake", "session.sign_in"), ("harbor-intake", "session.sign_out")]


async def test_every_page_reports_its_server_time(hub, sign_in) -> None:
    browser = await sign_in("ccr-coordinator")
    for path in ("/dashboard", "/dashboard/rows", "/dashboard/figures", "/dashboard/figures.csv"):
        timing = (await browser.get(path)).headers["Server-Timing"]
        assert re.fullmatch(r"app;dur=\d+\.\d", timing), timing

"""Who sees what on the dashboard: coordinators see every agency; an agency's admin, point
person and backups see their own agency's queue (anything else is 404, exactly as for a
missing referral); only coordinators and agency admins see figures and nudge; only
coordinators mark a referral reviewed; senders do not use the dashboard."""

from __future__ import annotations

import pytest

from .conftest import submit
from .support import Markup, references, text

HARBOR_STAFF = ["harbor-director", "harbor-intake", "harbor-night"]  # admin, point, backup
PAGES = ["/dashboard", "/dashboard/rows", "/dashboard/figures", "/dashboard/figures.csv"]


@pytest.fixture
async def two(hub) -> tuple[str, str]:
    """A referral to Harbor House and one to Bridge Advocacy."""
    _, harbor = await submit(hub)
    _, bridge = await submit(hub, dest="bridge-advocacy", type_="advocacy-request")
    return harbor, bridge


def agency_choices(html: str) -> list[str]:
    select = html.split('<select name="agency">')[1].split("</select>")[0]
    return [v.split('"')[0] for v in select.split('value="')[1:]]


async def test_a_coordinator_sees_every_agencys_queue(sign_in, two) -> None:
    harbor, bridge = two
    status, html = await (await sign_in("ccr-coordinator")).text("/dashboard")
    assert status == 200 and sorted(references(html)) == sorted([harbor[:8], bridge[:8]])
    assert agency_choices(html)[0] == "" and "bridge-advocacy" in agency_choices(html)


@pytest.mark.parametrize("person", HARBOR_STAFF)
async def test_agency_staff_see_only_their_own_agencys_queue(sign_in, two, person: str) -> None:
    harbor, bridge = two
    browser = await sign_in(person)
    status, html = await browser.text("/dashboard")
    assert status == 200 and references(html) == [harbor[:8]]
    assert ("1 vence dentro de 24 horas" if person == "harbor-night"  # reads Spanish
            else "1 due within 24 hours") in text(html)
    assert agency_choices(html) == ["harbor-house"]
    status, html = await browser.text("/dashboard?agency=bridge-advocacy")
    assert status == 200 and references(html) == []
    status, html = await browser.text("/dashboard/rows")
    assert references(html) == [harbor[:8]]


@pytest.mark.parametrize("person", HARBOR_STAFF)
async def test_agency_staff_see_their_own_agencys_referral_page(sign_in, two,
                                                                person: str) -> None:
    harbor, _ = two
    status, html = await (await sign_in(person)).text(f"/dashboard/referrals/{harbor}")
    title = "Referencia" if person == "harbor-night" else "Referral"  # reads Spanish
    assert status == 200 and f"{title} {harbor[:8]}" in text(html)


async def same_as_missing(browser, rid: str, path: str = "/dashboard/referrals/{rid}",
                          form: dict | None = None) -> None:
    """``rid`` answers exactly as a referral that does not exist."""
    missing = "f" * 32
    answers = []
    for one in (rid, missing):
        if form is None:
            r = await browser.get(path.format(rid=one))
        else:
            r = await browser.post_form(path.format(rid=one), form)
        answers.append((r.status, (await r.text()).replace(one, "RID")))
    assert answers[0][0] == 404 and answers[0] == answers[1]
    assert "no referral RID that you can see" in text(answers[0][1])


@pytest.mark.parametrize("person", ["bridge-advocate", "bridge-lead", "riverside-detective"])
async def test_a_person_of_another_agency_gets_404_for_the_referral_page(
        sign_in, two, person: str) -> None:
    harbor, _ = two
    await same_as_missing(await sign_in(person), harbor)


async def test_the_point_person_of_another_agency_gets_404_for_nudge_and_review(
        hub, sign_in, two) -> None:
    harbor, _ = two
    browser = await sign_in("bridge-advocate")
    before = await hub.store.notices.of_referral(harbor)
    await same_as_missing(browser, harbor, "/dashboard/referrals/{rid}/nudge", {"timer": "ack"})
    await same_as_missing(browser, harbor, "/dashboard/referrals/{rid}/review",
                          {"code": "discussed"})
    assert await hub.store.notices.of_referral(harbor) == before
    assert [e.action for e in await hub.store.referrals.history(harbor)] == ["submitted"]


async def test_the_admin_of_another_agency_gets_404_for_nudge(hub, sign_in, two) -> None:
    harbor, _ = two
    await same_as_missing(await sign_in("bridge-lead"), harbor,
                          "/dashboard/referrals/{rid}/nudge", {"timer": "ack"})
    assert await hub.store.notices.of_referral(harbor) == []


@pytest.mark.parametrize("page", [*PAGES, "/dashboard/referrals/{rid}"])
async def test_a_sender_gets_403_on_the_dashboard(sign_in, two, page: str) -> None:
    harbor, _ = two
    status, html = await (await sign_in("mercy-ehr")).text(page.format(rid=harbor))
    assert status == 403 and "Not allowed" in text(html)


async def test_a_sender_gets_403_for_the_live_updates(sign_in) -> None:
    r = await (await sign_in("mercy-ehr")).get("/dashboard/events")
    assert r.status == 403 and r.content_type == "text/html"


@pytest.mark.parametrize("person", ["harbor-intake", "harbor-night"])
@pytest.mark.parametrize("page", ["/dashboard/figures", "/dashboard/figures.csv"])
async def test_point_persons_and_backups_get_403_on_figures(sign_in, person: str,
                                                            page: str) -> None:
    status, html = await (await sign_in(person)).text(page)
    assert status == 403 and "figures are for coordinators and agency admins" in text(html)


async def test_the_figures_link_shows_only_to_those_who_may_see_figures(sign_in) -> None:
    for person, shown in [("ccr-coordinator", True), ("harbor-director", True),
                          ("harbor-intake", False)]:
        _, html = await (await sign_in(person)).text("/dashboard")
        assert ("/dashboard/figures" in Markup(html).urls) is shown, person


@pytest.mark.parametrize("person", ["ccr-coordinator", "harbor-director"])
async def test_coordinators_and_agency_admins_can_nudge(hub, sign_in, two,
                                                        person: str) -> None:
    harbor, _ = two
    browser = await sign_in(person)
    _, html = await browser.text(f"/dashboard/referrals/{harbor}")
    assert f'action="/dashboard/referrals/{harbor}/nudge"' in html
    r = await browser.post_form(f"/dashboard/referrals/{harbor}/nudge", {"timer": "ack"})
    assert r.status == 303 and r.headers["Location"].endswith("?done=nudged")
    assert len(await hub.store.notices.of_referral(harbor)) == 1


@pytest.mark.parametrize("person", ["harbor-intake", "harbor-night"])
async def test_point_persons_and_backups_cannot_nudge(hub, sign_in, two, person: str) -> None:
    harbor, _ = two
    browser = await sign_in(person)
    _, html = await browser.text(f"/dashboard/referrals/{harbor}")
    assert "/nudge" not in html
    r = await browser.post_form(f"/dashboard/referrals/{harbor}/nudge", {"timer": "ack"})
    assert r.status == 403 and "coordinators and agency admins nudge" in text(await r.text())
    assert await hub.store.notices.of_referral(harbor) == []


async def test_only_coordinators_can_mark_a_referral_reviewed(hub, sign_in, two) -> None:
    harbor, _ = two
    for person in HARBOR_STAFF:
        browser = await sign_in(person)
        _, html = await browser.text(f"/dashboard/referrals/{harbor}")
        assert "/review" not in html and "Team meeting review" not in text(html)
        r = await browser.post_form(f"/dashboard/referrals/{harbor}/review",
                                    {"code": "discussed"})
        assert r.status == 403, person
        assert "coordinators mark referrals reviewed" in text(await r.text())
    assert [e.action for e in await hub.store.referrals.history(harbor)] == ["submitted"]
    browser = await sign_in("ccr-coordinator")
    r = await browser.post_form(f"/dashboard/referrals/{harbor}/review", {"code": "discussed"})
    assert r.status == 303
    assert [e.action for e in await hub.store.referrals.history(harbor)][-1] == "reviewed"

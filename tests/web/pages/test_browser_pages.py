"""The browser's device, inbox, thread and send pages as the server serves them: who may
open which, the Content-Security-Policy that lets only them compile WebAssembly, the notice
link that brings each person to the right page, and a send form the browser cannot submit
by itself (its fields have no names). The pages' script is tested in
test_browser_story.py (Chromium) and web/test/ (Node)."""

from __future__ import annotations

import re

import pytest

from .conftest import acknowledge, submit

WASM = "'wasm-unsafe-eval'"

SENDER_ONLY = "mercy-ehr"  # the hospital's nurses are also its point person and backup


async def test_only_the_pages_that_seal_and_open_may_compile_webassembly(hub, sign_in) -> None:
    _, rid = await submit(hub)
    point = await sign_in("harbor-intake")
    for path in ("/device", "/send", f"/inbox/{rid}", f"/inbox/{rid}/case"):
        r = await point.get(path)
        assert r.status == 200, path
        policy = r.headers["Content-Security-Policy"]
        assert f"script-src 'self' {WASM};" in policy and "unsafe-inline" not in policy
        assert '<meta name="csrf" content="' in await r.text()
        assert '<script type="module" src="/static/app.js"></script>' in await r.text()
    for path in ("/inbox", "/sent", "/dashboard"):
        r = await point.get(path)
        assert r.status == 200, path
        assert WASM not in r.headers["Content-Security-Policy"], path


async def test_the_inbox_lists_the_agencys_referrals_with_their_deadlines(hub, sign_in) -> None:
    _, rid = await submit(hub)
    status, html = await (await sign_in("harbor-night")).text("/inbox")
    assert status == 200
    row = re.search(rf'<tr data-referral="{rid}"[^>]*>(.*?)</tr>', html, re.S).group(1)
    assert f'href="/inbox/{rid}"' in row and "esperando acuse de recibo" in row  # Spanish
    assert "acuse de recibo:" in row  # the night backup reads the hub in Spanish
    status, html = await (await sign_in("mercy-nurse-1")).text("/sent")
    assert status == 200 and f'data-referral="{rid}"' in html
    status, html = await (await sign_in("bridge-advocate")).text("/inbox")
    assert status == 200 and rid not in html


async def test_each_page_is_for_the_people_who_use_it(hub, sign_in) -> None:
    _, rid = await submit(hub)
    nurse, coordinator = await sign_in(SENDER_ONLY), await sign_in("ccr-coordinator")
    assert (await nurse.get("/inbox")).status == 403  # a sender only: no inbox
    assert (await coordinator.get("/device")).status == 403
    assert (await coordinator.get("/send")).status == 403
    assert (await coordinator.get(f"/inbox/{rid}")).status == 403  # metadata: the dashboard
    assert (await (await sign_in("bridge-advocate")).get(f"/inbox/{rid}")).status == 404
    assert (await coordinator.get(f"/inbox/{rid}/case")).status == 403  # no content, ever
    assert (await (await sign_in("bridge-advocate")).get(f"/inbox/{rid}/case")).status == 404
    status, html = await nurse.text(f"/inbox/{rid}")
    assert status == 200 and 'data-side="sending"' in html and 'id="cancel-form"' in html


async def test_the_notice_link_opens_the_referral_where_each_person_works(hub, sign_in) -> None:
    _, rid = await submit(hub)
    expected = {"harbor-intake": f"/inbox/{rid}", "harbor-director": f"/inbox/{rid}",
                "mercy-nurse-1": f"/inbox/{rid}", "ccr-coordinator": f"/dashboard/referrals/{rid}",
                "mercy-admin": f"/dashboard/referrals/{rid}"}
    for person, target in expected.items():
        r = await (await sign_in(person)).get(f"/r/{rid}")
        assert (r.status, r.headers["Location"]) == (303, target), person
    r = await hub.client.get(f"/r/{rid}", allow_redirects=False)
    assert r.headers["Location"] == f"/signin?next=/r/{rid}"


async def test_the_send_form_names_no_field_so_the_browser_never_submits_one(hub, sign_in) -> None:
    status, html = await (await sign_in("mercy-nurse-1")).text("/send")
    assert status == 200
    form = html[html.index('<form id="send-form"'):html.index("</form>", html.index("send-form"))]
    assert 'data-path="survivor.name"' in form and 'data-path="safe_contact.channels"' in form
    assert " name=" not in form and "action=" not in form
    assert 'value="harbor-house" data-types="discharge-handoff shelter-request"' in form


@pytest.mark.parametrize(("person", "start"), [
    ("coordinator", "/dashboard"), ("agency_admin", "/dashboard"),
    ("point_person", "/inbox"), ("sender", "/sent")])
async def test_each_person_starts_on_their_own_page_after_signing_in(hub, sign_in, person,
                                                                     start) -> None:
    agency = "mercy-hospital" if person == "sender" else (
        "ccr-coordination" if person == "coordinator" else "harbor-house")
    member = hub.world.members[SENDER_ONLY] if person == "sender" else \
        hub.world.first(agency, person)
    browser = await sign_in(member.person)
    r = await browser.get("/")
    assert (r.status, r.headers["Location"]) == (303, start)
    r = await browser.client.get("/", allow_redirects=True)
    assert r.status == 200 and r.url.path == start


async def test_the_inbox_puts_what_is_due_first_and_urgency_breaks_ties(hub, sign_in) -> None:
    """Not newest first: the emergent referral with half an hour left leads, one with
    nothing owed comes last; two due at the same moment go by urgency."""
    from hub.crypto import Urgency

    from .conftest import act

    _, routine = await submit(hub, urgency=Urgency.ROUTINE)
    _, urgent = await submit(hub, urgency=Urgency.URGENT)
    hub.clock.advance(90 * 60)  # the urgent one is due in 30 minutes, as is the emergent
    _, emergent = await submit(hub, urgency=Urgency.EMERGENT)
    done = await submit(hub, urgency=Urgency.URGENT)
    await acknowledge(hub, *done)
    await act(hub, done[1], "reject", {"reason": "capacity"})
    status, html = await (await sign_in("harbor-intake")).text("/inbox")
    assert status == 200
    shown = re.findall(r'<tr data-referral="([0-9a-f]{32})"', html)
    assert shown == [emergent, urgent, routine, done[1]]

"""Live updates: an open queue page hears (server-sent events) when a referral is
acknowledged or falls past its deadline, and when its session ends; the rows it then
fetches are the same table the page shows."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import acknowledge, submit
from .support import next_event, queue_rows, references

MINUTE, HOUR = 60, 3600


async def open_stream(browser, query: str = ""):
    r = await browser.get(f"/dashboard/events?{query}",
                          headers={"Accept": "text/event-stream"})
    assert r.status == 200 and r.content_type == "text/event-stream"
    return r


async def no_event(stream, wait: float = 0.3) -> None:
    with pytest.raises(asyncio.TimeoutError):
        await next_event(stream, timeout=wait)


async def test_the_stream_starts_with_the_queue_as_it_is(hub, live) -> None:
    await submit(hub)
    stream = await open_stream(await live("ccr-coordinator"))
    first = await next_event(stream)
    assert first.name == "queue" and first.data == {"past": 0, "due": 1, "stalled": 0,
                                                    "claimed": 0}
    await no_event(stream)  # nothing changed, nothing said


async def test_an_acknowledgement_sends_a_queue_event(hub, live) -> None:
    sealed, rid = await submit(hub)
    stream = await open_stream(await live("ccr-coordinator"))
    await next_event(stream)
    await acknowledge(hub, sealed, rid)
    event = await next_event(stream)
    assert event.name == "queue" and event.data["due"] == 0


async def test_a_claim_from_a_notice_and_its_pause_ending_send_queue_events(
        hub, live, escalation) -> None:
    _, rid = await submit(hub)
    await escalation.run_due()
    hub.clock.advance(HOUR)  # the backups' rung: the night advocate's SMS with its code
    await escalation.run_due()
    (text,) = [n for n in escalation.sms.sent if n.to == "+15555550121"]
    stream = await open_stream(await live("harbor-intake"))
    assert (await next_event(stream)).data["claimed"] == 0
    code = text.text.split("responda ")[1][:6]
    assert (await hub.services.claims.by_reply("+15555550121", code)).outcome == "claimed"
    assert (await next_event(stream)).data["claimed"] == 1
    hub.clock.advance(15 * MINUTE)
    assert (await next_event(stream)).data["claimed"] == 0


async def test_agency_staff_hear_when_their_referral_is_acknowledged(hub, live) -> None:
    sealed, rid = await submit(hub)
    stream = await open_stream(await live("harbor-intake"))
    assert (await next_event(stream)).name == "queue"
    await no_event(stream, 0.2)
    await acknowledge(hub, sealed, rid)
    assert (await next_event(stream)).name == "queue"


async def test_a_deadline_passing_sends_a_queue_event(hub, live) -> None:
    await submit(hub)  # due in 2 hours
    hub.clock.advance(2 * HOUR - 5 * MINUTE)
    stream = await open_stream(await live("ccr-coordinator"))
    assert (await next_event(stream)).data == {"past": 0, "due": 1, "stalled": 0, "claimed": 0}
    hub.clock.advance(5 * MINUTE)
    event = await next_event(stream)
    assert event.name == "queue" and event.data == {"past": 1, "due": 1, "stalled": 0,
                                                    "claimed": 0}


async def test_a_referral_coming_due_within_the_pages_hours_sends_a_queue_event(
        hub, live) -> None:
    await submit(hub)  # due in 2 hours
    hub.clock.advance(58 * MINUTE)
    stream = await open_stream(await live("ccr-coordinator"), "hours=1")
    assert (await next_event(stream)).data["due"] == 0
    hub.clock.advance(3 * MINUTE)
    assert (await next_event(stream)).data["due"] == 1


async def test_signing_out_ends_the_stream_with_signed_out(live) -> None:
    browser = await live("harbor-director")
    stream = await open_stream(browser)
    await next_event(stream)
    assert (await browser.post_form("/signout", {})).status == 303
    assert (await next_event(stream)).name == "signed-out"
    assert await asyncio.wait_for(stream.content.read(), 2) == b""  # and it ends


async def test_an_open_stream_does_not_keep_an_idle_session_alive(hub, live) -> None:
    stream = await open_stream(await live("harbor-director"))
    await next_event(stream)
    hub.clock.advance(15 * MINUTE + 1)
    assert (await next_event(stream)).name == "signed-out"


async def test_revoking_the_token_ends_the_stream(hub, live) -> None:
    stream = await open_stream(await live("harbor-director"))
    await next_event(stream)
    token_id = hub.world.members["harbor-director"].token.split("_")[1]
    await hub.services.tokens.revoke(token_id)
    assert (await next_event(stream)).name == "signed-out"


async def test_the_stream_tells_an_agency_nothing_about_other_agencies_queues(hub,
                                                                              live) -> None:
    await submit(hub, dest="bridge-advocacy", type_="advocacy-request")
    hub.clock.advance(2 * HOUR)  # Bridge's referral is past its deadline
    stream = await open_stream(await live("harbor-intake"))
    first = await next_event(stream)
    assert first.name == "queue" and first.data.get("past", 0) == 0


async def test_another_agencys_queue_changing_sends_an_agency_no_event(hub, live) -> None:
    browser = await live("harbor-intake")
    stream = await open_stream(browser)
    assert (await next_event(stream)).data == {"past": 0, "due": 0, "claimed": 0}
    await submit(hub, dest="bridge-advocacy", type_="advocacy-request")
    await no_event(stream)  # Bridge's referral came due: nothing of it reaches Harbor House
    for _ in range(12):  # two hours pass, Bridge's deadline with them; Harbor stays active
        hub.clock.advance(10 * MINUTE)
        assert (await browser.get("/dashboard")).status == 200
    assert await hub.store.oversight.counts(hub.clock.now(), hub.clock.now()) >= (1, 1, 0)
    await no_event(stream)  # ...nor its deadline passing
    await submit(hub)  # but Harbor House's own does
    assert (await next_event(stream)).data == {"past": 0, "due": 1, "claimed": 0}


async def test_the_rows_fetched_on_an_event_are_the_table_the_page_shows(hub,
                                                                         sign_in) -> None:
    _, harbor = await submit(hub)
    await submit(hub, dest="bridge-advocacy", type_="advocacy-request")
    browser = await sign_in("ccr-coordinator")
    query = "agency=harbor-house&sort=age"
    _, page = await browser.text(f"/dashboard?{query}")
    assert f'data-rows="/dashboard/rows?{query.replace("&", "&amp;")}"' in page
    status, rows = await browser.text(f"/dashboard/rows?{query}")
    assert status == 200 and "<html" not in rows and "<form" not in rows
    assert references(rows) == references(page) == [harbor[:8]]
    assert [r.cells for r in queue_rows(rows)] == [r.cells for r in queue_rows(page)]

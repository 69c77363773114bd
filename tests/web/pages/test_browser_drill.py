"""A drill in real browsers: the coordinator starts the 2 a.m. scenario on the dashboard,
the drill sender device (the coordinator's CLI, here the SDK) seals its referral; the
shelter's point person claims it from the SMS (her email bounced), and on a phone-sized
page sees the DRILL banner, opens it, acknowledges and replies (a real-looking reply is
refused first); the debrief page shows each step's time; the figures are unchanged; ending
the drill leaves nothing of it in Redis but the audit log's content-free entries."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import async_playwright, expect

from hub.client import Agent, HubApi
from hub.client.drills import seal_steps
from hub.services.figures import Period
from tests.support.redis_scan import dump_values

from .phones import PHONE, check_page
from .support import Outbox
from .test_browser_story import (  # noqa: F401 (live and bundle are fixtures)
    ARGS,
    CHROMIUM,
    POINT,
    Live,
    Person,
    bundle,
    live,
)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(),
                                 reason="no /usr/bin/chromium (apt-get install chromium)")]
COORDINATOR, NUMBER = "ccr-coordinator", "+15555550120"


async def run_engine(live: Live, engine) -> None:  # noqa: F811
    """What the ticker and workers do, now: fire due rungs, send due notices."""
    store, now = live.store, live.services.clock.now()
    for _ in range(10):
        timers = await store.timers.claim(store.keys.deadlines(), now, 60, 100)
        notices = await store.timers.claim(store.keys.deliveries(), now, 60, 100)
        if not timers and not notices:
            return
        for member, _ in timers:
            await engine.fire(member)
        for member, _ in notices:
            await engine.deliver(member)


async def seal_on_the_drill_sender(live: Live, did: str) -> str:  # noqa: F811
    """`hub drill start discharge-2am --drill DID`: the coordinator's CLI seals the step on
    its drill sender device (a device of the hospital's roster) and posts it."""
    w = live.world
    api = HubApi(live.url, w.members[COORDINATOR].token)
    try:
        agent = Agent(api, w.members["mercy-nurse-1"].sealer, w.trust())
        [sent] = await seal_steps(lambda agency: agent, await api.drill(did))
    finally:
        await api.close()
    return sent.id


async def test_a_drill_is_run_claimed_answered_debriefed_and_leaves_nothing(
        live: Live) -> None:  # noqa: F811
    coordinator_who = live.world.members[COORDINATOR].principal()
    figures_before = await live.services.figures.figures(coordinator_who, Period())
    sms = Outbox("sms")
    bounced = Outbox("email", refuse={"intake@harbor.example.org"})  # so the SMS goes next
    engine = live.services.engine({"email": bounced, "sms": sms}, live.url)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            point = await Person.sign_in(browser, live, POINT)
            await live.approve(await point.set_up_device())
            await point.pin_roots()
            page = await (await browser.new_context(accept_downloads=True)).new_page()
            page.on("pageerror", lambda e: live.complaints.append(f"{page.url}: {e}"))
            await page.goto(f"{live.url}/signin?next=/dashboard/drills")
            await page.fill("#token", live.world.members[COORDINATOR].token)
            await page.click("button[type=submit].primary")
            await expect(page).to_have_url(f"{live.url}/dashboard/drills")
            live.problems += await check_page(page, "drills", shoot=())
            await page.click('[data-scenario="discharge-2am"] button[type=submit]')
            await expect(page).to_have_url(re.compile(r"/dashboard/drills/[0-9a-f]{16}$"))
            did = page.url.rsplit("/", 1)[1]
            rid = await seal_on_the_drill_sender(live, did)

            await run_engine(live, engine)
            [notice] = [n for n in sms.sent if n.to == NUMBER]
            assert notice.text.startswith("DRILL: ref ")
            code = notice.text.split("Reply ")[1][:6]
            assert (await live.services.claims.by_reply(NUMBER, code)).outcome == "claimed"

            phone = point.page
            await phone.set_viewport_size(PHONE)
            await phone.goto(f"{live.url}/inbox")
            await expect(phone.locator(f'tr[data-referral="{rid}"] .drill-tag')).to_have_text(
                "DRILL")
            await point.open_thread("inbox", rid)
            await expect(phone.locator("#drill-banner")).to_be_visible()
            await expect(phone.locator("#content")).to_have_attribute("data-opened", "yes")
            await expect(phone.locator("#content")).to_contain_text("DRILL Practice Person")
            await phone.click("#act-acknowledge")
            await expect(phone.locator("#status-text")).to_have_attribute("data-status",
                                                                          "received")
            await phone.fill("#reply-text", "Bed ready; call her on 312-867-5309")
            await phone.click("#reply-form button[type=submit]")
            await expect(phone.locator("#thread-status")).to_contain_text("real phone number")
            await phone.fill("#reply-text", "DRILL: bed ready; ring 555-0100 from the bay")
            await phone.click("#reply-form button[type=submit]")
            await expect(phone.locator("#replies li")).to_have_count(1)
            live.problems += await check_page(phone, "drill-referral", shoot=("phone",))

            await page.goto(f"{live.url}/dashboard/drills/{did}")
            rows = page.locator("table.debrief tr[data-what]")
            for what in ("sent", "notified", "claimed", "opened", "acknowledged", "replied"):
                await expect(rows.and_(page.locator(f'[data-what="{what}"]')).first
                             ).to_be_visible()
            acknowledged = page.locator('tr[data-what="acknowledged"] .after-sent')
            await expect(acknowledged).to_have_text(re.compile(r"\d"))
            live.problems += await check_page(page, "drill-debrief", shoot=("phone",))
            assert await live.services.figures.figures(coordinator_who, Period()) \
                == figures_before

            await page.click("form[action$='/end'] button[type=submit]")
            await expect(page.locator(".done")).to_contain_text("deleted")
        finally:
            await browser.close()
    await live.services.auditlog.seal()
    values = await dump_values(live.store.redis, live.store.keys.prefix)
    left = [k for k, v in values.items()
            if not k.endswith((b":audit", b":audit:log"))
            and any(i.encode() in k + v for i in (rid, did))]
    assert left == []
    assert (await live.services.auditlog.verify()).ok
    assert not live.complaints, live.complaints
    assert not live.problems, "\n".join(live.problems)

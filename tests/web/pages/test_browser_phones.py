"""Every page the hub serves, walked in a real browser at a phone's width (390 × 844) and a
laptop's (1280 × 800), each as the person who uses it: no page scrolls sideways, each inbox
row's deadline is on screen, axe-core finds no serious or critical accessibility violation,
and the screenshots are saved (docs/screenshots/ when refreshing the README's)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, async_playwright, expect

from hub.crypto import Urgency

from .conftest import submit
from .phones import LAPTOP, PHONE, check_page, off_screen
from .test_browser import (  # noqa: F401 (served is a fixture)
    ARGS,
    CHROMIUM,
    MINUTE,
    Served,
    served,
    this_morning,
    watch_console,
    yesterday,
)

PHONE_ONLY = ("phone",)  # the laptop's come from test_browser.py and test_browser_story.py
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="no /usr/bin/chromium (apt-get install chromium)")


async def signed_in(browser, served: Served, person: str, start: str,  # noqa: F811
                    complaints: list[str]) -> Page:
    page = await (await browser.new_context(viewport=LAPTOP)).new_page()
    watch_console(page, complaints)
    await page.goto(f"{served.url}/signin?next={start}")
    await page.fill("#token", served.hub.world.members[person].token)
    await page.click("button[type=submit].primary")
    await expect(page).to_have_url(f"{served.url}{start}")
    return page


async def test_every_page_fits_a_phone_and_passes_axe_at_both_widths(
        served: Served) -> None:  # noqa: F811
    await yesterday(served)
    late = await this_morning(served)
    await served.escalation.advance(6 * MINUTE)  # past its deadline: the coordinators' rung
    await submit(served.hub, urgency=Urgency.ROUTINE)
    complaints: list[str] = []
    problems: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = await (await browser.new_context(viewport=LAPTOP)).new_page()
            await page.goto(f"{served.url}/signin")
            problems += await check_page(page, "signin", shoot=())
            await page.fill("#token", "ccr_not-a-token")
            await page.click("button[type=submit].primary")
            await expect(page.locator(".alert")).to_be_visible()
            problems += await check_page(page, "signin-refused", shoot=())

            coordinator = await signed_in(browser, served, "ccr-coordinator", "/dashboard",
                                          complaints)
            await expect(coordinator.locator("table.queue tr[data-referral]")).not_to_have_count(0)
            problems += await check_page(coordinator, "dashboard-queue", shoot=PHONE_ONLY)
            await coordinator.goto(f"{served.url}/dashboard/referrals/{late[1]}")
            problems += await check_page(coordinator, "dashboard-referral", shoot=PHONE_ONLY)
            await coordinator.goto(f"{served.url}/dashboard/figures")
            problems += await check_page(coordinator, "dashboard-figures", shoot=PHONE_ONLY)
            await coordinator.goto(f"{served.url}/dashboard/referrals/{'0' * 32}")
            problems += await check_page(coordinator, "not-found", shoot=())

            point = await signed_in(browser, served, "harbor-intake", "/inbox", complaints)
            rows = point.locator("#worklist tr[data-referral]")
            await expect(rows).to_have_count(4)  # two done yesterday, two this morning
            problems += await check_page(point, "browser-inbox", shoot=PHONE_ONLY)
            await point.set_viewport_size(PHONE)
            problems += [f"inbox at phone: deadline off screen: {d}" for d in
                         await off_screen(point, "#worklist tr[data-referral] td.deadline")]
            await expect(point.locator("#worklist td.deadline")).to_have_count(4)
            await point.set_viewport_size(LAPTOP)
            await point.goto(f"{served.url}/inbox/{late[1]}")
            await expect(point.locator("#unlock-status")).to_contain_text("not set up")
            problems += await check_page(point, "browser-thread-no-device", shoot=())
            await point.goto(f"{served.url}/device")
            await expect(point.locator("#setup")).to_be_visible()
            await expect(point.locator("#pin-table tr[data-agency]")).not_to_have_count(0)
            problems += await check_page(point, "browser-device-new", shoot=())
            await point.set_viewport_size(PHONE)
            problems += [f"device at phone: off screen: {d!r}" for d in
                         await off_screen(point, "#pin-table input, #pin-table button")]
            await point.set_viewport_size(LAPTOP)
            await point.goto(f"{served.url}/send")
            problems += await check_page(point, "browser-send-locked", shoot=())

            nurse = await signed_in(browser, served, "mercy-ehr", "/sent", complaints)
            problems += await check_page(nurse, "browser-sent", shoot=PHONE_ONLY)
        finally:
            await browser.close()
    assert not problems, "\n".join(problems)
    assert [c for c in complaints if " 404 " not in f" {c} "] == []

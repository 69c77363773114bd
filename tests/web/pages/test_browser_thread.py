"""A referral's page in the browser, as a point person meets it: one sealed before their
browser's device was approved says so (and what to do), not that it may have been altered;
the unlock prompt leaves once the device is unlocked; no action is offered on what the
device cannot read; and only the actions valid now are offered, refreshed after each one,
also when another device moved the referral meanwhile. The status reads as hub/display.py
names it. Each state is checked at 390 and 1280 px (no sideways scrolling, axe-core)."""

from __future__ import annotations

from playwright.async_api import Page, async_playwright, expect

from hub.client.contents import DischargeHandoff
from hub.crypto import short_fingerprint
from hub.display import STATUS_NAMES
from hub.models import Consent

from .phones import check_page
from .test_browser_story import (  # noqa: F401 (bundle and live are fixtures)
    ARGS,
    CHROMIUM,
    HARBOR,
    MERCY,
    NURSE,
    POINT,
    Live,
    Person,
    bundle,
    live,
    pytestmark,
)

__all__ = ["pytestmark"]

ACTIONS = ("#act-acknowledge", "#act-accept", "#reject-form", "#act-progress",
           "#complete-form")


async def sdk_referral(live: Live) -> str:  # noqa: F811
    """A discharge handoff sealed by the nurse's SDK device to Harbor House's devices of
    the moment (as the world's current roster lists them)."""
    w = live.world
    handoff = DischargeHandoff(
        survivor={"name": "Sam Example"}, needs=("counseling",), discharge_at="2026-12-01T09:00Z",
        safe_contact={"channels": ("email",), "email": "safe@example.org", "voicemail_ok": True},
        consent={"method": "verbal-documented", "given_at": "2026-11-30T18:00Z",
                 "documented_by": NURSE, "scope": "counseling intake"})
    sealed = w.seal_referral(w.members[NURSE], HARBOR, "discharge-handoff", handoff.to_bytes(),
                             now=int(live.services.clock.now()))
    seen, _ = await live.services.referrals.submit(
        w.members[NURSE].principal(), sealed.envelope,
        Consent.model_validate(w.consent(HARBOR, "discharge-handoff")))
    return seen.referral.id


async def offered(page: Page) -> list[str]:
    """The actions the page shows now."""
    return [a for a in ACTIONS if await page.locator(a).is_visible()]


async def act_by_sdk(live: Live, rid: str, action: str) -> None:  # noqa: F811
    """Another device of Harbor House moves the referral on (through the services)."""
    point = live.world.members[POINT].principal()
    await getattr(live.services.lifecycle, action)(point, rid)


async def test_a_referral_page_offers_what_this_device_can_do_now(live: Live) -> None:  # noqa: F811
    problems: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            point = await Person.sign_in(browser, live, POINT)
            request = await point.set_up_device()
            for agency in (MERCY, HARBOR):
                await point.pin(agency, short_fingerprint(live.world.roots[agency].public))
                await expect(point.page.locator(f'tr[data-agency="{agency}"] .pinned')
                             ).to_be_visible()
            before = await sdk_referral(live)  # sealed while the browser waits for approval
            await live.approve(request)
            after = await sdk_referral(live)
            page = point.page

            await page.goto(f"{live.url}/inbox/{before}")
            await expect(page.locator("#unlock")).to_be_visible()
            problems += await check_page(page, "browser-referral-locked", shoot=())
            await point.unlock()
            content = page.locator("#content")
            await expect(content).to_contain_text("sealed before this device was approved")
            await expect(content).to_contain_text("colleague")
            assert "altered" not in await page.locator("main").inner_text()
            await expect(page.locator("#unlock")).to_be_hidden()
            await expect(content).not_to_contain_text("Unlock your device")
            await expect(page.locator("#actions")).to_be_hidden()
            assert await offered(page) == []
            problems += await check_page(page, "browser-referral-unreadable", shoot=())

            await page.goto(f"{live.url}/inbox/{after}")
            await point.unlock()
            await expect(content).to_have_attribute("data-opened", "yes")
            await expect(page.locator("#unlock")).to_be_hidden()
            await expect(page.locator("#status-text")).to_have_text(STATUS_NAMES["requested"])
            assert await offered(page) == ["#act-acknowledge"]
            await page.click("#act-acknowledge")
            await expect(page.locator("#status-text")).to_have_text(STATUS_NAMES["received"])
            assert await offered(page) == ["#act-accept", "#reject-form"]
            problems += await check_page(page, "browser-referral-acknowledged", shoot=())

            await act_by_sdk(live, after, "accept")  # meanwhile, on another device
            await page.click("#act-accept")  # the page still offered it: refused (409)
            await expect(page.locator("#status-text")).to_have_text(STATUS_NAMES["accepted"])
            await expect(page.locator("#thread-status")).to_contain_text("already")
            assert await offered(page) == ["#act-progress", "#complete-form"]
            await page.click("#act-progress")
            await expect(page.locator("#status-text")).to_have_text(STATUS_NAMES["in-progress"])
            assert await offered(page) == ["#complete-form"]
            await page.click("#complete-form button[type=submit]")
            await expect(page.locator("#status-text")).to_have_text(STATUS_NAMES["completed"])
            assert await offered(page) == []
            await expect(page.locator('#actions [data-when="closed"]')).to_be_visible()
        finally:
            await browser.close()
    assert not problems, "\n".join(problems)
    assert not [c for c in live.complaints if "409" not in c], live.complaints

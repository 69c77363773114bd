"""The coverage-gap flag on the queue page, in a real browser (Debian's headless Chromium,
driven by Playwright): when no one is on duty at a scheduled agency in the next 7 days,
the coordinator sees it above the queue in the agency's own time zone, as does that
agency's admin; an agency without a gap sees no flag, and the page trips no
Content-Security-Policy."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.async_api import async_playwright, expect

from hub.build import build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.sandbox import install_world, make_world
from hub.services.principal import Principal
from hub.web.app import create_app
from tests.conftest import EXAMPLE

from .support import screenshots
from .test_browser import ARGS, CHROMIUM, LAPTOP, watch_console

SHOTS = screenshots()

START = 1_800_000_000  # Fri 15 Jan 2027, 02:00 in Chicago
FLAG = ("Bridge Advocacy Center: no one on duty for discharge-handoff, advocacy-request, "
        "legal-advocacy, Sat 16 Jan 02:00–06:00 CST")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="no /usr/bin/chromium (apt-get install chromium)")


@dataclass
class Served:
    url: str
    tokens: dict[str, str]


@pytest.fixture
async def served(aiohttp_server, store, redis_url: str) -> Served:
    """The example hub on 127.0.0.1, where both of Bridge's advocates are away one night."""
    clock = FakeClock(START)
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE)
    services = build_services(settings, store=store, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    admin = world.members["bridge-lead"]
    who = Principal(admin.person, admin.agency, admin.roles, "t")
    for person in ("bridge-advocate", "bridge-lead"):
        await services.schedules.add_away(who, person, "2027-01-16T02:00", "2027-01-16T06:00")
    server = await aiohttp_server(create_app(settings, services), host="127.0.0.1")
    return Served(str(server.make_url("")).rstrip("/"),
                  {p: m.token for p, m in world.members.items()})


async def queue_as(page, served: Served, person: str) -> None:
    await page.goto(f"{served.url}/dashboard")
    await page.fill("#token", served.tokens[person])
    await page.click("button[type=submit].primary")
    await expect(page.locator("h1")).to_have_text("Stalled referrals")


async def test_the_queue_flags_the_coming_weeks_gap_for_those_who_run_it(served) -> None:
    complaints: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for person, flagged in (("ccr-coordinator", True), ("bridge-lead", True),
                                    ("harbor-director", False)):
                context = await browser.new_context(viewport=LAPTOP)
                page = await context.new_page()
                watch_console(page, complaints)
                await queue_as(page, served, person)
                gaps = page.locator("section.coverage-gaps")
                if flagged:
                    await expect(gaps).to_be_visible()
                    await expect(gaps.locator("h2")).to_have_text(
                        "Coverage gaps in the next 7 days")
                    await expect(gaps.locator("li")).to_have_text([FLAG])
                    if person == "ccr-coordinator":
                        await page.screenshot(path=str(SHOTS / "queue-coverage-gap.png"))
                else:
                    await expect(gaps).to_have_count(0)
                await context.close()
        finally:
            await browser.close()
    assert complaints == []

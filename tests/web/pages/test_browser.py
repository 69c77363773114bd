"""The coordinator's dashboard in a real browser (Debian's headless Chromium, driven by
Playwright): sign in with a personal token, watch a referral fall past its acknowledgement
deadline into the stalled queue and leave it when the point person acknowledges, all
without reloading the page (server-sent events), export the figures as CSV, and save the
screenshots the README shows (docs/screenshots/). The hub is a real HTTP server on
127.0.0.1 over a fake clock; the escalation engine fires due rungs the way a worker would,
delivering to in-memory channels. No page may trip the Content-Security-Policy."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import ConsoleMessage, Page, async_playwright, expect

from hub.build import build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.crypto import Urgency
from hub.sandbox import install_world, make_world
from hub.services.figures import CSV_COLUMNS
from hub.web.app import create_app
from tests.conftest import EXAMPLE, Hub

from .conftest import acknowledge, act, submit
from .support import Escalation, Outbox, screenshots

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LAPTOP, TABLET = {"width": 1280, "height": 800}, {"width": 820, "height": 1180}
SHOTS = screenshots()
START = 1_800_018_000  # a Friday, 07:00 in Chicago (the shelter's time zone)
MINUTE, HOUR = 60, 3600
COORDINATOR = "ccr-coordinator"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="no /usr/bin/chromium (apt-get install chromium)")


@dataclass
class Served:
    hub: Hub
    url: str  # where the browser finds it
    escalation: Escalation


@pytest.fixture
async def served(aiohttp_server, aiohttp_client, store, redis_url: str) -> Served:
    """The hub as the `hub` fixture builds it, with live updates checked every 0.2 s, served
    on a free port of 127.0.0.1; and the escalation engine, delivering to channels that
    accept every notice."""
    clock = FakeClock(START)
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE, max_body_bytes=2 * 1024 * 1024,
                        live_every=0.2)
    services = build_services(settings, store=store, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    server = await aiohttp_server(create_app(settings, services), host="127.0.0.1")
    hub = Hub(await aiohttp_client(server), services, world, store, clock)
    url = str(server.make_url("")).rstrip("/")
    email, sms = Outbox("email"), Outbox("sms")
    return Served(hub, url, Escalation(hub, services.engine({"email": email, "sms": sms}, url),
                                       email, sms))


async def yesterday(served: Served) -> None:
    """A day of referrals behind us: acknowledged in time and late, accepted, completed,
    declined, one whose first-contact follow-up falls overdue, one never acknowledged."""
    hub, escalation = served.hub, served.escalation
    done = await submit(hub)  # Mercy → Harbor House, urgent discharge handoff
    follow = await submit(hub)
    declined = await submit(hub, dest="bridge-advocacy", type_="advocacy-request")
    counsel = await submit(hub, dest="northside-counseling", type_="counseling-referral",
                           urgency=Urgency.ROUTINE)
    police = await submit(hub, dest="riverside-pd", type_="police-report-followup",
                          urgency=Urgency.ROUTINE, sender_agency="bridge-advocacy")
    await submit(hub, dest="bridge-advocacy", type_="advocacy-request",
                 sender_agency="riverside-pd")  # nobody ever answers this one
    await escalation.run_due()
    await escalation.advance(20 * MINUTE)
    await acknowledge(hub, *follow)
    await act(hub, follow[1], "accept")
    await escalation.advance(10 * MINUTE)
    await acknowledge(hub, *done)
    for action, body in (("accept", None), ("progress", None),
                         ("complete", {"outcome": "services-provided"})):
        await act(hub, done[1], action, body)
    await escalation.advance(45 * MINUTE)  # past the advocacy request's hour
    await acknowledge(hub, *declined, dest="bridge-advocacy")
    await act(hub, declined[1], "reject", {"reason": "capacity"}, dest="bridge-advocacy")
    await escalation.advance(3 * HOUR)
    await acknowledge(hub, *counsel, dest="northside-counseling")
    await act(hub, counsel[1], "accept", dest="northside-counseling")
    await acknowledge(hub, *police, dest="riverside-pd")
    for action, body in (("accept", None), ("complete", {"outcome": "referred-elsewhere"})):
        await act(hub, police[1], action, body, dest="riverside-pd")


def watch_console(page: Page, complaints: list[str]) -> None:
    """Keep every console message that reports a Content-Security-Policy violation, every
    script error, and every request the hub answered with an error."""
    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            complaints.append(f"{page.url}: {message.text}")
    page.on("console", seen)
    page.on("pageerror", lambda error: complaints.append(f"{page.url}: {error}"))
    page.on("response", lambda r: r.status >= 400 and complaints.append(f"{r.status} {r.url}"))


async def sign_in(page: Page, served: Served, person: str) -> None:
    await page.goto(f"{served.url}/dashboard")
    await expect(page).to_have_url(f"{served.url}/signin?next=/dashboard")
    await page.fill("#token", served.hub.world.members[person].token)
    async with page.expect_response(lambda r: "/dashboard/events" in r.url):
        await page.click("button[type=submit].primary")
    await expect(page.locator("h1")).to_have_text("Stalled referrals")


async def this_morning(served: Served) -> tuple[object, str]:
    """The next morning: a routine referral, an emergent one, and an urgent one to Harbor
    House five minutes from its acknowledgement deadline (returned)."""
    hub, escalation = served.hub, served.escalation
    await escalation.advance(20 * HOUR)
    await submit(hub, dest="northside-counseling", type_="counseling-referral",
                 urgency=Urgency.ROUTINE, sender_agency="harbor-house")
    late = await submit(hub)  # Mercy → Harbor House, urgent: acknowledge within 2 hours
    await escalation.run_due()
    await escalation.advance(HOUR + 40 * MINUTE)
    await submit(hub, dest="bridge-advocacy", urgency=Urgency.EMERGENT)  # within 30 minutes
    await escalation.advance(15 * MINUTE)
    return late


async def watch_it_stall_and_clear(page: Page, served: Served, late: tuple[object, str],
                                   complaints: list[str]) -> None:
    """The queue, open in the browser, shows the referral fall past its deadline and leave
    once acknowledged, without a reload; screenshots of the queue and the referral's page."""
    rid = late[1]
    row = page.locator(f'#queue tr[data-referral="{rid[:8]}"]')
    await expect(row).to_have_attribute("class", "due-soon")
    await page.evaluate("window.stayed = true")  # gone if the page reloads
    await asyncio.sleep(0.5)  # the live stream has sent the page its first state (ignored)

    await served.escalation.advance(6 * MINUTE)  # past the deadline: the coordinator's rung
    await expect(row).to_have_attribute("class", "breached", timeout=10_000)
    await expect(row.locator(".flag")).to_have_text("coordinators alerted")
    await expect(row).to_contain_text("1 min overdue")
    await expect(page.locator(".count.breached")).to_contain_text("2 past")
    assert await page.evaluate("window.stayed") is True
    await page.screenshot(path=SHOTS / "dashboard-queue.png", full_page=True)
    await page.set_viewport_size(TABLET)
    await page.screenshot(path=SHOTS / "dashboard-queue-tablet.png")
    await page.set_viewport_size(LAPTOP)

    dossier = await page.context.new_page()
    watch_console(dossier, complaints)
    await dossier.goto(f"{served.url}/dashboard/referrals/{rid}")
    await expect(dossier.locator("h1")).to_have_text(f"Referral {rid[:8]}")
    await expect(dossier.locator(".status")).to_have_text("waiting for acknowledgement")
    await dossier.screenshot(path=SHOTS / "dashboard-referral.png", full_page=True)
    await dossier.close()

    await acknowledge(served.hub, *late)  # through the API, by Harbor House's point person
    await expect(row).to_have_count(0, timeout=10_000)
    await expect(page.locator(".count.breached")).to_contain_text("1 past")
    assert await page.evaluate("window.stayed") is True


async def export_figures(page: Page) -> dict[str, str]:
    """The figures page (its charts; a screenshot), and Harbor House's row of its CSV."""
    await page.click("nav >> text=Figures")
    await expect(page.locator("figure.chart")).to_have_count(3)
    harbor = page.locator('table.figures tr[data-agency="harbor-house"] td')
    await expect(harbor.nth(1)).to_have_text("3")
    await page.screenshot(path=SHOTS / "dashboard-figures.png", full_page=True)
    async with page.expect_download() as download:
        await page.click("text=Export CSV")
    saved = await (await download.value).path()
    rows = list(csv.reader(io.StringIO(Path(saved).read_text())))
    assert rows[0] == list(CSV_COLUMNS)
    return dict(zip(rows[0], next(r for r in rows if r[0] == "harbor-house"), strict=True))


async def test_coordinator_sees_a_referral_stall_and_clear_live_and_exports_figures(
        served: Served) -> None:
    await yesterday(served)
    late = await this_morning(served)
    complaints: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = await browser.new_context(viewport=LAPTOP, accept_downloads=True)
            page = await context.new_page()
            watch_console(page, complaints)
            await sign_in(page, served, COORDINATOR)
            await watch_it_stall_and_clear(page, served, late, complaints)
            harbor = await export_figures(page)
            await context.close()
        finally:
            await browser.close()
    # Harbor House received three: two acknowledged in time, one late; two still open
    assert (harbor["received"], harbor["acknowledged"], harbor["acknowledged_in_time_pct"],
            harbor["open_now"]) == ("3", "3", "66.7", "2")
    assert complaints == []

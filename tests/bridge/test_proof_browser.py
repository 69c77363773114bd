"""The proof's two other ways in: the EHR posts its handoff Bundle (with a C-CDA) to the
bridge, and the shelter's point person opens it with the `hub` command and in the browser,
safe contact first each time, then acknowledges (a receipt signed in the page), accepts,
records progress and completes it there, while the EHR reads each status by polling its
bridge. The hub is a real HTTP server on 127.0.0.1 (the browser's clock is real, so is the
hub's); the page is the one tests/web/pages/test_browser_story.py drives."""

from __future__ import annotations

import asyncio
import re
import sys

import pytest
from playwright.async_api import async_playwright, expect

from hub.api import fhir
from hub.bridge.app import create_bridge_app
from hub.bridge.core import Bridge
from hub.client.agent import Agent
from hub.client.api import HubApi
from hub.demo import write_home
from tests.bridge.ehr import CANARY, handoff_bundle
from tests.web.pages.test_browser_story import (  # noqa: F401 - the live hub's fixtures
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


async def _cli(*args: str) -> str:
    """The real `hub` command (a process of its own: the hub serves from this loop)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0 and b"Traceback" not in err, err.decode()
    return out.decode()


async def test_the_shelter_opens_the_ehrs_handoff_with_the_cli_and_in_the_browser(
        live: Live, aiohttp_client, tmp_path) -> None:  # noqa: F811
    w, now = live.world, live.services.clock.now
    me = w.members["mercy-ehr"]
    api = HubApi(live.url, me.token)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            point = await Person.sign_in(browser, live, POINT)
            await live.approve(await point.set_up_device())  # the roster the bridge seals to
            await point.pin_roots()
            ehr = await aiohttp_client(create_bridge_app(
                Bridge(Agent(api, me.device, w.trust(), clock=now), now)))
            r = await ehr.post("/fhir/R4", json=handoff_bundle(now()))
            assert r.status == 200, await r.text()
            rid = (await r.json())["entry"][0]["resource"]["id"]

            async def ehr_polls() -> str:
                task = await (await ehr.get(f"/fhir/R4/Task/{rid}")).json()
                return fhir.checked(task, "Task")["status"]

            home = tmp_path / "harbor-intake"
            write_home(w, POINT, home, live.url)
            opened = await _cli("--home", str(home), "open", rid)
            sender, _, content = opened.partition("\n\n")
            assert sender.startswith("from ") and content.startswith("SAFETY FIRST")
            assert CANARY in content and "1 attachment(s)" in content

            await point.open_thread("inbox", rid)
            page = point.page
            shown = page.locator("#content")
            await expect(shown).to_have_attribute("data-opened", "yes")
            await expect(shown.locator(".handoff > :first-child")).to_have_class(
                re.compile(r"\bsafe-contact\b"))
            await expect(shown).to_contain_text(CANARY)
            assert await ehr_polls() == "requested"
            for button, status in (("#act-acknowledge", "received"),
                                   ("#act-accept", "accepted"),
                                   ("#act-progress", "in-progress")):
                await page.click(button)
                await expect(page.locator("#status-text")).to_have_attribute(
                    "data-status", status)
                assert await ehr_polls() == status
            await page.select_option("#complete-outcome", "services-provided")
            await page.click("#complete-form button[type=submit]")
            await expect(page.locator("#status-text")).to_have_attribute(
                "data-status", "completed")
            assert await ehr_polls() == "completed"
        finally:
            await browser.close()
            await api.close()
    assert not live.complaints, live.complaints
    referral = await live.store.referrals.get(rid)
    assert referral.acknowledged_by == POINT  # the receipt signed in the page verified

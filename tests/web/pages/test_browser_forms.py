"""A referral type with a form of its own in the browser: the shelter request with the
survivor's date of birth and the pets hidden, the summary renamed and the discharge time
optional. The nurse's send form shows it so and seals it; the shelter's page opens it and
one the SDK sealed, safety first, under the form's names; the SDK opens what the browser
sealed; and the shelter purges the narrative from its page, keeping the codes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from hub.api.forms import model_from_schema
from hub.build import build_services
from hub.clock import SystemClock
from hub.config import Settings
from hub.crypto import open_envelope, short_fingerprint
from hub.models import Consent
from hub.sandbox import install_world, make_world
from hub.store import Store
from hub.web.app import create_app
from tests.client.forms_support import FORM_TYPE, RENAMED, ccr_with_form, shelter_document

from .test_browser_story import (  # noqa: F401 (bundle is a fixture)
    ARGS,
    CHROMIUM,
    HARBOR,
    MERCY,
    NURSE,
    POINT,
    Live,
    Person,
    bundle,
    pytestmark,
)

__all__ = ["pytestmark"]


@pytest.fixture
async def live(aiohttp_server, store: Store, redis_url: str, bundle: Path,  # noqa: F811
               tmp_path: Path
               ) -> AsyncIterator[Live]:
    settings = Settings(redis_url=redis_url, ccr_dir=ccr_with_form(tmp_path / "ccr"))
    services = build_services(settings, store=store, clock=SystemClock())
    world = make_world(services.ccr, int(services.clock.now()))
    await install_world(world, services)
    server = await aiohttp_server(create_app(settings, services), host="127.0.0.1")
    expect.set_options(timeout=20_000)
    try:
        yield Live(str(server.make_url("")).rstrip("/"), services, world, store)
    finally:
        expect.set_options(timeout=5_000)


async def ready(browser, live: Live, person: str) -> Person:
    """Signed in, the device made, approved and both roots pinned."""
    someone = await Person.sign_in(browser, live, person)
    request = await someone.set_up_device()
    for agency in (MERCY, HARBOR):
        await someone.pin(agency, short_fingerprint(live.world.roots[agency].public))
        await expect(someone.page.locator(f'tr[data-agency="{agency}"] .pinned')).to_be_visible()
    await live.approve(request)
    return someone


async def send_from_the_form(nurse: Person, canary: str) -> str:
    page = nurse.page
    await page.goto(f"{nurse.live.url}/send")
    await nurse.unlock()
    await page.select_option("#destination", HARBOR)
    await page.select_option("#type", FORM_TYPE)
    for hidden in ('[data-path="pets"]', '[data-path="survivor.date_of_birth"]'):
        await expect(page.locator(hidden)).to_be_hidden()
    summary = page.locator('label:has([data-path="summary"])')
    await expect(summary).to_contain_text(RENAMED)
    await expect(page.locator('label:has([data-path="discharge_at"]) .req')).to_be_hidden()
    await expect(page.locator('label:has([data-path="survivor.name"]) .req')).to_be_visible()
    await page.check('input[data-path="safe_contact.channels"][value="sms"]')
    await page.fill('[data-path="survivor.name"]', "Alex Rivera")
    await page.check('input[data-path="needs"][value="shelter"]')
    await page.fill('[data-path="summary"]', f"needs a ground-floor room {canary}")
    await page.fill('[data-path="consent.scope"]', "shelter intake")
    await page.click("#send-button")
    await expect(page.locator("#sent")).to_be_visible()
    return await page.locator("#sent").get_attribute("data-referral")


async def sdk_sent(live: Live) -> str:
    w = live.world
    model = model_from_schema(w.ccr.referral_type(FORM_TYPE).content_schema())
    doc = model.model_validate(shelter_document("sealed by the SDK")).to_bytes()
    sealed = w.seal_referral(w.members[NURSE], HARBOR, FORM_TYPE, doc,
                             now=int(live.services.clock.now()))
    seen, _ = await live.services.referrals.submit(
        w.members[NURSE].principal(), sealed.envelope,
        Consent.model_validate(w.consent(HARBOR, FORM_TYPE)))
    return seen.referral.id


async def test_a_form_type_is_sent_opened_and_purged_in_the_browser(live: Live) -> None:
    canary = f"CANARY-{uuid.uuid4().hex[:12]}"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            nurse = await ready(browser, live, NURSE)
            point = await ready(browser, live, POINT)
            rid = await send_from_the_form(nurse, canary)
            by_sdk = await sdk_sent(live)

            w = live.world  # the SDK's device of the shelter opens what the browser sealed
            data = await live.store.referrals.envelope(rid)
            opened = open_envelope(data, device=w.members[POINT].device, trust=w.trust(),
                                   now=int(live.services.clock.now()))
            assert canary.encode() in opened.content and b'"pets"' not in opened.content

            page, content = point.page, point.page.locator("#content")
            await page.goto(f"{live.url}/inbox/{by_sdk}")
            await point.unlock()
            await expect(content.locator(".safe-contact")).to_contain_text(
                "Do NOT leave a voicemail")
            await expect(content).to_contain_text(f"{RENAMED}sealed by the SDK")

            await page.goto(f"{live.url}/inbox/{rid}")
            await point.unlock()
            first = content.locator("article > section").first
            await expect(first).to_have_class("safe-contact")
            await expect(content).to_contain_text(canary)
            await expect(content).to_contain_text(RENAMED)
            await expect(content).not_to_contain_text("Pets")

            await page.check("#purge-sure")
            await page.click("#act-purge")
            await expect(content.locator("#purged-note")).to_be_visible()
            await expect(content).not_to_contain_text(canary)
            await expect(content).to_contain_text("Alex Rivera")
            await expect(content.locator(".safe-contact")).to_contain_text("Text message")
        finally:
            await browser.close()
    assert not live.complaints, live.complaints

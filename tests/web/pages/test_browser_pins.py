"""The device page imports an agency admin's pin bundle (made by `hub agency bundle`) in
the browser: refused against another agency's fingerprint, then every root in it pinned
against the admin's own agency's fingerprint, read aloud as sixty digits; the page tells
the hub, and the start page's checklist ticks the pins (issue 24)."""

from __future__ import annotations

from playwright.async_api import async_playwright, expect

from hub.crypto import make_pin_bundle, numeric_fingerprint, short_fingerprint

from .test_browser_story import (  # noqa: F401 (bundle and live are fixtures)
    ARGS,
    CHROMIUM,
    HARBOR,
    MERCY,
    POINT,
    Live,
    Person,
    bundle,
    live,
    pytestmark,
)

__all__ = ["pytestmark"]


async def test_the_device_page_pins_every_root_of_a_bundle_after_one_fingerprint(
        live: Live) -> None:  # noqa: F811
    w = live.world
    harbor = w.roots[HARBOR]
    data = make_pin_bundle(harbor, agency=HARBOR, issued_at=int(live.services.clock.now()),
                           pins={a: r.public for a, r in w.roots.items()})
    upload = {"name": "harbor-pins.json", "mimeType": "application/json", "buffer": data}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = (await Person.sign_in(browser, live, POINT)).page
            await expect(page.locator(f'tr[data-agency="{MERCY}"] input')).to_be_visible()
            await page.set_input_files("#bundle-file", files=[upload])
            await page.fill("#bundle-fingerprint", short_fingerprint(w.roots[MERCY].public))
            await page.click("#bundle-form button[type=submit]")
            await expect(page.locator("#status")).to_contain_text("NOT imported")
            await expect(page.locator(f'tr[data-agency="{MERCY}"] .pinned')).to_have_count(0)

            await page.set_input_files("#bundle-file", files=[upload])
            await page.fill("#bundle-fingerprint", numeric_fingerprint(harbor.public))
            async with page.expect_response(lambda r: r.url.endswith("/v1/me/setup")
                                            and r.request.method == "PUT") as told:
                await page.click("#bundle-form button[type=submit]")
            assert {s["code"]: s["done"] for s in (await (await told.value).json())["steps"]
                    }["roots-pinned"] is True
            await expect(page.locator("#status")).to_contain_text(
                f"{len(w.roots)} agencies newly pinned")
            for agency, root in w.roots.items():
                row = page.locator(f'#pin-table tr[data-agency="{agency}"]')
                await expect(row.locator(".pinned")).to_be_visible()
                await expect(row).to_contain_text(short_fingerprint(root.public))
            await page.goto(f"{live.url}/inbox")  # the start page
            await expect(page.locator('li[data-step="roots-pinned"]')).to_have_class("done")
            await expect(page.locator('li[data-step="drill"]')).to_have_class("todo")
        finally:
            await browser.close()
    assert not live.complaints, live.complaints

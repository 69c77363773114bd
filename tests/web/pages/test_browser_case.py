"""The survivor's case in the browser (issue 22), every step sealed in a browser: a nurse
sends a handoff from the send form, which starts the case; the shelter's intake advocate
opens it on the referral page and refers the survivor onward to counseling with the parts
of the record the survivor's consent covers and her notes; the counselor's case page shows
the whole journey, put together on the device (the three agencies, the hospital's handoff
as far as the consent covers it, the shelter's notes, status only where the counselor's
agency is party); the nurse's case page shows the shelter's milestones. Checked at 390 and
1280 px (no sideways scrolling, axe-core)."""

from __future__ import annotations

import re

from playwright.async_api import async_playwright, expect

from hub.crypto import short_fingerprint

from .phones import check_page
from .test_browser_story import (  # noqa: F401 (bundle and live are fixtures)
    ARGS,
    CHROMIUM,
    HARBOR,
    MERCY,
    NURSE,
    Live,
    Person,
    bundle,
    fill_handoff,
    live,
    pytestmark,
)

__all__ = ["pytestmark"]

KEPT = """async (key) => {
  const db = await new Promise((ok, no) => {
    const r = indexedDB.open('ccr-hub', 1); r.onsuccess = () => ok(r.result); r.onerror = no; });
  const kept = await new Promise((ok, no) => {
    const r = db.transaction('records').objectStore('records').get(key);
    r.onsuccess = () => ok(r.result ?? {}); r.onerror = no; });
  return Object.fromEntries(Object.entries(kept).map(([rid, sealed]) => [rid, sealed.length]));
}"""

COUNSELING, COUNSELOR, INTAKE = "northside-counseling", "northside-intake", "harbor-intake"
NOTES = "Stayed three nights at Harbor House; asks for evening sessions"
SUMMARY = "Discharged after an assessment; not for counseling"


async def device(browser, live: Live, person: str) -> Person:  # noqa: F811
    """A person's browser set up as their device, the three agencies' roots pinned, and
    approved by their agency admin."""
    who = await Person.sign_in(browser, live, person)
    request = await who.set_up_device()
    for agency in (MERCY, HARBOR, COUNSELING):
        await who.pin(agency, short_fingerprint(live.world.roots[agency].public))
        await expect(who.page.locator(f'tr[data-agency="{agency}"] .pinned')).to_be_visible()
    await live.approve(request)
    return who


async def send_from_the_form(nurse: Person) -> str:
    page = nurse.page
    await page.goto(f"{nurse.live.url}/send")
    await nurse.unlock()
    await expect(page.locator("#send-fields")).to_be_enabled()
    await page.select_option("#destination", HARBOR)
    await page.select_option("#type", "discharge-handoff")
    await fill_handoff(page, SUMMARY)
    await page.fill('[data-path="survivor.name"]', "Sam Example")
    await page.check("#consent-share")  # how it went, milestones included, flows back
    await page.click("#send-button")
    await expect(page.locator("#sent")).to_be_visible()
    return await page.locator("#sent").get_attribute("data-referral")


async def refer_onward(intake: Person, rid: str) -> str:
    """Open, acknowledge and accept the handoff, then refer onward from its page."""
    page = intake.page
    await page.goto(f"{intake.live.url}/inbox/{rid}")
    await intake.unlock()
    await expect(page.locator("#content")).to_have_attribute("data-opened", "yes")
    await page.click("#act-acknowledge")
    await expect(page.locator("#status-text")).to_have_attribute("data-status", "received")
    await page.click("#act-accept")
    await expect(page.locator("#status-text")).to_have_attribute("data-status", "accepted")
    onward = page.locator("#onward")
    await expect(onward).to_be_visible()
    await page.select_option("#onward-to", COUNSELING)
    await page.select_option("#onward-type", "counseling-referral")
    await page.fill("#onward-purpose", "counseling")
    await page.fill("#onward-notes", NOTES)
    await page.click("#onward-form button[type=submit]")  # nothing covered: refused here
    await expect(page.locator("#thread-status")).to_contain_text(
        "choose at least one part of the handoff the survivor's consent covers")
    for covered in ("survivor", "needs", "safe_contact"):
        await page.check(f'#onward-covers input[value="{covered}"]')
    intake.live.problems += await check_page(page, "browser-refer-onward", shoot=())
    await page.click("#onward-form button[type=submit]")
    await expect(page.locator("#onward-done")).to_be_visible()
    href = await page.locator("#onward-link").get_attribute("href")
    assert href is not None
    return href.rsplit("/", 1)[1]


async def test_a_case_started_in_the_send_form_goes_onward_and_reads_whole_on_the_case_page(
        live: Live) -> None:  # noqa: F811
    problems: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            nurse, intake, counselor = [await device(browser, live, p)
                                        for p in (NURSE, INTAKE, COUNSELOR)]
            parent = await send_from_the_form(nurse)
            kept = await nurse.page.evaluate(KEPT, f"cases:{MERCY}/{NURSE}")
            assert kept == {parent: 32 + 48}  # the secret, sealed to the device's own key
            rid = await refer_onward(intake, parent)
            first, onward = (await live.store.referrals.get(parent),
                             await live.store.referrals.get(rid))
            assert onward.parent == parent  # the hub sees the onward link, and only ids:
            assert first.case_link and onward.case_link and first.case_link != onward.case_link

            page = counselor.page
            await page.goto(f"{live.url}/inbox/{rid}")
            await page.click(f'a[href="/inbox/{rid}/case"]')
            await counselor.unlock()
            await expect(page.locator("#case")).to_have_attribute("data-ready", "yes")
            await expect(page.locator("#case-agencies li")).to_have_text([
                "Mercy General Hospital (Emergency Department)",
                "Harbor House Domestic Violence Shelter", "Northside Trauma Counseling"])
            record = page.locator("#case-record")
            await expect(record).to_contain_text("Sam Example")  # never retold
            await expect(record).to_contain_text("+1 555 0100")
            await expect(record).to_contain_text(NOTES)
            await expect(record).not_to_contain_text("not for counseling")  # not covered
            await expect(page.locator(f'#case-steps tr[data-referral="{parent}"]')
                         ).to_contain_text("Not yours to follow")
            await expect(page.locator("#case-forwarding")).to_contain_text(
                "survivor, needs, safe_contact")
            milestones = page.locator("#case-milestones li")  # only the counselor's own
            await expect(milestones).to_have_count(0)
            problems += await check_page(page, "browser-case", shoot=())

            await live.services.milestones.record(live.world.members[INTAKE].principal(),
                                                  parent, "exam-followup-scheduled")
            page = nurse.page  # the sender's device kept the case's secret
            await page.goto(f"{live.url}/inbox/{parent}/case")
            await nurse.unlock()
            await expect(page.locator("#case")).to_have_attribute("data-ready", "yes")
            shown = page.locator(f'#case-milestones li[data-referral="{parent}"]')
            await expect(shown.and_(page.locator('[data-state="recorded"]'))).to_contain_text(
                "Follow-up exam scheduled: recorded")
            await expect(shown.and_(page.locator('[data-code="exam-followup-attended"]'))
                         ).to_have_text(re.compile(r"Follow-up exam attended: due "))
            await expect(page.locator("#case-agencies li")).to_have_count(3)
        finally:
            await browser.close()
    assert not problems, "\n".join(problems)
    assert not live.complaints, live.complaints

"""The survivor's case in the browser (issue 22): a counselor's browser opens a referral
the shelter forwarded and shows the whole journey, put together on the device: the three
agencies, the hospital's handoff as far as the survivor's consent covers it, the shelter's
notes, and the status only of what the counselor's agency is party to. Checked at 390 and
1280 px (no sideways scrolling, axe-core)."""

from __future__ import annotations

import json

from playwright.async_api import async_playwright, expect

from hub.api.casefile import Forwarding, RecordStep, attach, forward, new_case
from hub.client.contents import DischargeHandoff, GenericReferral
from hub.crypto import short_fingerprint
from hub.models import Consent

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
    live,
    pytestmark,
)

__all__ = ["pytestmark"]

COUNSELING, COUNSELOR, INTAKE = "northside-counseling", "northside-intake", "harbor-intake"
NOTES = "Stayed three nights at Harbor House; asks for evening sessions"


async def forwarded_case(live: Live) -> tuple[str, str]:  # noqa: F811
    """Mercy's handoff to Harbor House, and Harbor House's referral onward to Northside
    with the record (sealed as the SDK seals them, to the rosters of the moment)."""
    w, services = live.world, live.services
    now = int(services.clock.now())
    handoff = DischargeHandoff(
        survivor={"name": "Sam Example"}, needs=("shelter", "counseling"),
        discharge_at="2026-12-01T09:00Z",
        safe_contact={"channels": ("email",), "email": "safe@example.org"},
        consent={"method": "written", "given_at": "2026-11-30T18:00Z",
                 "documented_by": NURSE, "scope": "shelter and counseling"},
        summary="not for counseling")
    case = new_case()
    first = w.seal_referral(w.members[NURSE], HARBOR, "discharge-handoff",
                            attach(handoff.to_bytes(), case), now=now)
    seen, _ = await services.referrals.submit(
        w.members[NURSE].principal(), first.envelope,
        Consent.model_validate(w.consent(HARBOR, "discharge-handoff")),
        case_link=case.link(MERCY, HARBOR))
    parent = seen.referral.id
    step = RecordStep(referral=parent, sender=MERCY, destination=HARBOR,
                      type="discharge-handoff", sent_at=now,
                      content=json.loads(handoff.to_bytes()))
    onward = forward(case, step, Forwarding(purpose="counseling",
                                            covers=("survivor", "needs", "safe_contact")))
    notes = GenericReferral(kind="counseling-referral", text=NOTES)
    second = w.seal_referral(w.members[INTAKE], COUNSELING, "counseling-referral",
                             attach(notes.to_bytes(), onward), now=now)
    seen, _ = await services.referrals.submit(
        w.members[INTAKE].principal(), second.envelope, Consent.model_validate(
            w.consent(COUNSELING, "counseling-referral", documented_by=INTAKE)),
        parent=parent, case_link=onward.link(HARBOR, COUNSELING))
    return parent, seen.referral.id


async def test_a_counselor_reads_the_whole_journey_on_the_case_page(live: Live) -> None:  # noqa: F811
    problems: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            counselor = await Person.sign_in(browser, live, COUNSELOR)
            request = await counselor.set_up_device()
            for agency in (MERCY, HARBOR, COUNSELING):
                await counselor.pin(agency, short_fingerprint(live.world.roots[agency].public))
                await expect(counselor.page.locator(f'tr[data-agency="{agency}"] .pinned')
                             ).to_be_visible()
            await live.approve(request)
            parent, rid = await forwarded_case(live)

            page = counselor.page
            await page.goto(f"{live.url}/inbox/{rid}")
            await page.click(f'a[href="/inbox/{rid}/case"]')
            await counselor.unlock()
            await expect(page.locator("#case")).to_have_attribute("data-ready", "yes")
            agencies = page.locator("#case-agencies li")
            await expect(agencies).to_have_text([
                "Mercy General Hospital (Emergency Department)",
                "Harbor House Domestic Violence Shelter", "Northside Trauma Counseling"])
            record = page.locator("#case-record")
            await expect(record).to_contain_text("Sam Example")
            await expect(record).to_contain_text("safe@example.org")
            await expect(record).to_contain_text(NOTES)
            await expect(record).not_to_contain_text("not for counseling")  # not covered
            await expect(page.locator(f'#case-steps tr[data-referral="{parent}"]')
                         ).to_contain_text("Not yours to follow")
            await expect(page.locator("#case-forwarding")).to_contain_text(
                "survivor, needs, safe_contact")
            problems += await check_page(page, "browser-case", shoot=())
        finally:
            await browser.close()
    assert not problems, "\n".join(problems)
    assert not live.complaints, live.complaints

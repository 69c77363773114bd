"""The quick guides in a real browser (issue 24): every role's guide, in English and in
Spanish, at a phone's width and a laptop's, scrolls no page sideways and has no serious or
critical axe-core finding; printed (Chromium's own PDF, US Letter), each fits one sheet."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import async_playwright

from hub.services.scope import GUIDES

from .phones import LAPTOP, check_page
from .test_browser import ARGS, CHROMIUM, Served, served  # noqa: F401 (served is a fixture)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="no /usr/bin/chromium (apt-get install chromium)")
PAGE = re.compile(rb"/Type\s*/Page\b(?!s)")


async def test_every_guide_is_axe_clean_at_both_widths_in_english_and_spanish_and_prints_on_one_sheet(  # noqa: E501
        served: Served) -> None:  # noqa: F811
    problems: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for language, locale in (("en", "en-US"), ("es", "es-ES")):
                page = await (await browser.new_context(viewport=LAPTOP, locale=locale)).new_page()
                for role in GUIDES:
                    await page.goto(f"{served.url}/help/{role}")
                    assert await page.get_attribute("html", "lang") == language
                    assert await page.locator(f'article.guide[data-role="{role}"] h1').count() == 1
                    problems += await check_page(page, f"guide-{role}-{language}", shoot=())
                    sheets = len(PAGE.findall(await page.pdf(format="Letter")))
                    if sheets != 1:
                        problems.append(f"guide {role} in {language} prints on {sheets} sheets")
        finally:
            await browser.close()
    assert not problems, "\n".join(problems)

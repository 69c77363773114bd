"""What the browser tests check on every page state, at a phone's width and a laptop's: the
page does not scroll sideways, axe-core (npm, web/node_modules) finds no serious or critical
accessibility violation, and a screenshot is saved (docs/screenshots/ when refreshing the
README's)."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.async_api import Page

from .support import screenshots

PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}
WIDTHS = {"phone": PHONE, "laptop": LAPTOP}
AXE = Path(__file__).resolve().parents[3] / "web" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = screenshots()

# Run through the DevTools protocol, not a <script>: the pages' Content-Security-Policy
# (script-src 'self') stays as it is.
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}"""

SIDEWAYS = """() => {
  const root = document.scrollingElement;
  return root.scrollWidth > root.clientWidth + 1 ? root.scrollWidth : 0;
}"""


async def accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not await page.evaluate("typeof axe !== 'undefined'"):
        await page.evaluate(AXE.read_text() + "\n;0")
    return await page.evaluate(AXE_RUN)


async def sideways(page: Page) -> int:
    """How wide the page scrolls when it is wider than the window (0: it is not)."""
    return await page.evaluate(SIDEWAYS)


async def check_page(page: Page, name: str, *, shoot: tuple[str, ...] = ("phone", "laptop")
                     ) -> list[str]:
    """The page as it is now at each width: what is wrong with it (scrolling sideways,
    axe-core's serious or critical findings), and a screenshot at each width in ``shoot``:
    ``name`` at the laptop's, ``name-phone`` at the phone's. The window is left at the
    laptop's width."""
    problems: list[str] = []
    for width, size in WIDTHS.items():
        await page.set_viewport_size(size)
        if wide := await sideways(page):
            problems.append(f"{name} at {width}: scrolls sideways ({wide} px wide)")
        problems += [f"{name} at {width}: {p}" for p in await accessibility_problems(page)]
        if width in shoot:
            suffix = "" if width == "laptop" else f"-{width}"
            await page.screenshot(path=SHOTS / f"{name}{suffix}.png", full_page=True)
    await page.set_viewport_size(LAPTOP)
    return problems


async def off_screen(page: Page, selector: str) -> list[str]:
    """Every element matching ``selector`` that the window does not show whole, across
    (cut off by the window's edge or by a box that scrolls), as its text."""
    found = await page.evaluate("""(selector) => {
      const out = [];
      for (const node of document.querySelectorAll(selector)) {
        const box = node.getBoundingClientRect();
        let clipped = box.width === 0 || box.left < 0 || box.right > window.innerWidth + 1;
        for (let up = node.parentElement; up && !clipped; up = up.parentElement) {
          const style = getComputedStyle(up);
          if (style.overflowX === 'visible') continue;
          const frame = up.getBoundingClientRect();
          clipped = box.left < frame.left - 1 || box.right > frame.right + 1;
        }
        if (clipped) out.push(node.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60));
      }
      return JSON.stringify(out);
    }""", selector)
    return json.loads(found)

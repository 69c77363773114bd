"""The whole story in real browsers (Debian's headless Chromium, driven by Playwright), with
every envelope sealed and opened in the page: a nurse's browser and a shelter point person's
browser each become a device (the test plays the agency admin: it certifies the keys the
page made and publishes a new signed roster), pin the agencies' roots by fingerprint; the
nurse sends a discharge handoff with an attachment; the point person opens it, downloads the
attachment, acknowledges with a receipt signed in the browser, replies, accepts, records
progress and closes it; the nurse reads the reply, and so does another browser of hers,
restored from the key backup the page offered. A referral sealed by the Python SDK is
declined in the browser, and the browser's envelopes open in Python.

A canary typed into the form must never reach Redis, the server's log, the browser's
storage, a URL, or any request body outside the sealed envelope. Screenshots go to
docs/screenshots/ for the README. No page may trip the Content-Security-Policy."""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    async_playwright,
    expect,
)

from hub.api.casefile import detach
from hub.build import Services, build_services
from hub.client.contents import DischargeHandoff, Reply
from hub.client.rosters import escalation_groups, roster_people
from hub.clock import SystemClock
from hub.config import Settings
from hub.crypto import (
    TrustStore,
    import_device_keys,
    make_roster,
    open_envelope,
    short_fingerprint,
)
from hub.crypto.certificates import issue_certificate
from hub.models import Consent
from hub.sandbox import World, install_world, make_world
from hub.store import Store
from hub.web.app import create_app
from tests.conftest import EXAMPLE
from tests.support.redis_scan import dump_values

from .phones import check_page
from .support import screenshots

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = screenshots()
PHONE_ONLY = ("phone",)  # the laptop's screenshot is taken as the story goes
NURSE, POINT, MERCY, HARBOR = "mercy-nurse-1", "harbor-intake", "mercy-hospital", "harbor-house"
PASSPHRASE = "correct horse battery staple"
PDF = b"%PDF-1.4\n% a discharge summary, fictional\n"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(),
                                 reason="no /usr/bin/chromium (apt-get install chromium)")]


@dataclass
class Live:
    url: str
    services: Services
    world: World
    store: Store
    complaints: list[str] = field(default_factory=list)  # CSP violations, script errors
    problems: list[str] = field(default_factory=list)  # sideways scrolling, axe-core findings
    requests: list[Request] = field(default_factory=list)  # everything both browsers sent

    async def approve(self, request: dict[str, str]) -> None:
        """What the agency admin does (`hub agency approve`, `hub agency publish`): certify
        the browser's device keys with the agency root and publish a new signed roster."""
        agency, w = request["agency"], self.world
        now = int(self.services.clock.now())
        cert = issue_certificate(
            w.roots[agency], agency=agency, person=request["person"],
            device_id=bytes.fromhex(request["device_id"]),
            box_public=base64.b64decode(request["box_public"]),
            sign_public=base64.b64decode(request["sign_public"]),
            issued_at=now - 60, expires_at=now + 365 * 86400)
        current = [m.device.certificate for m in w.members.values()
                   if m.agency == agency and m.device is not None]
        published = await self.services.directory.published(agency)
        signed = make_roster(w.roots[agency], agency=agency, version=published.version + 1,
                             issued_at=now - 60, expires_at=now + 180 * 86400,
                             people=roster_people(w.ccr, agency), devices=[*current, cert],
                             groups=escalation_groups(w.ccr, agency))
        admin = next(m for m in w.members.values()
                     if m.agency == agency and "agency_admin" in m.roles)
        await self.services.directory.publish(admin.principal(), agency, signed.to_json())
        w.rosters[agency] = signed


WEB = Path(__file__).resolve().parents[3] / "web"
BUNDLE = WEB.parent / "hub" / "web" / "static" / "app.js"


@pytest.fixture(scope="module")
def bundle() -> Path:
    """The page bundle, rebuilt (`make web`) when web/src changed since it was built."""
    sources = [*WEB.joinpath("src").rglob("*.js"), WEB / "build.mjs"]
    if BUNDLE.exists() and BUNDLE.stat().st_mtime >= max(s.stat().st_mtime for s in sources):
        return BUNDLE
    node = shutil.which("node")
    if node is None or not (WEB / "node_modules" / "esbuild").is_dir():
        pytest.skip("the page bundle is missing or stale and cannot be built: run `make web`")
    subprocess.run([node, "build.mjs"], cwd=WEB, check=True, timeout=300,
                   stdout=subprocess.DEVNULL)
    return BUNDLE


@pytest.fixture
async def live(aiohttp_server, store: Store, redis_url: str, bundle: Path
               ) -> AsyncIterator[Live]:
    """The example CCR on a real HTTP server on 127.0.0.1, on the wall clock (the browsers'
    clocks are real: certificates and envelopes are checked against them)."""
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE, max_body_bytes=2 * 1024 * 1024)
    services = build_services(settings, store=store, clock=SystemClock())
    world = make_world(services.ccr, int(services.clock.now()))
    await install_world(world, services)
    server = await aiohttp_server(create_app(settings, services), host="127.0.0.1")
    expect.set_options(timeout=20_000)  # argon2id and WebAssembly on two shared cores
    try:
        yield Live(str(server.make_url("")).rstrip("/"), services, world, store)
    finally:
        expect.set_options(timeout=5_000)  # Playwright's default, for other modules


def complaint(message: ConsoleMessage) -> bool:
    """A Content-Security-Policy violation or a script error (not the missing favicon)."""
    if message.location.get("url", "").endswith("/favicon.ico"):
        return False
    return "Content Security Policy" in message.text or message.type == "error"


@dataclass
class Person:
    """One person's browser (a context of its own: its own cookies and IndexedDB)."""

    person: str
    context: BrowserContext
    page: Page
    live: Live
    backup: bytes = b""  # the encrypted key backup the page offered

    @classmethod
    async def sign_in(cls, browser: Browser, live: Live, person: str,
                      language: str | None = None) -> Person:
        """``language``: the one the reader chose at a page's foot (else people.toml's)."""
        context = await browser.new_context(viewport={"width": 1280, "height": 900},
                                            accept_downloads=True)
        if language:
            await context.add_cookies([{"name": "ccr_lang", "value": language,
                                        "url": live.url}])
        context.on("request", lambda r: live.requests.append(r))
        page = await context.new_page()
        page.on("console", lambda m: live.complaints.append(f"{page.url}: {m.text}")
                if complaint(m) else None)
        page.on("pageerror", lambda e: live.complaints.append(f"{page.url}: {e}"))
        await page.goto(f"{live.url}/device")
        await expect(page).to_have_url(re.compile(r"/signin\?next="))
        await page.fill("#token", live.world.members[person].token)
        await page.click("button[type=submit].primary")
        await expect(page).to_have_url(f"{live.url}/device")
        return cls(person, context, page, live)

    async def download(self, selector: str) -> bytes:
        async with self.page.expect_download() as info:
            await self.page.click(selector)
        return Path(await (await info.value).path()).read_bytes()

    async def set_up_device(self) -> dict[str, str]:
        """Make the keys in the page; hand the admin the request and the fingerprint."""
        page = self.page
        await page.fill("#setup-pass", PASSPHRASE)
        await page.fill("#setup-pass2", PASSPHRASE)
        await page.click("#setup-form button[type=submit]")
        await expect(page.locator("#device")).to_be_visible()
        request = json.loads(await self.download("#download-request"))
        fingerprint = await page.locator("#fingerprint").text_content()
        assert fingerprint == short_fingerprint(base64.b64decode(request["sign_public"]))
        self.backup = await self.download("#download-backup")
        keys = import_device_keys(self.backup, PASSPHRASE)  # the CLI can restore it too
        assert base64.b64encode(keys.box_public).decode() == request["box_public"]
        assert json.loads(self.backup)["kdf"] == "argon2id"
        # waiting for the admin's approval, in the person's own language
        await expect(page.locator("#approval")).to_have_class("waiting")
        return request

    async def pin(self, agency: str, fingerprint: str) -> None:
        row = self.page.locator(f'#pin-table tr[data-agency="{agency}"]')
        await row.locator("input").fill(fingerprint)
        await row.locator("button").click()

    async def pin_roots(self) -> None:
        roots = self.live.world.roots
        await self.pin(HARBOR, short_fingerprint(roots["bridge-advocacy"].public))
        await expect(self.page.locator("#status")).to_contain_text("NOT pinned")
        for agency in (MERCY, HARBOR):
            await self.pin(agency, short_fingerprint(roots[agency].public))
            await expect(self.page.locator(f'tr[data-agency="{agency}"] .pinned')).to_be_visible()
        await self.page.click("#check-approval")
        await expect(self.page.locator("#approval")).to_contain_text("Approved")

    async def restore(self, backup: bytes) -> None:
        """Another browser of the same person: the device comes back from its backup and
        finds its approval in the roster (no new request to the admin)."""
        page = self.page
        await page.set_input_files("#restore-file", files=[{
            "name": "ccr-device-key.json", "mimeType": "application/json", "buffer": backup}])
        await page.fill("#restore-pass", "not the passphrase")
        await page.click("#restore-form button[type=submit]")
        await expect(page.locator("#status")).to_contain_text("does not unlock")
        await page.fill("#restore-pass", PASSPHRASE)
        await page.click("#restore-form button[type=submit]")
        await expect(page.locator("#device")).to_be_visible()
        await self.pin_roots()

    async def unlock(self, passphrase: str = PASSPHRASE) -> None:
        await self.page.fill("#unlock-pass", passphrase)
        await self.page.click("#unlock-form button[type=submit]")
        await expect(self.page.locator("body")).to_have_attribute("data-unlocked", "yes")

    async def open_thread(self, listing: str, rid: str) -> None:
        await self.page.goto(f"{self.live.url}/{listing}")
        await self.page.click(f'tr[data-referral="{rid}"] a')
        await expect(self.page).to_have_url(f"{self.live.url}/inbox/{rid}")
        await self.unlock()


async def fill_handoff(page: Page, summary: str) -> None:
    check = 'input[data-path="{}"][value="{}"]'
    for channel in ("phone", "sms"):
        await page.check(check.format("safe_contact.channels", channel))
    await page.fill('[data-path="safe_contact.phone"]', "+1 555 0100")
    await page.fill('[data-path="safe_contact.safe_times.0.days"]', "weekdays")
    await page.fill('[data-path="safe_contact.safe_times.0.start"]', "09:00")
    await page.fill('[data-path="safe_contact.safe_times.0.end"]', "12:00")
    await page.fill('[data-path="safe_contact.notes"]',
                    "Her partner checks her phone after 6pm: never text in the evening.")
    await page.fill('[data-path="survivor.preferred_name"]', "Alex")
    await page.fill('[data-path="survivor.pronouns"]', "she/her")
    for need in ("shelter", "advocacy", "protective-order"):
        await page.check(check.format("needs", need))
    tomorrow = (datetime.now() + timedelta(days=1)).replace(hour=10, minute=0)
    await page.fill('[data-path="discharge_at"]', tomorrow.strftime("%Y-%m-%dT%H:%M"))
    await page.fill('[data-path="children"]', "2")
    await page.fill('[data-path="summary"]', summary)
    await page.fill('[data-path="consent.scope"]',
                    "Shelter intake and safety planning; not the medical details")


async def send_handoff(nurse: Person, canary: str) -> str:
    """Fill the form (refused first without a name: nothing is sent), then seal and send."""
    page = nurse.page
    await page.goto(f"{nurse.live.url}/send")
    await nurse.unlock()
    await expect(page.locator("#send-fields")).to_be_enabled()
    await page.select_option("#destination", HARBOR)
    await page.select_option("#type", "discharge-handoff")
    await fill_handoff(page, "Discharged after a strangulation assessment; needs a ground-floor "
                       "room. Ask for Dana at the front desk.")
    await page.set_input_files("#attachments", files=[{
        "name": "discharge-summary.pdf", "mimeType": "application/pdf",
        "buffer": PDF + canary.encode()}])
    await page.fill('[data-path="survivor.name"]', "Alex Rivera")
    await page.screenshot(path=SHOTS / "browser-send.png", full_page=True)
    nurse.live.problems += await check_page(page, "browser-send", shoot=PHONE_ONLY)
    await page.fill('[data-path="survivor.name"]', "")
    await page.click("#send-button")
    await expect(page.locator('#errors li[data-loc="survivor.name"]')).to_have_text(
        "Name: fill this in")
    await expect(page.locator('[data-path="survivor.name"]')).to_have_attribute(
        "aria-invalid", "true")  # the field in error is marked ...
    await expect(page.locator("#send-status")).to_be_hidden()  # ... under one banner
    nurse.live.problems += await check_page(page, "browser-send-refused", shoot=())
    assert not [r for r in nurse.live.requests if r.url.endswith("/v1/referrals")]
    await page.fill('[data-path="survivor.name"]', "Alex Rivera")
    await page.fill('[data-path="summary"]', "Discharged after a strangulation assessment; "
                    f"needs a ground-floor room. Code word at the front desk: {canary}.")
    await page.click("#send-button")
    await expect(page.locator("#sent")).to_be_visible()
    await expect(page.locator("#sent-due")).to_have_text(re.compile(
        r"It must be acknowledged by \w{3} \d\d \w{3} \d{4} \d\d:\d\d C[SD]T\."))
    rid = await page.locator("#sent").get_attribute("data-referral")
    assert await page.locator('[data-path="summary"]').input_value() == ""  # form cleared
    return rid


async def receive(point: Person, rid: str, canary: str) -> None:
    """Open the handoff in the page, read it, download the attachment, acknowledge."""
    page = point.page
    await page.goto(f"{point.live.url}/inbox")
    row = page.locator(f'tr[data-referral="{rid}"]')
    await expect(row).to_contain_text("waiting for acknowledgement")  # as everywhere
    await expect(row).to_contain_text("acknowledgement")
    await page.screenshot(path=SHOTS / "browser-inbox.png", full_page=True)
    point.live.problems += await check_page(page, "browser-inbox", shoot=())
    await point.open_thread("inbox", rid)
    content = page.locator("#content")
    await expect(content).to_have_attribute("data-opened", "yes")
    await expect(content.locator(".safe-contact")).to_contain_text("Do NOT leave a voicemail")
    await expect(content.locator(".safe-contact")).to_contain_text(
        "Do NOT say which agency is calling")
    await expect(content.locator(".safe-contact")).to_contain_text("weekdays 09:00–12:00")
    await expect(content.locator('.safe-contact dt:has-text("Language") + dd')).to_have_text(
        "English")  # the language's name, not its code
    await expect(content).to_contain_text(canary)
    assert await point.download('#attachments button[data-index="0"]') == PDF + canary.encode()
    await page.click("#act-acknowledge")
    await expect(page.locator("#status-text")).to_have_attribute("data-status", "received")
    await expect(page.locator("#status-text")).to_have_text("acknowledged")
    # the history the script redraws after the action keeps the agency's zone (the browser
    # runs in UTC), and names what happened and who did it
    last = page.locator("#history li").last
    await expect(last).to_have_text(re.compile(
        r"^\w{3} \d\d \w{3} \d{4} \d\d:\d\d C[SD]T acknowledged · Harbor House intake advocate$"))
    await page.screenshot(path=SHOTS / "browser-referral.png", full_page=True)
    point.live.problems += await check_page(page, "browser-referral", shoot=PHONE_ONLY)


async def answer_and_close(point: Person, reply: str) -> None:
    page = point.page
    await page.fill("#reply-text", reply)
    await page.click("#reply-form button[type=submit]")
    await expect(page.locator("#replies li")).to_have_count(1)
    await expect(page.locator("#replies")).to_contain_text(reply)
    await page.click("#act-accept")
    await expect(page.locator("#status-text")).to_have_attribute("data-status", "accepted")
    await page.click("#act-progress")
    await expect(page.locator("#status-text")).to_have_attribute("data-status", "in-progress")
    await page.select_option("#complete-outcome", "services-provided")
    await page.click("#complete-form button[type=submit]")
    await expect(page.locator("#status-text")).to_have_attribute("data-status", "completed")
    await expect(page.locator("#history")).to_contain_text("complete")


async def decline_an_sdk_referral(live: Live, point: Person) -> None:
    """A handoff sealed by the Python SDK (the nurse's other device) opens in the browser as
    the same readable form; the point person declines it with a reason."""
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
    referral = seen.referral
    await point.open_thread("inbox", referral.id)
    content = point.page.locator("#content")
    await expect(content).to_contain_text("Sam Example")
    await expect(content.locator(".safe-contact")).to_contain_text("Voicemail is OK")
    await point.page.click("#act-acknowledge")
    await expect(point.page.locator("#status-text")).to_have_attribute("data-status", "received")
    await point.page.select_option("#reject-reason", "capacity")
    await point.page.click("#reject-form button[type=submit]")
    await expect(point.page.locator("#status-text")).to_have_attribute("data-status", "rejected")


async def python_opens_what_the_browsers_sealed(live: Live, rid: str, canary: str) -> None:
    """The SDK's devices (also in the groups) open the browser's envelopes: the content is a
    valid DischargeHandoff with the canary inside, the reply a valid Reply."""
    w, now = live.world, int(live.services.clock.now())
    trust = TrustStore()
    for agency in (MERCY, HARBOR):
        trust.pin(agency, w.roots[agency].public)
        trust.accept_roster(agency, w.rosters[agency], now)
    data = await live.store.referrals.envelope(rid)
    opened = open_envelope(data, device=w.members[POINT].device, trust=trust, now=now)
    content, case = detach(opened.content)  # the browser started the survivor's case
    handoff = DischargeHandoff.model_validate_json(content)
    assert case is not None and case.record == () and case.forwarding is None
    assert case.link(MERCY, HARBOR) == (await live.store.referrals.get(rid)).case_link
    assert canary in handoff.summary and handoff.safe_contact.voicemail_ok is False
    assert len(opened.attachments) == 1
    reply_id = (await live.store.threads.replies(rid))[0]["id"]
    reply = await live.store.threads.reply_envelope(rid, reply_id)
    answer = open_envelope(reply, device=w.members[NURSE].device, trust=trust, now=now)
    assert Reply.model_validate_json(answer.content).text.startswith("Bed held")
    referral = await live.store.referrals.get(rid)
    assert referral.acknowledged_at is not None and referral.status == "completed"
    assert referral.acknowledged_by == POINT  # the receipt signed in the page verified


STORAGE = """async () => {
  const records = await new Promise((resolve) => {
    const open = indexedDB.open('ccr-hub');
    open.onsuccess = () => {
      const tx = open.result.transaction('records', 'readonly');
      const all = tx.objectStore('records').getAll();
      all.onsuccess = () => resolve(all.result);
    };
  });
  return JSON.stringify({records, local: {...localStorage}, session: {...sessionStorage},
                         cookie: document.cookie});
}"""


async def assert_canary_nowhere(live: Live, people: list[Person], canary: str,
                                log: str) -> None:
    needle = canary.encode()
    stored = await dump_values(live.store.redis, live.store.keys.prefix)
    assert stored, "the scan found nothing: wrong prefix?"
    assert not [k for k, v in stored.items() if needle in k or needle in v]
    assert canary not in log
    for r in live.requests:
        assert canary not in r.url
        assert needle not in (r.post_data_buffer or b""), f"{r.method} {r.url}"
        assert canary not in json.dumps(await r.all_headers())
    for p in people:
        assert canary not in p.page.url
        assert canary not in await p.page.evaluate(STORAGE)


async def test_a_handoff_sealed_in_one_browser_is_opened_and_answered_in_another(
        live: Live, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    canary = f"heron-{secrets.token_hex(6)}"
    reply = "Bed held until 18:00. We call the safe number on weekdays, 9 to 12."
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            nurse = await Person.sign_in(browser, live, NURSE)
            point = await Person.sign_in(browser, live, POINT)
            for person in (nurse, point):
                await live.approve(await person.set_up_device())
            for person in (nurse, point):
                await person.pin_roots()
            await nurse.page.screenshot(path=SHOTS / "browser-device.png", full_page=True)
            live.problems += await check_page(nurse.page, "browser-device", shoot=PHONE_ONLY)

            rid = await send_handoff(nurse, canary)
            await receive(point, rid, canary)
            await answer_and_close(point, reply)
            await nurse.open_thread("sent", rid)
            replies = nurse.page.locator("#replies")
            await expect(replies).to_contain_text(reply)
            await expect(replies).to_contain_text(
                "from Harbor House intake advocate at Harbor House Domestic Violence Shelter")
            live.problems += await check_page(nurse.page, "browser-sent-referral", shoot=())
            elsewhere = await Person.sign_in(browser, live, NURSE)
            await elsewhere.restore(nurse.backup)
            await elsewhere.open_thread("sent", rid)
            await expect(elsewhere.page.locator("#replies")).to_contain_text(reply)
            await decline_an_sdk_referral(live, point)

            await python_opens_what_the_browsers_sealed(live, rid, canary)
            log = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
            submitted = [json.loads(r.post_data_buffer) for r in live.requests
                         if r.method == "POST" and r.url.endswith("/v1/referrals")]
            assert [sorted(s) for s in submitted] == [["case_link", "consent", "envelope"]]
            assert re.fullmatch(r"[0-9a-f]{64}", submitted[0]["case_link"])  # an opaque id
            assert submitted[0]["consent"]["documented_by"] == NURSE
            await assert_canary_nowhere(live, [nurse, point, elsewhere], canary, log)
        finally:
            await browser.close()
    assert not live.complaints, live.complaints
    assert not live.problems, "\n".join(live.problems)

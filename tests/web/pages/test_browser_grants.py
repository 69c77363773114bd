"""Keys follow the staff, in real browsers: the intake advocate's browser, once unlocked,
hands every open referral it can read to the night advocate's replacement device (a CLI/SDK
device approved after the referral was sealed), with its progress shown, and that device
reads it; the reverse: a night advocate's new browser, approved after another referral was
sealed, reads it once the intake advocate's SDK device ran `grant_all`."""

from __future__ import annotations

import base64
import os

import pytest
from playwright.async_api import async_playwright, expect

from hub.client import Agent, HubApi, consent_for
from hub.client.rosters import escalation_groups, roster_people
from hub.crypto import (
    DeviceCertificate,
    DeviceIdentity,
    DeviceKeys,
    EnvelopeError,
    TrustStore,
    certify_device,
    make_roster,
)
from hub.crypto.certificates import issue_certificate
from hub.crypto.rosters import SignedRoster, listed_devices

from .test_browser_story import ARGS, CHROMIUM, HARBOR, POINT, Live, Person, bundle, live

__all__ = ["bundle", "live"]
TRUST_RECORD = """(key) => new Promise((resolve, reject) => {
  const request = indexedDB.open('ccr-hub', 1);
  request.onerror = () => reject(request.error);
  request.onsuccess = () => {
    const get = request.result.transaction('records').objectStore('records').get(key);
    get.onsuccess = () => resolve(get.result);
    get.onerror = () => reject(get.error);
  };
})"""
NIGHT, NURSE, TYPE = "harbor-night", "mercy-nurse-1", "discharge-handoff"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium")]


async def publish_with(live: Live, cert: DeviceCertificate) -> None:
    """The agency admin adds one device to harbor-house's published roster."""
    w, now = live.world, int(live.services.clock.now())
    published = await live.services.directory.published(HARBOR)
    current = SignedRoster.from_json(published.signed)
    listed = listed_devices(current, w.roots[HARBOR].public, agency=HARBOR, now=now)
    signed = make_roster(w.roots[HARBOR], agency=HARBOR, version=published.version + 1,
                         issued_at=now - 60, expires_at=now + 180 * 86400,
                         people=roster_people(w.ccr, HARBOR),
                         devices=[*listed.current, cert], groups=escalation_groups(w.ccr, HARBOR))
    admin = w.members["harbor-director"]
    await live.services.directory.publish(admin.principal(), HARBOR, signed.to_json())


async def approve_browser(live: Live, request: dict[str, str]) -> None:
    now = int(live.services.clock.now())
    cert = issue_certificate(live.world.roots[HARBOR], agency=HARBOR, person=request["person"],
                             device_id=bytes.fromhex(request["device_id"]),
                             box_public=base64.b64decode(request["box_public"]),
                             sign_public=base64.b64decode(request["sign_public"]),
                             issued_at=now - 60, expires_at=now + 365 * 86400)
    await publish_with(live, cert)


def sdk_agent(live: Live, person: str, device: DeviceIdentity | None = None) -> Agent:
    trust = TrustStore()
    for agency, root in live.world.roots.items():
        trust.pin(agency, root.public)
    member = live.world.members[person]
    return Agent(HubApi(live.url, member.token), device or member.device, trust,
                 clock=live.services.clock.now)


async def send(live: Live, note: bytes) -> str:
    nurse = sdk_agent(live, NURSE)
    try:
        consent = consent_for(HARBOR, TYPE, documented_by=NURSE,
                              now=int(live.services.clock.now()))
        return (await nurse.send(HARBOR, TYPE, note, consent)).id
    finally:
        await nurse.api.close()


async def test_grants_made_in_the_browser_open_on_a_cli_device_and_the_reverse(live) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        agents: list[Agent] = []
        try:
            intake = await Person.sign_in(browser, live, POINT)
            await approve_browser(live, await intake.set_up_device())
            await intake.pin_roots()
            first = await send(live, b'{"note": "sealed before the new phone"}')

            # the night advocate's replacement phone (an SDK device) is approved
            keys = DeviceKeys.generate()
            now = int(live.services.clock.now())
            phone = DeviceIdentity(keys, certify_device(
                live.world.roots[HARBOR], keys, agency=HARBOR, person=NIGHT,
                device_id=os.urandom(16), issued_at=now - 60, expires_at=now + 86400 * 365))
            await publish_with(live, phone.certificate)
            night_phone = sdk_agent(live, NIGHT, phone)
            agents.append(night_phone)
            with pytest.raises(EnvelopeError):
                await night_phone.open(first)

            await intake.open_thread("inbox", first)  # unlocking starts the handover
            line = intake.page.locator("#handover")
            await expect(line).to_contain_text("Handed 1 open referral")
            saved = await intake.page.evaluate(TRUST_RECORD, f"trust:{HARBOR}/{POINT}")
            assert saved["log"]["count"] >= 1  # the browser follows the roster log
            assert HARBOR in saved["log"]["latest"]
            opened = await night_phone.open(first)
            assert opened.content == b'{"note": "sealed before the new phone"}'

            # the reverse: a new browser of the night advocate, granted by the SDK
            second = await send(live, b'{"note": "sealed before the new browser"}')
            night = await Person.sign_in(browser, live, NIGHT, language="en")
            await approve_browser(live, await night.set_up_device())
            await night.pin_roots()
            intake_sdk = sdk_agent(live, POINT)
            agents.append(intake_sdk)
            assert (await intake_sdk.grant_all())["granted"] >= 1
            await night.open_thread("inbox", second)
            content = night.page.locator("#content")
            await expect(content).to_have_attribute("data-opened", "yes")
            await expect(content).to_contain_text("sealed before the new browser")
            assert not live.complaints, live.complaints
        finally:
            for agent in agents:
                await agent.api.close()
            await browser.close()

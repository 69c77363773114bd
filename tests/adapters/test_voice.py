"""Voice calls through a loopback gateway that answers as Twilio's Calls API does and then
posts Twilio-style callbacks (signed): the call speaks a content-free message in the
person's language and gathers a keypress (1 claims the referral), and its status callback
is a delivery report (no answer moves the notice on to the person's next contact). A
policy makes voice the channel of a rung. The generic webhook gateway does the same in
JSON."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import pytest
from aiohttp import web

from hub.adapters.sms_reports import twilio_signature, webhook_signature
from hub.adapters.voice import TwilioVoice, WebhookVoice
from hub.build import build_services
from hub.config import Settings
from hub.sandbox import install_world, make_world
from hub.web.app import create_app
from tests.conftest import EXAMPLE, Hub
from tests.escalation.test_ladder import CANARY, submit
from tests.web.pages.support import Escalation, Outbox

BASE = "https://hub.example.org"
SECRET = "voice-secret"
SID = "AC" + "0" * 32
NIGHT = "+15555550121"
HOUR = 3600


@dataclass
class VoiceGateway:
    """A loopback voice gateway: Twilio's Calls API (form) or the webhook (JSON)."""

    calls: list[dict] = field(default_factory=list)

    async def twilio(self, request: web.Request) -> web.Response:
        assert request.match_info["sid"] == SID and request.headers["Authorization"]
        self.calls.append(dict(await request.post()))
        return web.json_response({"sid": f"CA{len(self.calls):032x}"}, status=201)

    async def webhook(self, request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer voice-token"
        self.calls.append(await request.json())
        return web.json_response({"id": f"call-{len(self.calls)}"}, status=201)


def ccr_calling_backups(tmp_path: Path) -> Path:
    """The example CCR where the backups' rung of urgent discharge handoffs calls first,
    and the night advocate has a phone for calls after her SMS."""
    directory = tmp_path / "ccr"
    shutil.copytree(EXAMPLE, directory)
    people = directory / "people.toml"
    people.write_text(people.read_text().replace(
        f'channels = [{{ kind = "sms", number = "{NIGHT}" }}]',
        f'channels = [{{ kind = "sms", number = "{NIGHT}" }}, '
        f'{{ kind = "voice", number = "{NIGHT}" }}]', 1))
    policies = directory / "policies.toml"
    text = policies.read_text()
    old = '''              { notify = "backups", after = "1h" },'''
    assert old in text
    policies.write_text(text.replace(
        old, '''              { notify = "backups", after = "1h", channel = "voice" },''', 1))
    return directory


@dataclass
class Calling:
    hub: Hub
    gateway: VoiceGateway
    escalation: Escalation
    client: object

    async def callback(self, route: str, form: dict[str, str], *, token: str = SECRET):
        signature = twilio_signature(token, f"{BASE}/v1/reports/{route}", form)
        return await self.client.post(f"/v1/reports/{route}", data=form,
                                      headers={"X-Twilio-Signature": signature})

    async def signed(self, route: str, doc: dict):
        raw = json.dumps(doc).encode()
        return await self.client.post(f"/v1/reports/{route}", data=raw, headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + webhook_signature(SECRET, raw)})


async def calling(provider: str, tmp_path: Path, aiohttp_client, aiohttp_server, store,
                  clock, redis_url: str) -> Calling:
    secret = tmp_path / "secret"
    secret.write_text(SECRET)
    gateway = VoiceGateway()
    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{sid}/Calls.json", gateway.twilio)
    app.router.add_post("/call", gateway.webhook)
    server = await aiohttp_server(app)
    settings = Settings(redis_url=redis_url, ccr_dir=ccr_calling_backups(tmp_path),
                        public_base_url=BASE, voice_provider=provider,
                        voice_token_file=secret, voice_report_secret_file=secret)
    services = build_services(settings, store=store, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    client = await aiohttp_client(create_app(settings, services))
    hub = Hub(client, services, world, store, clock)
    url = str(server.make_url(""))
    voice = TwilioVoice(url, SID, SECRET, "+15555550100", BASE) if provider == "twilio" \
        else WebhookVoice(f"{url}/call", "voice-token", BASE)
    email, sms = Outbox("email"), Outbox("sms")
    escalation = Escalation(hub, services.engine(
        {"voice": voice, "email": email, "sms": sms}, BASE), email, sms)
    return Calling(hub, gateway, escalation, client)


@pytest.fixture
async def twilio(tmp_path, aiohttp_client, aiohttp_server, store, clock, redis_url):
    return await calling("twilio", tmp_path, aiohttp_client, aiohttp_server, store, clock,
                         redis_url)


async def a_call_to_the_night_advocate(call: Calling) -> str:
    _, rid = await submit(call.hub, CANARY.encode())
    await call.escalation.run_due()
    assert call.gateway.calls == []
    await call.escalation.advance(HOUR)  # the backups' rung, which calls first
    assert [n.to for n in call.escalation.sms.sent] == []
    return rid


async def test_a_twilio_call_speaks_in_her_language_and_a_keypress_claims(twilio) -> None:
    rid = await a_call_to_the_night_advocate(twilio)
    (call,) = twilio.gateway.calls
    assert call["To"] == NIGHT and call["From"] == "+15555550100"
    assert call["StatusCallback"] == f"{BASE}/v1/reports/twilio-call"
    script = ElementTree.fromstring(call["Twiml"])
    gather = script.find("Gather")
    assert gather.get("action") == f"{BASE}/v1/reports/twilio-keypress"
    assert gather.get("numDigits") == "1"
    said = [s.text for s in gather.findall("Say")]
    assert [s.get("language") for s in gather.findall("Say")] == ["es-US", "es-US"]
    assert f"Referencia {' '.join(rid[:8])}." in said[0] and "Marque 1 para tomarla" in said[0]
    assert CANARY not in call["Twiml"] and rid not in call["Twiml"]
    assert not re.search(r"\d{6}", said[0])  # a call claims by keypress: no code said

    sid = f"CA{1:032x}"
    r = await twilio.callback("twilio-keypress", {"CallSid": sid, "Digits": "1",
                                                  "AccountSid": SID})
    assert r.status == 200 and r.content_type == "application/xml"
    answer = ElementTree.fromstring(await r.text()).find("Say")
    assert answer.get("language") == "es-US" and answer.text.startswith("Usted tomó")
    referral = await twilio.hub.store.referrals.get(rid)
    assert referral.claimed_by == "harbor-night" and referral.status.value == "requested"

    r = await twilio.callback("twilio-call", {"CallSid": sid, "CallStatus": "completed"})
    assert (r.status, await r.json()) == (200, {"result": "applied"})
    (notice,) = [n for n in await twilio.hub.store.notices.of_referral(rid)
                 if n.channel == "voice"]
    assert notice.delivery_status == "delivered"


async def test_another_key_claims_nothing_and_a_forged_keypress_is_refused(twilio) -> None:
    rid = await a_call_to_the_night_advocate(twilio)
    sid = f"CA{1:032x}"
    r = await twilio.callback("twilio-keypress", {"CallSid": sid, "Digits": "2"})
    assert r.status == 200 and "No se tomó nada" in await r.text()
    r = await twilio.callback("twilio-keypress", {"CallSid": sid, "Digits": "1"},
                              token="forged")
    assert r.status == 401
    assert (await twilio.hub.store.referrals.get(rid)).claimed_by is None


async def test_a_call_not_answered_moves_on_to_her_next_contact(twilio) -> None:
    rid = await a_call_to_the_night_advocate(twilio)
    r = await twilio.callback("twilio-call", {"CallSid": f"CA{1:032x}",
                                              "CallStatus": "no-answer"})
    assert (r.status, await r.json()) == (200, {"result": "undelivered"})
    await twilio.escalation.run_due()
    (text,) = twilio.escalation.sms.sent  # her SMS, with a code of its own
    assert text.to == NIGHT and re.search(r"Tomarla: responda \d{6}\.", text.text)
    notices = {n.channel: n for n in await twilio.hub.store.notices.of_referral(rid)
               if n.person == "harbor-night"}
    assert notices["voice"].status == "dead" and notices["sms"].status == "sent"


async def test_the_webhook_gateway_calls_and_takes_keypresses_in_json(
        tmp_path, aiohttp_client, aiohttp_server, store, clock, redis_url) -> None:
    call = await calling("webhook", tmp_path, aiohttp_client, aiohttp_server, store, clock,
                         redis_url)
    rid = await a_call_to_the_night_advocate(call)
    (placed,) = call.gateway.calls
    assert placed["to"] == NIGHT and placed["language"] == "es-US"
    assert placed["keypress_url"] == f"{BASE}/v1/reports/voice-keypress"
    assert placed["status_url"] == f"{BASE}/v1/reports/voice"
    assert "Marque 1" in placed["say"] and CANARY not in placed["say"]
    r = await call.signed("voice-keypress", {"id": "call-1", "digits": "1"})
    doc = await r.json()
    assert (r.status, doc["result"], doc["language"]) == (200, "claimed", "es-US")
    assert (await store.referrals.get(rid)).claimed_by == "harbor-night"
    r = await call.signed("voice", {"id": "call-1", "status": "busy"})
    assert (r.status, await r.json()) == (200, {"result": "undelivered"})

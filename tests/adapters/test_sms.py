"""The SMS adapters against a loopback aiohttp gateway prove: WebhookSms posts JSON
{to, body, idempotency_key} with a bearer token and TwilioSms posts Twilio's form fields
with basic auth and an Idempotency-Key header; both return the gateway's id, derive a
stable idempotency key from the notice key without revealing it, treat 429, 5xx, silence,
an unreachable or unreadable gateway as transient and any other refusal as permanent, and
refuse a text longer than one SMS segment before anything reaches the gateway. Also the
segment arithmetic of fits_one_segment (GSM-7 160 with extended characters counting two,
otherwise UCS-2 70)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from hub.adapters import senders_from_settings
from hub.adapters.base import Notice, PermanentSendError, Sent, TransientSendError
from hub.adapters.sms import TwilioSms, WebhookSms, fits_one_segment
from hub.config import Settings, load_settings
from hub.errors import ConfigError
from tests.adapters.loopback import LOOPBACK, free_port, make_notice

TOKEN = "webhook-token"
SID, AUTH_TOKEN, FROM = "AC0123456789abcdef", "twilio-secret", "+15005550006"
TIMEOUT = 0.5
KINDS = ["webhook", "twilio"]


def sms(key: str = "ref-1:g1:s0:r0:alice:sms", text: str = "CCR Hub: referral 0a1b2c3d") \
        -> Notice:
    return make_notice(key, to="+15551234567", text=text, html=None)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    json: dict | None
    form: dict[str, str] | None


@dataclass
class Gateway:
    """Records every request; answers ``status`` with ``answer`` (JSON unless a str);
    ``silent`` makes it never answer until the test ends."""

    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    status: int = 201
    answer: object = field(default_factory=lambda: {"id": "wh-42", "sid": "SM42"})
    silent: bool = False
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        is_json = request.content_type == "application/json"
        self.seen.append(Seen(request.path, dict(request.headers),
                              await request.json() if is_json else None,
                              None if is_json else dict(await request.post())))
        if self.silent:
            await self.release.wait()
        if isinstance(self.answer, str):
            return web.Response(status=self.status, text=self.answer)
        return web.json_response(self.answer, status=self.status)


@pytest.fixture
async def gateway(aiohttp_server) -> AsyncIterator[Gateway]:
    gw = Gateway()
    app = web.Application()
    app.router.add_post("/{tail:.*}", gw.handle)
    server = await aiohttp_server(app, host=LOOPBACK)
    gw.url = str(server.make_url("")).rstrip("/")
    yield gw
    gw.release.set()


@pytest.fixture
async def channel() -> AsyncIterator[Callable[..., WebhookSms | TwilioSms]]:
    """Build a channel of a kind towards a base URL; every one is closed afterwards."""
    made: list[WebhookSms | TwilioSms] = []

    def make(kind: str, base: str, timeout: float = 2) -> WebhookSms | TwilioSms:
        made.append(WebhookSms(f"{base}/send", TOKEN, timeout=timeout) if kind == "webhook"
                    else TwilioSms(base, SID, AUTH_TOKEN, FROM, timeout=timeout))
        return made[-1]

    yield make
    for c in made:
        await c.close()


def idempotency(seen: Seen) -> str:
    return seen.json["idempotency_key"] if seen.json else seen.headers["Idempotency-Key"]


# What the gateways receive


async def test_webhook_posts_json_with_a_bearer_token_and_returns_the_gateways_id(
        gateway, channel):
    notice = sms()
    assert await channel("webhook", gateway.url).send(notice) == Sent(provider_id="wh-42")
    [seen] = gateway.seen
    assert seen.path == "/send"
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    assert seen.json == {"to": notice.to, "body": notice.text,
                         "idempotency_key": idempotency(seen)}


async def test_twilio_posts_form_fields_with_basic_auth_and_returns_the_sid(gateway, channel):
    notice = sms()
    assert await channel("twilio", gateway.url).send(notice) == Sent(provider_id="SM42")
    [seen] = gateway.seen
    assert seen.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    auth = aiohttp.BasicAuth.decode(seen.headers["Authorization"])
    assert (auth.login, auth.password) == (SID, AUTH_TOKEN)
    assert seen.form == {"To": notice.to, "From": FROM, "Body": notice.text}
    assert re.fullmatch(r"[0-9a-f]{32}", seen.headers["Idempotency-Key"])


@pytest.mark.parametrize("kind", KINDS)
async def test_the_idempotency_key_follows_the_notice_key_without_revealing_it(
        gateway, channel, kind):
    text = channel(kind, gateway.url)
    keys = ["ref-1:g1:s0:r0:alice:sms", "ref-1:g1:s0:r0:alice:sms", "ref-1:g1:s1:r0:bob:sms"]
    for key in keys:
        await text.send(sms(key))
    sent = [idempotency(seen) for seen in gateway.seen]
    assert sent[0] == sent[1] != sent[2]
    for key, value in zip(keys, sent, strict=True):
        assert re.fullmatch(r"[0-9a-f]{32}", value)
        assert "ref-1" not in value and key not in value


# How failures are classified


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [429, 500, 503])
async def test_a_busy_or_failing_gateway_is_transient(gateway, channel, kind, status):
    gateway.status = status
    with pytest.raises(TransientSendError) as failed:
        await channel(kind, gateway.url).send(sms())
    assert failed.value.status == status


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [400, 401, 404])
async def test_a_refusing_gateway_is_permanent(gateway, channel, kind, status):
    gateway.status = status
    with pytest.raises(PermanentSendError) as failed:
        await channel(kind, gateway.url).send(sms())
    assert failed.value.status == status


@pytest.mark.parametrize("kind", KINDS)
async def test_a_gateway_that_never_answers_is_transient_within_the_timeout(
        gateway, channel, kind):
    gateway.silent = True
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TransientSendError):
        await channel(kind, gateway.url, timeout=TIMEOUT).send(sms())
    assert loop.time() - started < TIMEOUT + 1
    assert len(gateway.seen) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_nothing_listening_is_transient(channel, kind):
    with pytest.raises(TransientSendError):
        await channel(kind, f"http://{LOOPBACK}:{free_port()}").send(sms())


@pytest.mark.parametrize("kind", KINDS)
async def test_an_unreadable_answer_is_transient(gateway, channel, kind):
    gateway.status, gateway.answer = 200, "<html>queued</html>"
    with pytest.raises(TransientSendError):
        await channel(kind, gateway.url).send(sms())


@pytest.mark.parametrize("kind", KINDS)
async def test_a_json_answer_that_is_not_an_object_is_transient(gateway, channel, kind):
    gateway.status, gateway.answer = 200, ["queued"]
    with pytest.raises(TransientSendError):
        await channel(kind, gateway.url).send(sms())


@pytest.mark.parametrize("kind", KINDS)
async def test_a_text_longer_than_one_segment_is_refused_before_reaching_the_gateway(
        gateway, channel, kind):
    with pytest.raises(PermanentSendError):
        await channel(kind, gateway.url).send(sms(text="a" * 161))
    assert gateway.seen == []


# Segment arithmetic

GSM_LETTERS = "ñÑüÜäöÄÖàèéùìòÇØøÅåÆæßÉ¿¡"


@pytest.mark.parametrize("text, fits", [
    ("", True),
    ("a" * 160, True),
    ("a" * 161, False),
    ((GSM_LETTERS * 10)[:160], True),
    ("€" * 80, True),
    ("€" * 81, False),
    ("a" * 158 + "€", True),
    ("a" * 159 + "{", False),
    ("\n" * 160, True),
    ("ç" * 70, True),
    ("ç" * 71, False),
    ("á" * 70, True),
    ("a" * 70 + "á", False),
    ("😀" * 35, True),
    ("😀" * 36, False),
], ids=["empty", "160-gsm", "161-gsm", "160-gsm-letters", "80-euro", "81-euro",
        "158+euro", "159+brace", "160-newlines", "70-c-cedilla", "71-c-cedilla",
        "70-a-acute", "70+a-acute", "35-emoji", "36-emoji"])
def test_one_segment_is_160_gsm7_units_or_70_ucs2_units(text, fits):
    assert fits_one_segment(text) is fits


# Dev mode's SMS sink


async def test_the_dev_sms_sink_keeps_each_text_as_a_file_under_var_sms(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "var", sms_provider="sink")
    sink = senders_from_settings(settings)["sms"]
    sent = await sink.send(sms())
    again = await sink.send(sms())  # the same notice sent twice is kept once
    (kept,) = (tmp_path / "var" / "sms").iterdir()
    assert kept.read_text() == "To: +15551234567\n\nCCR Hub: referral 0a1b2c3d\n"
    assert sent == again and sent.provider_id.startswith("sink-")
    with pytest.raises(PermanentSendError, match="one segment"):
        await sink.send(sms(text="x" * 161))  # refused as a gateway would


def test_production_refuses_the_sms_sink(monkeypatch) -> None:
    monkeypatch.setenv("HUB_MODE", "production")
    monkeypatch.setenv("HUB_SMS_PROVIDER", "sink")
    with pytest.raises(ConfigError, match="dev mode only"):
        load_settings()

"""Voice calls through a gateway: Twilio's Calls API with inline TwiML, or a generic JSON
webhook (HUB_VOICE_PROVIDER). The call speaks the notice's voice.txt in the person's
language (content-free: the reference, the deadline) twice, and asks for a keypress: 1
claims the referral (voice_reports.py takes the keypress and the call's status, which is
its delivery report). A gateway's 429 or 5xx (or no answer) is transient, any other refusal
permanent."""

from __future__ import annotations

from typing import ClassVar
from xml.sax.saxutils import escape, quoteattr

import aiohttp

from hub.config import Settings, read_secret
from hub.reports import Inbound, Receiver

from .base import ContactField, Notice, Sent, Words
from .gateway import GatewayClient, idempotency_key
from .render import Rendered
from .sms_inbound import twiml
from .voice_reports import (
    SAY_LANGUAGE,
    TwilioCallReports,
    TwilioKeypresses,
    WebhookCallReports,
    WebhookKeypresses,
)


class VoiceCall(GatewayClient):
    """What every voice gateway shares; ``from_settings`` picks the provider's."""

    kind: ClassVar[str] = "voice"
    gateway: ClassVar[str] = "the voice gateway"
    contact_field: ClassVar[ContactField] = "number"
    contact_rule: ClassVar[str] = "a voice channel has a 'number' (E.164, e.g. +15555550100)"
    receivers: ClassVar[tuple[type[Receiver], ...]] = (WebhookCallReports, TwilioCallReports)
    inbound: ClassVar[tuple[type[Inbound], ...]] = (WebhookKeypresses, TwilioKeypresses)
    claims: ClassVar[bool] = True  # "Press 1 to claim it."

    @staticmethod
    def words(rendered: Rendered) -> Words:
        return Words(rendered.subject, rendered.part("voice.txt"))

    @classmethod
    def from_settings(cls, settings: Settings, book: object = None) -> VoiceCall | None:
        if not settings.voice_gateway_url:
            return None
        token = read_secret(settings.voice_token_file) or ""
        base = settings.public_base_url.rstrip("/")
        if settings.voice_provider == "twilio":
            return TwilioVoice(settings.voice_gateway_url, settings.voice_account_sid or "",
                               token, settings.voice_caller or "", base,
                               ring=settings.voice_ring_seconds)
        return WebhookVoice(settings.voice_gateway_url, token, base,
                            ring=settings.voice_ring_seconds)

    def __init__(self, public_base_url: str, ring: int, timeout: float):
        super().__init__(timeout)
        self._base = public_base_url
        self._ring = ring

    async def send(self, notice: Notice) -> Sent:
        raise NotImplementedError("each gateway calls in its own way")


class WebhookVoice(VoiceCall):
    """POST {"to", "say", "language", "keypress_url", "status_url", "ring_seconds",
    "idempotency_key"} with a bearer token; answers {"id": ...}. The gateway speaks ``say``,
    posts the keys pressed to ``keypress_url`` and the call's end to ``status_url``."""

    def __init__(self, url: str, token: str, public_base_url: str, *, ring: int = 30,
                 timeout: float = 10.0):
        super().__init__(public_base_url, ring, timeout)
        self._url, self._token = url, token

    async def send(self, notice: Notice) -> Sent:
        doc = await self._post(self._url, json={
            "to": notice.to, "say": notice.text,
            "language": SAY_LANGUAGE.get(notice.language, "en-US"),
            "keypress_url": f"{self._base}/v1/reports/{WebhookKeypresses.route}",
            "status_url": f"{self._base}/v1/reports/{WebhookCallReports.route}",
            "ring_seconds": self._ring, "idempotency_key": idempotency_key(notice.key)},
            headers={"Authorization": f"Bearer {self._token}"})
        return Sent(provider_id=str(doc.get("id", "")))


class TwilioVoice(VoiceCall):
    """Twilio's Calls API (or a compatible gateway): form fields, basic auth, the call's
    TwiML inline: <Gather> around the message said twice, its action our keypress route."""

    def __init__(self, base_url: str, account_sid: str, auth_token: str, caller: str,
                 public_base_url: str, *, ring: int = 30, timeout: float = 10.0):
        super().__init__(public_base_url, ring, timeout)
        self._url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Calls.json"
        self._authorization = aiohttp.encode_basic_auth(account_sid, auth_token)
        self._caller = caller

    def script(self, notice: Notice) -> str:
        """The call's TwiML: the message, a keypress gathered, the message once more."""
        lang = quoteattr(SAY_LANGUAGE.get(notice.language, "en-US"))
        action = quoteattr(f"{self._base}/v1/reports/{TwilioKeypresses.route}")
        said = f"<Say language={lang}>{escape(notice.text)}</Say>"
        return twiml(f'<Gather numDigits="1" timeout="8" action={action} method="POST">'
                     f"{said}{said}</Gather>")

    async def send(self, notice: Notice) -> Sent:
        doc = await self._post(self._url, data={
            "To": notice.to, "From": self._caller, "Twiml": self.script(notice),
            "Timeout": str(self._ring),
            "StatusCallback": f"{self._base}/v1/reports/{TwilioCallReports.route}",
            "StatusCallbackEvent": "completed"},
            headers={"Authorization": self._authorization,
                     "Idempotency-Key": idempotency_key(notice.key)})
        return Sent(provider_id=str(doc.get("sid", "")))

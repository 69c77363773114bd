"""SMS over an HTTP gateway with the aiohttp client: a generic JSON webhook and a
Twilio-compatible form API (HUB_SMS_PROVIDER), and in dev mode a sink that keeps texts as
files. A notice must fit one segment; a gateway's
429 or 5xx (or no answer) is transient, any other refusal permanent. Gateways report
delivery later through signed callbacks (sms_reports.py)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import aiohttp

from hub.config import Settings, read_secret
from hub.reports import Inbound, Receiver

from .base import ContactField, Notice, PermanentSendError, Sent, Words
from .gateway import GatewayClient, idempotency_key
from .render import Rendered
from .sms_inbound import TwilioReplies, WebhookReplies
from .sms_reports import TwilioReports, WebhookReports

GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLM"
           "NOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€")


def fits_one_segment(text: str) -> bool:
    if all(c in GSM7 or c in GSM7_EXTENDED for c in text):
        return sum(2 if c in GSM7_EXTENDED else 1 for c in text) <= 160
    return len(text.encode("utf-16-le")) // 2 <= 70


class SmsGateway(GatewayClient):
    """What every SMS gateway shares; ``from_settings`` picks the provider's."""

    kind: ClassVar[str] = "sms"
    gateway: ClassVar[str] = "the SMS gateway"
    contact_field: ClassVar[ContactField] = "number"
    contact_rule: ClassVar[str] = "an sms channel has a 'number' (E.164, e.g. +15555550100)"
    receivers: ClassVar[tuple[type[Receiver], ...]] = (WebhookReports, TwilioReports)
    inbound: ClassVar[tuple[type[Inbound], ...]] = (WebhookReplies, TwilioReplies)
    claims: ClassVar[bool] = True  # "Reply 123456 to claim."

    @staticmethod
    def words(rendered: Rendered) -> Words:
        return Words(rendered.subject, rendered.sms)  # one segment, no HTML

    @classmethod
    def from_settings(cls, settings: Settings, book: object = None) -> SmsGateway | None:
        if settings.sms_provider == "sink":
            return SmsSink(settings.data_dir / "sms")
        token = read_secret(settings.sms_token_file) or ""
        if not settings.sms_gateway_url:
            return None
        if settings.sms_provider == "twilio":
            return TwilioSms(settings.sms_gateway_url, settings.sms_account_sid or "", token,
                             settings.sms_sender or "")
        return WebhookSms(settings.sms_gateway_url, token)

    @staticmethod
    def _check(notice: Notice) -> None:
        if not fits_one_segment(notice.text):
            raise PermanentSendError("the SMS does not fit one segment")

    async def send(self, notice: Notice) -> Sent:
        raise NotImplementedError("each gateway sends in its own way")


class WebhookSms(SmsGateway):
    """POST {"to", "body", "idempotency_key"} with a bearer token; answers {"id": ...}."""

    def __init__(self, url: str, token: str, *, timeout: float = 10.0):
        super().__init__(timeout)
        self._url, self._token = url, token

    async def send(self, notice: Notice) -> Sent:
        self._check(notice)
        doc = await self._post(self._url, json={"to": notice.to, "body": notice.text,
                                                "idempotency_key": idempotency_key(notice.key)},
                               headers={"Authorization": f"Bearer {self._token}"})
        return Sent(provider_id=str(doc.get("id", "")))


class TwilioSms(SmsGateway):
    """Twilio's Messages API (or a compatible gateway): form fields, basic auth."""

    def __init__(self, base_url: str, account_sid: str, auth_token: str, sender: str, *,
                 timeout: float = 10.0):
        super().__init__(timeout)
        self._url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._authorization = aiohttp.encode_basic_auth(account_sid, auth_token)
        self._sender = sender

    async def send(self, notice: Notice) -> Sent:
        self._check(notice)
        doc = await self._post(self._url, data={"To": notice.to, "From": self._sender,
                                                "Body": notice.text},
                               headers={"Authorization": self._authorization,
                                        "Idempotency-Key": idempotency_key(notice.key)})
        return Sent(provider_id=str(doc.get("sid", "")))


class SmsSink(SmsGateway):
    """Development only (HUB_SMS_PROVIDER=sink, which `hub run` chooses when no gateway is
    set): every text is kept as a file under var/sms/, beside the mail sink's var/mail/,
    so texts can be read without sending anything anywhere. A text is checked as a
    gateway would (one segment) and kept once per idempotency key."""

    def __init__(self, directory: Path):
        super().__init__(timeout=1.0)
        self.directory = directory

    async def send(self, notice: Notice) -> Sent:
        self._check(notice)
        key = idempotency_key(notice.key)
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / f"{key}.txt").write_text(f"To: {notice.to}\n\n{notice.text}\n")
        return Sent(provider_id=f"sink-{key}")


"""Delivery reports from the SMS gateways: each gateway's signed callback, how its signature
is checked, and what it says in the hub's words (hub/reports.py). Only the gateway the hub
sends through (HUB_SMS_PROVIDER) is taken, and only with its secret; applying a report is
the deliveries service's business."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

from hub.config import Settings, read_secret
from hub.reports import DeliveryStatus, Received, Report

MISSING = ("this hub takes no delivery reports from a {} gateway: set HUB_SMS_PROVIDER and "
           "its secret file")


def webhook_signature(secret: str, body: bytes) -> str:
    """The generic gateway's signature: HMAC-SHA256 of the raw body, in hex."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_webhook_signature(secret: str, body: bytes, signature_hex: str) -> bool:
    return hmac.compare_digest(webhook_signature(secret, body), signature_hex)


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 of the full URL followed by every form field
    (sorted by name, name then value), base64-encoded."""
    signed = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1)
                            .digest()).decode()


def verify_twilio_signature(auth_token: str, url: str, params: Mapping[str, str],
                            signature: str) -> bool:
    return hmac.compare_digest(twilio_signature(auth_token, url, params), signature)


class SmsReport(BaseModel):
    """The generic gateway's delivery report, signed with X-Hub-Signature-256."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9._:-]{1,128}$", description="the gateway's message id")
    status: DeliveryStatus
    error: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9 ._-]*$")


class TwilioReport(BaseModel):
    """Twilio's status callback (form fields; the others it sends are ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    MessageSid: str = Field(pattern=r"^(SM|MM)[0-9a-fA-F]{32}$")
    MessageStatus: DeliveryStatus
    ErrorCode: str = Field("", pattern=r"^[0-9]{0,8}$")


class Signed:
    """A gateway's reports, taken when the hub sends through it (HUB_SMS_PROVIDER) and
    holds the secret that signs them (the setting ``secret_file`` names). Its subclasses
    are hub/reports.py's Receiver or Inbound, whose class variables they set."""

    route: ClassVar[str]
    summary: ClassVar[str]
    called: ClassVar[str]
    form: ClassVar[bool]
    schema: ClassVar[type[BaseModel]]
    missing: ClassVar[str]
    provider = ""
    provider_setting = "sms_provider"  # the setting that names the provider sent through
    secret_file = ""

    def __init__(self, secret: str | None):
        self.secret = secret

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        taken = getattr(settings, cls.provider_setting) == cls.provider
        return cls(read_secret(getattr(settings, cls.secret_file)) if taken else None)

    @property
    def configured(self) -> bool:
        return bool(self.secret)


class WebhookReports(Signed):
    route = "sms"
    summary = ("A delivery report from the SMS webhook gateway (X-Hub-Signature-256: "
               "sha256=<hex HMAC of the body>)")
    called = "the SMS gateway's delivery report"
    form = False
    schema: ClassVar[type[BaseModel]] = SmsReport
    provider = "webhook"
    secret_file = "sms_report_secret_file"  # an HMAC secret shared with the gateway
    missing = MISSING.format(provider)

    def signed(self, received: Received) -> bool:
        signature = received.headers.get("X-Hub-Signature-256", "").removeprefix("sha256=")
        return verify_webhook_signature(self.secret or "", received.body, signature)

    @staticmethod
    def read(parsed: SmsReport) -> Report:
        return Report(parsed.id, parsed.status, parsed.error)


class TwilioReports(Signed):
    route = "twilio"
    summary = "A Twilio status callback (X-Twilio-Signature)"
    called = "Twilio's status callback"
    form = True
    schema: ClassVar[type[BaseModel]] = TwilioReport
    provider = "twilio"
    secret_file = "sms_token_file"  # Twilio signs with the account's auth token
    missing = MISSING.format(provider)

    def signed(self, received: Received) -> bool:
        return verify_twilio_signature(self.secret or "", received.url, received.form,
                                       received.headers.get("X-Twilio-Signature", ""))

    @staticmethod
    def read(parsed: TwilioReport) -> Report:
        return Report(parsed.MessageSid, parsed.MessageStatus, parsed.ErrorCode)

"""What comes back from a voice gateway about a call: its status callbacks, which are
delivery reports (a call answered is delivered; busy, not answered or failed moves the
notice on to the person's next contact), and the keys the person pressed (the call's
Gather callback: 1 claims). Signed like the SMS gateways' (sms_reports.py), taken only from
the provider the hub calls through (HUB_VOICE_PROVIDER), with its secret."""

from __future__ import annotations

import json
from typing import ClassVar, Literal
from xml.sax.saxutils import escape, quoteattr

from pydantic import BaseModel, ConfigDict, Field

from hub.reports import DeliveryStatus, Report, Said

from .sms_inbound import twiml
from .sms_reports import Signed, TwilioReports, WebhookReports

MISSING = ("this hub takes no call reports from a {} voice gateway: set HUB_VOICE_PROVIDER "
           "and its secret file")
CallStatus = Literal["queued", "initiated", "ringing", "in-progress", "completed", "busy",
                     "no-answer", "failed", "canceled"]
# A call's status in the hub's words: answered is delivered; the rest is how far it got.
AS_DELIVERY: dict[str, DeliveryStatus] = {
    "queued": "queued", "initiated": "queued", "ringing": "sending", "in-progress": "sent",
    "completed": "delivered", "busy": "undelivered", "no-answer": "undelivered",
    "failed": "failed", "canceled": "canceled"}
SAY_LANGUAGE = {"en": "en-US", "es": "es-US"}
CALL_ID = r"^[A-Za-z0-9._:-]{1,128}$"


class CallReport(BaseModel):
    """The generic voice gateway's call report (JSON, X-Hub-Signature-256)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=CALL_ID, description="the gateway's call id")
    status: CallStatus


class Keypress(BaseModel):
    """The generic voice gateway's keypress (JSON, X-Hub-Signature-256)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=CALL_ID, description="the gateway's call id")
    digits: str = Field(pattern=r"^[0-9*#]{0,8}$", description="the keys pressed")


class TwilioCallStatus(BaseModel):
    """Twilio's call status callback (form fields; the others it sends are ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    CallSid: str = Field(pattern=r"^CA[0-9a-fA-F]{32}$")
    CallStatus: CallStatus


class TwilioGather(BaseModel):
    """Twilio's <Gather> action callback: the keys pressed on the call."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    CallSid: str = Field(pattern=r"^CA[0-9a-fA-F]{32}$")
    Digits: str = Field("", pattern=r"^[0-9*#]{0,8}$")


class _Voice(Signed):
    provider_setting = "voice_provider"


class WebhookCallReports(_Voice, WebhookReports):
    route = "voice"
    summary = ("A call report from the voice webhook gateway (X-Hub-Signature-256): "
               "completed is delivered; busy, no-answer or failed moves to the next contact")
    called = "the voice gateway's call report"
    schema: ClassVar[type[BaseModel]] = CallReport
    secret_file = "voice_report_secret_file"
    missing = MISSING.format("webhook")

    @staticmethod
    def read(parsed: CallReport) -> Report:  # type: ignore[override]
        return Report(parsed.id, AS_DELIVERY[parsed.status], "")


class TwilioCallReports(_Voice, TwilioReports):
    route = "twilio-call"
    summary = "Twilio's call status callback (X-Twilio-Signature)"
    called = "Twilio's call status callback"
    schema: ClassVar[type[BaseModel]] = TwilioCallStatus
    secret_file = "voice_token_file"
    missing = MISSING.format("twilio")

    @staticmethod
    def read(parsed: TwilioCallStatus) -> Report:  # type: ignore[override]
        status = AS_DELIVERY[parsed.CallStatus]
        return Report(parsed.CallSid, status, parsed.CallStatus if status in (
            "undelivered", "failed") else "")


class WebhookKeypresses(WebhookCallReports):
    route = "voice-keypress"
    summary = ("Keys pressed on a call, from the voice webhook gateway "
               "(X-Hub-Signature-256): 1 claims; answered with {\"result\", \"say\"}")
    called = "the voice gateway's keypress"
    schema: ClassVar[type[BaseModel]] = Keypress

    @staticmethod
    def read(parsed: Keypress) -> Said:  # type: ignore[override]
        return Said(parsed.digits, call=parsed.id)

    @staticmethod
    def respond(outcome: str, words: str, language: str) -> tuple[str, str]:
        return json.dumps({"result": outcome, "say": words,
                           "language": SAY_LANGUAGE.get(language, "en-US")}), \
            "application/json"


class TwilioKeypresses(TwilioCallReports):
    route = "twilio-keypress"
    summary = ("Twilio's <Gather> callback on a call (X-Twilio-Signature): 1 claims; "
               "answered with TwiML <Say>")
    called = "Twilio's keypress callback"
    schema: ClassVar[type[BaseModel]] = TwilioGather

    @staticmethod
    def read(parsed: TwilioGather) -> Said:  # type: ignore[override]
        return Said(parsed.Digits, call=parsed.CallSid)

    @staticmethod
    def respond(outcome: str, words: str, language: str) -> tuple[str, str]:
        return say(words, language), "application/xml"


def say(words: str, language: str, inner: str = "") -> str:
    """TwiML that speaks ``words`` in ``language`` (the hub's code: en, es)."""
    lang = quoteattr(SAY_LANGUAGE.get(language, "en-US"))
    return twiml(f"<Say language={lang}>{escape(words)}</Say>{inner}")

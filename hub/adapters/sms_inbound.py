"""Text messages people send back to a notice (a claim code, or "1"), from each SMS
gateway: signed like its delivery reports (sms_reports.py), read in the hub's words
(hub/reports.py Said), answered in the gateway's own form with a short content-free text
the gateway sends back to the person. What a reply claims is services/claims.py's."""

from __future__ import annotations

import json
from typing import ClassVar
from xml.sax.saxutils import escape

from pydantic import BaseModel, ConfigDict, Field

from hub.reports import Said

from .sms_reports import MISSING, TwilioReports, WebhookReports

NUMBER = r"^\+?[0-9]{3,16}$"


class SmsReply(BaseModel):
    """The generic gateway's inbound message (JSON, X-Hub-Signature-256)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    sender: str = Field(alias="from", pattern=NUMBER, description="the number it came from")
    text: str = Field(max_length=1600, description="what the person wrote")
    id: str = Field("", pattern=r"^[A-Za-z0-9._:-]{0,128}$", description="the gateway's id")


class TwilioReply(BaseModel):
    """Twilio's incoming-message webhook (form fields; the others it sends are ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    From: str = Field(pattern=NUMBER)
    Body: str = Field("", max_length=1600)
    MessageSid: str = Field(pattern=r"^(SM|MM)[0-9a-fA-F]{32}$")


class WebhookReplies(WebhookReports):
    route = "sms-inbound"
    summary = ("A text message replying to a notice, from the SMS webhook gateway "
               "(X-Hub-Signature-256): a claim code or \"1\" claims; answered with "
               "{\"result\", \"reply\"}, the text to send back")
    called = "the SMS gateway's inbound message"
    schema: ClassVar[type[BaseModel]] = SmsReply
    missing = MISSING.format("webhook")

    @staticmethod
    def read(parsed: SmsReply) -> Said:  # type: ignore[override]
        return Said(parsed.text, sender=parsed.sender)

    @staticmethod
    def respond(outcome: str, words: str, language: str) -> tuple[str, str]:
        return json.dumps({"result": outcome, "reply": words}), "application/json"


class TwilioReplies(TwilioReports):
    route = "twilio-inbound"
    summary = ("Twilio's incoming-message webhook (X-Twilio-Signature): a claim code or "
               "\"1\" claims; answered with TwiML <Message> holding the text sent back")
    called = "Twilio's incoming message"
    schema: ClassVar[type[BaseModel]] = TwilioReply
    missing = MISSING.format("twilio")

    @staticmethod
    def read(parsed: TwilioReply) -> Said:  # type: ignore[override]
        return Said(parsed.Body, sender=parsed.From)

    @staticmethod
    def respond(outcome: str, words: str, language: str) -> tuple[str, str]:
        return twiml(f"<Message>{escape(words)}</Message>"), "application/xml"


def twiml(inner: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'

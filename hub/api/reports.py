"""Delivery reports as the SMS gateways send them: their bodies, and how far each status a
gateway reports means a message got. A report is applied only when it is further along than
the last one, so a repeated or late report changes nothing."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .schemas import Body

DeliveryStatus = Literal["accepted", "scheduled", "queued", "sending", "sent", "delivered",
                         "undelivered", "failed", "canceled", "read"]
PROGRESS: dict[str, int] = {  # every DeliveryStatus, by how far the message got
    "accepted": 1, "scheduled": 1, "queued": 1, "sending": 2, "sent": 3, "delivered": 4,
    "undelivered": 4, "failed": 4, "canceled": 4, "read": 5}
UNDELIVERED = frozenset({"undelivered", "failed", "canceled"})  # the text did not arrive


class SmsReport(Body):
    """The generic gateway's delivery report, signed with X-Hub-Signature-256."""

    id: str = Field(pattern=r"^[A-Za-z0-9._:-]{1,128}$", description="the gateway's message id")
    status: DeliveryStatus
    error: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9 ._-]*$")


class TwilioReport(BaseModel):
    """Twilio's status callback (form fields; the others it sends are ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    MessageSid: str = Field(pattern=r"^(SM|MM)[0-9a-fA-F]{32}$")
    MessageStatus: DeliveryStatus
    ErrorCode: str = Field("", pattern=r"^[0-9]{0,8}$")

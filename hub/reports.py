"""Delivery reports, as the adapters and the deliveries service both see them: the hub's
words for how far a message got (and their order), a provider's callback as it arrived, and
what a receiver of one provider's reports declares. The adapters read and verify their
providers' reports (hub/adapters); services/deliveries.py applies them; the web turns each
receiver into a route (POST /v1/reports/{route})."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel

if TYPE_CHECKING:
    from hub.config import Settings

DeliveryStatus = Literal["accepted", "scheduled", "queued", "sending", "sent", "delivered",
                         "undelivered", "failed", "canceled", "read"]

# How far a message got. A report is applied only when it is further along than the last one,
# so a repeated or late report changes nothing.
PROGRESS = {"accepted": 1, "scheduled": 1, "queued": 1, "sending": 2, "sent": 3,
            "delivered": 4, "undelivered": 4, "failed": 4, "canceled": 4, "read": 5}
UNDELIVERED = frozenset({"undelivered", "failed", "canceled"})


@dataclass(frozen=True)
class Received:
    """A provider's callback as it arrived, before its signature is checked: the raw body,
    the form fields (when it posted a form), the public URL it was sent to, its headers."""

    body: bytes
    form: Mapping[str, str]
    url: str
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Report:
    """One report, in the hub's words: the provider's message id, how far it got, and the
    provider's error code (if any)."""

    message_id: str
    status: DeliveryStatus
    error: str = ""


class Receiver(Protocol):
    """Where one provider's delivery reports come in (POST /v1/reports/{route}), how they are
    signed, and what they say. Built from the settings whether or not the hub takes them:
    an unconfigured receiver answers 404 with ``missing``, which says what to set."""

    route: ClassVar[str]
    summary: ClassVar[str]  # the route's line in /v1/openapi.json
    called: ClassVar[str]  # what a report is called, in messages ("Twilio's status callback")
    form: ClassVar[bool]  # posted as a form (True) or as JSON
    schema: ClassVar[type[BaseModel]]  # the report's fields, validated before reading them
    missing: ClassVar[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> Receiver: ...

    @property
    def configured(self) -> bool: ...

    def signed(self, received: Received) -> bool:
        """Whether the provider's signature over ``received`` matches its secret."""

    @staticmethod
    def read(parsed: Any) -> Report:
        """The report in the hub's words, from the fields ``schema`` validated."""


@dataclass(frozen=True)
class Said:
    """What a person answered through a channel, in the hub's words: a text message from a
    number, or keys pressed on a call (``call``: the provider's id of the call)."""

    text: str
    sender: str = ""
    call: str = ""


class Inbound(Protocol):
    """Where people's answers come in through one provider (POST /v1/reports/{route}): a
    text message replying to a notice, or a keypress on a call. Signed like its delivery
    reports; the answer goes back in the provider's own form (``respond``)."""

    route: ClassVar[str]
    summary: ClassVar[str]
    called: ClassVar[str]
    form: ClassVar[bool]
    schema: ClassVar[type[BaseModel]]
    missing: ClassVar[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> Inbound: ...

    @property
    def configured(self) -> bool: ...

    def signed(self, received: Received) -> bool: ...

    @staticmethod
    def read(parsed: Any) -> Said:
        """What the person said, from the fields ``schema`` validated."""

    @staticmethod
    def respond(outcome: str, words: str, language: str) -> tuple[str, str]:
        """The answer's body and content type: ``words`` to send back or speak."""

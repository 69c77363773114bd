"""What every channel adapter takes and how it fails. A `Notice` is already rendered and
content-free: an opaque reference, an agency, a deadline, a level and a link; never
anything from inside an envelope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Notice:
    key: str  # idempotency key: referral, generation, step, round, recipient, channel
    to: str  # an email address or an E.164 phone number
    subject: str  # email only
    text: str  # plain text (email body, or the SMS itself)
    html: str | None = None  # email only


@dataclass(frozen=True)
class Sent:
    """The channel accepted the notice; ``provider_id`` is its id for status callbacks."""

    provider_id: str


class SendError(Exception):
    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class TransientSendError(SendError):
    """Try again later (timeouts, 4xx SMTP replies, 429 and 5xx from a gateway); no sooner
    than ``retry_after`` seconds when the provider said so."""

    def __init__(self, message: str, *, status: int | None = None,
                 retry_after: float | None = None):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """Retrying will not help (5xx SMTP replies, a rejected number, bad credentials)."""


class Channel(Protocol):
    kind: str  # "email" or "sms"

    async def send(self, notice: Notice) -> Sent:
        """Deliver one notice or raise TransientSendError / PermanentSendError."""

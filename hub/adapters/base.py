"""What every channel adapter (a `Sender`) takes, declares and how it fails. A `Notice` is
already rendered and content-free: an opaque reference, an agency, a deadline, a level and a
link; never anything from inside an envelope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

if TYPE_CHECKING:
    from hub.config import Settings
    from hub.reports import Inbound, Receiver

    from .push import SubscriptionBook
    from .render import Rendered


@dataclass(frozen=True)
class Notice:
    key: str  # idempotency key: referral, generation, step, round, recipient, channel
    to: str  # an email address or an E.164 phone number
    subject: str  # email only
    text: str  # plain text (email body, or the SMS itself)
    html: str | None = None  # email only
    language: str = "en"  # what the text is written in (a call speaks it in that language)


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


@dataclass(frozen=True)
class Words:
    """What one channel sends of a rendered notice: a subject, its text, and HTML (or None)."""

    subject: str
    text: str
    html: str | None = None


ContactField = Literal["address", "number", "person"]  # person: no address, their browsers


class Sender(Protocol):
    """A channel's adapter (hub/adapters/__init__.py SENDERS names them by kind).

    What differs between channels is declared on the class, so it holds for a channel this
    process does not send on (a notice committed for the workers to send, or to dead-letter
    when no adapter is configured): which field of a person's Contact it sends to and what a
    contact of its kind needs, which rendered text it sends, the delivery reports it takes.
    An instance, made from the settings, sends."""

    kind: ClassVar[str]  # a person's contacts name it: { kind = "sms", number = "+1..." }
    contact_field: ClassVar[ContactField]  # person: no address
    contact_rule: ClassVar[str]  # what a contact of this kind needs, in plain words
    receivers: ClassVar[tuple[type[Receiver], ...]]  # its delivery reports (none: none)
    inbound: ClassVar[tuple[type[Inbound], ...]]  # what people answer through it (claims)
    claims: ClassVar[bool]  # its notices carry a claim code (a reply or keypress claims)

    @staticmethod
    def words(rendered: Rendered) -> Words:
        """The parts of a rendered notice this channel sends."""

    @classmethod
    def from_settings(cls, settings: Settings, book: SubscriptionBook | None = None
                      ) -> Sender | None:
        """This channel's adapter as the settings configure it (None: not configured);
        ``book`` holds people's push subscriptions, for a channel that needs them."""

    async def send(self, notice: Notice) -> Sent:
        """Deliver one notice or raise TransientSendError / PermanentSendError."""

    async def close(self) -> None:
        """Close what it keeps open (sessions to the mail server or the gateway)."""

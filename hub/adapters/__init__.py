"""The channel adapters: content-free notices rendered from templates/notices/ and sent by
email, SMS, a voice call or web push, the delivery reports their providers send back, and
what people answer through them (INBOUND: a claim by text reply or keypress). They know nothing of
referrals.

SENDERS names each channel's adapter by its kind (the ``kind`` of a person's contacts);
each declares what differs between channels (base.py Sender). RECEIVERS names every
provider's delivery-report receiver by its route (POST /v1/reports/{route}). A new channel
is a module here, a line in SENDERS, its templates and its settings (docs/architecture.md,
"Adding a notice channel")."""

from __future__ import annotations

from hub.config import Settings
from hub.reports import Inbound, Receiver

from .base import Sender
from .email import EmailSender
from .push import SubscriptionBook, WebPush
from .sms import SmsGateway
from .voice import VoiceCall

SENDERS: dict[str, type[Sender]] = {s.kind: s for s in (EmailSender, SmsGateway, VoiceCall,
                                                         WebPush)}
RECEIVERS: dict[str, type[Receiver]] = {r.route: r for s in SENDERS.values()
                                        for r in s.receivers}
INBOUND: dict[str, type[Inbound]] = {r.route: r for s in SENDERS.values() for r in s.inbound}


def senders_from_settings(settings: Settings, book: SubscriptionBook | None = None
                          ) -> dict[str, Sender]:
    """The adapters this process sends with: every channel its settings configure (web
    push also needs the ``book`` of people's subscriptions, services/push.py)."""
    made = {kind: sender.from_settings(settings, book) for kind, sender in SENDERS.items()}
    return {kind: sender for kind, sender in made.items() if sender is not None}


def receivers_from_settings(settings: Settings) -> dict[str, Receiver | Inbound]:
    """Every provider's report and answer receiver, each taking them only when configured."""
    return {route: receiver.from_settings(settings)
            for route, receiver in (RECEIVERS | INBOUND).items()}

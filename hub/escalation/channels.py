"""The channel adapters this process delivers with, from its settings."""

from __future__ import annotations

from hub.config import Settings
from hub.notify.base import Channel


def _secret(path) -> str | None:
    return path.read_text().strip() if path else None


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    from hub.notify.email import EmailChannel
    from hub.notify.sms import WebhookSms

    channels: dict[str, Channel] = {"email": EmailChannel(
        settings.smtp_host, settings.smtp_port, sender=settings.smtp_sender,
        username=settings.smtp_username, password=_secret(settings.smtp_password_file),
        start_tls=settings.smtp_starttls)}
    if settings.sms_gateway_url:
        channels["sms"] = WebhookSms(settings.sms_gateway_url,
                                     _secret(settings.sms_token_file) or "")
    return channels

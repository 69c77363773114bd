"""The channel adapters this process delivers with, from its settings."""

from __future__ import annotations

from hub.adapters.base import Channel
from hub.config import Settings, read_secret


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    from hub.adapters.email import EmailChannel
    from hub.adapters.sms import TwilioSms, WebhookSms

    channels: dict[str, Channel] = {"email": EmailChannel(
        settings.smtp_host, settings.smtp_port, sender=settings.smtp_sender,
        username=settings.smtp_username, password=read_secret(settings.smtp_password_file),
        start_tls=settings.smtp_starttls, use_tls=settings.smtp_implicit_tls,
        ca_file=settings.smtp_ca_file)}
    token = read_secret(settings.sms_token_file) or ""
    if settings.sms_gateway_url and settings.sms_provider == "twilio":
        channels["sms"] = TwilioSms(settings.sms_gateway_url, settings.sms_account_sid or "",
                                    token, settings.sms_sender or "")
    elif settings.sms_gateway_url:
        channels["sms"] = WebhookSms(settings.sms_gateway_url, token)
    return channels

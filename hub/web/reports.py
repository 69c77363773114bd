"""Delivery reports from the SMS gateway. No token: each report is authenticated by the
gateway's signature over exactly what it sent, and a bad signature is refused and audited."""

from __future__ import annotations

from aiohttp import web

from hub.config import read_secret
from hub.errors import NotFound, Unauthorized
from hub.notify.sms import verify_twilio_signature, verify_webhook_signature

from . import schemas as s
from .context import SETTINGS, body, services, validated


def _secret(request: web.Request, provider: str) -> str:
    settings = request.app[SETTINGS]
    path = settings.sms_report_secret_file if provider == "webhook" else settings.sms_token_file
    secret = read_secret(path) if settings.sms_provider == provider else None
    if not secret:
        raise NotFound(f"this hub takes no delivery reports from a {provider} gateway: set "
                       "HUB_SMS_PROVIDER and its secret file", code="reports_not_configured")
    return secret


async def _refuse(request: web.Request) -> None:
    await services(request).auditor.record(None, "notice.report", outcome="bad_signature")
    raise Unauthorized("the report's signature does not match: sign it with the shared secret",
                       code="bad_signature")


async def _apply(request: web.Request, provider_id: str, status: str, error: str
                 ) -> web.Response:
    result = await services(request).deliveries.apply(provider_id, status, error)
    return web.json_response({"result": result})


async def webhook_report(request: web.Request) -> web.Response:
    secret = _secret(request, "webhook")
    signature = request.headers.get("X-Hub-Signature-256", "").removeprefix("sha256=")
    if not verify_webhook_signature(secret, await request.read(), signature):
        await _refuse(request)
    report = await body(request, s.SmsReport)
    return await _apply(request, report.id, report.status, report.error)


async def twilio_report(request: web.Request) -> web.Response:
    secret = _secret(request, "twilio")
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    url = request.app[SETTINGS].public_base_url.rstrip("/") + request.path_qs
    if not verify_twilio_signature(secret, url, form,
                                   request.headers.get("X-Twilio-Signature", "")):
        await _refuse(request)
    report = validated(s.TwilioReport, form)
    return await _apply(request, report.MessageSid, report.MessageStatus, report.ErrorCode)

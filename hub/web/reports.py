"""Delivery reports from the SMS gateway. No token: the service checks the gateway's
signature over exactly what it sent before anything is read or applied."""

from __future__ import annotations

from aiohttp import web

from hub.api.codes import Codes
from hub.api.reports import SmsReport, TwilioReport
from hub.errors import BadRequest

from .context import SETTINGS, body, services, validated

FORM = "application/x-www-form-urlencoded"


async def webhook_report(request: web.Request) -> web.Response:
    reports = services(request).deliveries
    signature = request.headers.get("X-Hub-Signature-256", "").removeprefix("sha256=")
    await reports.check_webhook(await request.read(), signature)
    report = await body(request, SmsReport)
    result = await reports.apply(report.id, report.status, report.error)
    return web.json_response({"result": result})


async def twilio_report(request: web.Request) -> web.Response:
    reports = services(request).deliveries
    if request.content_type != FORM:
        raise BadRequest(f"send Twilio's status callback as {FORM}", code=Codes.BAD_CONTENT_TYPE)
    try:
        posted = await request.post()
    except (ValueError, LookupError):  # a charset Python does not know, undecodable bytes
        raise BadRequest("the body is not a readable form", code=Codes.BAD_FORM) from None
    form = {k: v for k, v in posted.items() if isinstance(v, str)}
    url = request.app[SETTINGS].public_base_url.rstrip("/") + request.path_qs
    await reports.check_twilio(url, form, request.headers.get("X-Twilio-Signature", ""))
    report = validated(TwilioReport, form)
    result = await reports.apply(report.MessageSid, report.MessageStatus, report.ErrorCode)
    return web.json_response({"result": result})

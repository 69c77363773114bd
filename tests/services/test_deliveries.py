"""DeliveryReports: an SMS gateway's report is read only under the signature of the gateway
this hub is set up for (a bad one refused and audited), matched to the notice by the
gateway's message id, and applied only when further along than the last; a text the
carrier could not deliver sends the escalation on to the person's next channel."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import get_args

import pytest

from hub.adapters.sms_reports import TwilioReports, WebhookReports
from hub.errors import NotFound, Unauthorized
from hub.reports import PROGRESS, UNDELIVERED, DeliveryStatus, Received

from .conftest import HOUR, Rig

SECRET = "report-secret"


@dataclass(frozen=True)
class Accepted:
    provider_id: str  # the gateway's id of the message, which its reports name


@dataclass
class Gateway:
    """A channel that accepts every notice, numbering them as a gateway would."""

    kind: str
    sent: list[str] = field(default_factory=list)

    async def send(self, notice) -> Accepted:
        self.sent.append(notice.to)
        return Accepted(f"{self.kind}-{len(self.sent)}")


def signed(body: bytes, signature_of: bytes | None = None) -> Received:
    """A generic gateway's report as it arrives, signed over ``signature_of`` (its body)."""
    digest = hmac.new(SECRET.encode(), body if signature_of is None else signature_of,
                      hashlib.sha256).hexdigest()
    return Received(body, {}, "https://hub.test/v1/reports/sms",
                    {"X-Hub-Signature-256": f"sha256={digest}"})


async def _texted(rig: Rig) -> Gateway:
    """A referral left unacknowledged for an hour: its backups are told, one by text."""
    sms = Gateway("sms")
    engine = rig.services.engine({"email": Gateway("email"), "sms": sms}, "https://hub.test")
    await rig.submit()
    rig.clock.advance(HOUR)
    store = rig.store
    for _ in range(5):
        now = rig.clock.now()
        for member, _ in await store.timers.claim(store.keys.deadlines(), now, 60, 100):
            await engine.fire(member)
        for member, _ in await store.timers.claim(store.keys.deliveries(), now, 60, 100):
            await engine.deliver(member)
    assert sms.sent, "no text went out"
    return sms


def test_every_status_a_gateway_may_report_has_a_progress() -> None:
    assert set(get_args(DeliveryStatus)) == set(PROGRESS) and set(PROGRESS) >= UNDELIVERED


async def test_a_hub_without_the_gateways_secret_takes_no_reports(rig: Rig) -> None:
    reports = rig.services.deliveries
    reports.receivers = {"sms": WebhookReports(None), "twilio": TwilioReports(None)}
    with pytest.raises(NotFound) as refused:
        await reports.check("sms", signed(b"{}"))
    assert refused.value.code == "reports_not_configured"
    reports.receivers = {"sms": WebhookReports(SECRET), "twilio": TwilioReports(None)}
    with pytest.raises(NotFound):  # the twilio gateway's reports, on a webhook hub
        await reports.check("twilio", Received(b"", {}, "https://hub.test/v1/reports/twilio",
                                               {"X-Twilio-Signature": "x"}))


async def test_a_report_under_a_bad_signature_is_refused_and_audited(rig: Rig) -> None:
    reports = rig.services.deliveries
    reports.receivers = {"sms": WebhookReports(SECRET)}
    body = b'{"id": "sms-1", "status": "delivered"}'
    await reports.check("sms", signed(body))
    with pytest.raises(Unauthorized) as refused:
        await reports.check("sms", signed(body + b" ", signature_of=body))
    assert refused.value.code == "bad_signature"
    assert await rig.audited("notice.report") == ["bad_signature"]


async def test_a_report_is_applied_only_when_further_along(rig: Rig) -> None:
    await _texted(rig)
    reports = rig.services.deliveries
    assert await reports.apply("sms-1", "sent") == "applied"
    assert await reports.apply("sms-1", "queued") == "ignored"  # late: already further
    assert await reports.apply("sms-1", "delivered") == "applied"
    assert await reports.apply("sms-1", "delivered") == "ignored"
    with pytest.raises(NotFound) as unknown:
        await reports.apply("sms-999", "delivered")
    assert unknown.value.code == "unknown_message"


async def test_an_undelivered_text_sends_the_notice_on_to_the_next_channel_now(
        rig: Rig) -> None:
    await _texted(rig)
    [nid] = await rig.store.notices.sent_as("sms-1")
    assert await rig.services.deliveries.apply("sms-1", "undelivered", "30003") == \
        "undelivered"
    notice = await rig.store.notices.get(nid)
    assert notice is not None
    assert (notice.status, notice.delivery_status) == ("dead", "undelivered")
    assert await rig.store.timers.due(rig.store.keys.deliveries(), nid) == rig.clock.now()
    events = [e for e in await rig.store.audit.events() if e.action.startswith("notice.report")]
    assert [e.action for e in events] == ["notice.report.undelivered"]

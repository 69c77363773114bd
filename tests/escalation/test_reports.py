"""Delivery reports from the SMS gateway: signed, matched to the notice by the gateway's
message id, applied only when further along than the last one, and a text the carrier could
not deliver flags the referral for the coordinators when the person has no other channel."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.adapters.sms_reports import (
    twilio_signature,
    verify_twilio_signature,
    webhook_signature,
)
from hub.build import build_services
from hub.config import Settings
from hub.store.outbox import NoticeRecord
from hub.web.app import create_app

from .test_ladder import HOUR, NIGHT, submit

SECRET = "report-secret"
BASE = "https://hub.example.org"


@dataclass
class Reports:
    client: object
    provider: str

    async def webhook(self, doc: dict, *, secret: str = SECRET):
        raw = json.dumps(doc).encode()
        return await self.client.post("/v1/reports/sms", data=raw, headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + webhook_signature(secret, raw)})

    async def twilio(self, form: dict[str, str], *, token: str = SECRET):
        signature = twilio_signature(token, f"{BASE}/v1/reports/twilio", form)
        return await self.client.post("/v1/reports/twilio", data=form,
                                      headers={"X-Twilio-Signature": signature})


async def reports_app(aiohttp_client, rig, tmp_path: Path, provider: str) -> Reports:
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n")
    hub = rig.hub
    settings = Settings(redis_url="redis://unused", key_prefix=hub.store.keys.prefix,
                        public_base_url=BASE, sms_provider=provider,
                        sms_report_secret_file=secret, sms_token_file=secret)
    services = build_services(settings, store=hub.store, clock=hub.clock, ccr=hub.services.ccr)
    return Reports(await aiohttp_client(create_app(settings, services)), provider)


@pytest.fixture
async def reports(aiohttp_client, rig, tmp_path: Path) -> Reports:
    return await reports_app(aiohttp_client, rig, tmp_path, "webhook")


async def text_to_the_night_backup(rig) -> tuple[str, dict]:
    """Let an urgent referral reach its backups' rung: the night backup gets an SMS."""
    _, rid = await submit(rig.hub)
    await rig.run_due()
    await rig.advance(HOUR)
    (text,) = [n for n in await rig.hub.store.notices.of_referral(rid) if n.channel == "sms"]
    assert text.to == NIGHT and text.provider_id.startswith("sms-")
    return rid, text


async def notice(rig, nid: str) -> NoticeRecord | None:
    return await rig.hub.store.notices.get(nid)


async def test_a_delivered_report_is_recorded_once_and_a_late_one_changes_nothing(
        rig, reports) -> None:
    rid, text = await text_to_the_night_backup(rig)
    r = await reports.webhook({"id": text.provider_id, "status": "delivered"})
    assert (r.status, await r.json()) == (200, {"result": "applied"})
    assert (await notice(rig, text.id)).delivery_status == "delivered"
    for late in ("delivered", "sent", "queued"):  # repeated, or out of order
        r = await reports.webhook({"id": text.provider_id, "status": late})
        assert (await r.json())["result"] == "ignored"
    assert (await notice(rig, text.id)).delivery_status == "delivered"
    actions = [e.action for e in await rig.hub.store.audit.events()]
    assert actions.count("notice.report.delivered") == 1


async def test_an_undelivered_text_flags_the_coordinators_when_no_channel_is_left(
        rig, reports) -> None:
    rid, text = await text_to_the_night_backup(rig)
    assert await rig.hub.store.timers.stalled() == []
    r = await reports.webhook({"id": text.provider_id, "status": "undelivered",
                               "error": "30003"})
    assert (await r.json())["result"] == "undelivered"
    await rig.run_due()
    after = await notice(rig, text.id)
    assert after.status == "dead" and "undelivered" in after.last_error
    assert after.delivery_error == "30003"
    assert await rig.hub.store.timers.stalled() == [rid]
    assert len(rig.sms.texts) == 1  # nothing re-sent on the channel that failed


async def test_a_report_with_a_bad_signature_is_refused_audited_and_changes_nothing(
        rig, reports) -> None:
    _, text = await text_to_the_night_backup(rig)
    r = await reports.webhook({"id": text.provider_id, "status": "failed"},
                              secret="guessed")
    assert r.status == 401 and (await r.json())["error"]["code"] == "bad_signature"
    assert (await notice(rig, text.id)).delivery_status is None
    (event,) = [e for e in await rig.hub.store.audit.events() if e.action == "notice.report"]
    assert event.outcome == "bad_signature"


@pytest.mark.parametrize(("doc", "status", "code"), [
    ({"id": "sms-404", "status": "delivered"}, 404, "unknown_message"),
    ({"id": "sms-1", "status": "teleported"}, 422, "invalid_body"),
    ({"id": "sms 1; DROP", "status": "sent"}, 422, "invalid_body"),
    ({"id": "sms-1", "status": "sent", "extra": 1}, 422, "invalid_body"),
], ids=["unknown message id", "unknown status", "malformed id", "unknown field"])
async def test_a_bad_report_gets_a_clear_error(rig, reports, doc, status, code) -> None:
    r = await reports.webhook(doc)
    assert r.status == status and (await r.json())["error"]["code"] == code


async def test_a_hub_without_a_report_secret_takes_no_reports(aiohttp_client, rig) -> None:
    settings = Settings(redis_url="redis://unused", key_prefix=rig.hub.store.keys.prefix)
    client = await aiohttp_client(create_app(settings, rig.hub.services))
    r = await client.post("/v1/reports/sms", json={"id": "sms-1", "status": "sent"})
    assert r.status == 404 and (await r.json())["error"]["code"] == "reports_not_configured"


def test_the_twilio_signature_matches_twilios_published_example() -> None:
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    assert twilio_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert not verify_twilio_signature("12345", url, {**params, "Digits": "9999"},
                                       "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


async def test_a_twilio_status_callback_is_verified_and_applied(aiohttp_client, rig,
                                                                tmp_path: Path) -> None:
    twilio = await reports_app(aiohttp_client, rig, tmp_path, "twilio")
    _, text = await text_to_the_night_backup(rig)
    sid = "SM" + "ab" * 16
    await rig.hub.store.redis.set(rig.hub.store.keys.sent_as(sid), text.id)  # as if Twilio
    form = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    r = await twilio.twilio(form)
    assert (r.status, (await r.json())["result"]) == (200, "applied")
    r = await twilio.twilio({**form, "MessageStatus": "failed"}, token="wrong")
    assert r.status == 401
    assert (await notice(rig, text.id)).delivery_status == "delivered"


async def test_a_report_on_a_digest_text_reaches_every_notice_it_carried(rig, reports) -> None:
    for _ in range(6):  # six stalled referrals: the night backup gets 3 texts and a digest
        await submit(rig.hub)
    await rig.run_due()
    await rig.advance(HOUR)
    await rig.advance(600)
    store = rig.hub.store
    nids = [k.decode().rsplit(":", 1)[1]
            async for k in store.redis.scan_iter(match=f"{store.keys.prefix}:notice:*")]
    notices = {nid: await store.notices.get(nid) for nid in nids}
    carried = [nid for nid, n in notices.items()
               if n.sent_in_digest and n.channel == "sms"]
    assert len(carried) == 3
    (provider_id,) = {notices[nid].provider_id for nid in carried}
    r = await reports.webhook({"id": provider_id, "status": "delivered"})
    assert (r.status, await r.json()) == (200, {"result": "applied"})
    assert [(await store.notices.get(nid)).delivery_status for nid in carried] == \
        ["delivered"] * 3

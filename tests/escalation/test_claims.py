"""Claiming a referral from its notice by a text reply, end to end on the loopback SMS
gateway, the real ticker and RQ's SimpleWorker, with the hub's fake clock: the claim holds
the escalation for the policy's pause, no receipt follows, the ladder goes on at its next
rung when the pause ends, and a signed receipt later acknowledges. A claim is not an
acknowledgement. Codes are single-use, and guessing them is limited per number."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.adapters.sms_reports import twilio_signature, webhook_signature
from hub.build import build_services
from hub.config import Settings
from hub.services.claims import PER_NUMBER
from hub.web.app import create_app

from .test_ladder import COORDINATOR, DEST, HOUR, INTAKE, NIGHT, acknowledge, received, submit

SECRET = "inbound-secret"
BASE = "https://hub.example.org"
OTHER_PHONE = "+15555550999"
MINUTE = 60


@dataclass
class Phone:
    """Text messages into the hub as the SMS gateway posts them (signed)."""

    client: object

    async def text(self, sender: str, words: str, *, secret: str = SECRET) -> tuple[int, dict]:
        raw = json.dumps({"from": sender, "text": words, "id": "in-1"}).encode()
        r = await self.client.post("/v1/reports/sms-inbound", data=raw, headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + webhook_signature(secret, raw)})
        return r.status, await r.json()


async def inbound_app(aiohttp_client, rig, tmp_path: Path, provider: str = "webhook"):
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n")
    hub = rig.hub
    settings = Settings(redis_url="redis://unused", key_prefix=hub.store.keys.prefix,
                        public_base_url=BASE, sms_provider=provider,
                        sms_report_secret_file=secret, sms_token_file=secret)
    services = build_services(settings, store=hub.store, clock=hub.clock, ccr=hub.services.ccr)
    return await aiohttp_client(create_app(settings, services))


@pytest.fixture
async def phone(aiohttp_client, rig, tmp_path: Path) -> Phone:
    return Phone(await inbound_app(aiohttp_client, rig, tmp_path))


def code_in(text: str) -> str:
    found = re.search(r"(?:Reply|responda) (\d{6})", text)
    assert found, text
    return found.group(1)


async def the_night_backups_text(rig) -> tuple[object, str, str]:
    """An urgent referral reaches its backups' rung (1 h): the night advocate's SMS."""
    sealed, rid = await submit(rig.hub)
    await rig.run_due()
    await rig.advance(HOUR)
    (text,) = [t for t in rig.sms.texts if t["to"] == NIGHT]
    assert len(text["body"]) <= 160
    return sealed, rid, text["body"]


async def test_a_reply_claims_pauses_escalation_then_it_resumes_and_a_receipt_acknowledges(
        rig, phone) -> None:
    hub = rig.hub
    sealed, rid, body = await the_night_backups_text(rig)
    code = code_in(body)
    assert code not in json.dumps([n.text for n in await hub.store.notices.of_referral(rid)])
    await rig.advance(HOUR - MINUTE)  # a minute before the coordinator's rung

    status, answer = await phone.text(NIGHT, f" {code} ")
    assert status == 200 and answer["result"] == "claimed"
    assert rid[:8] in answer["reply"] and len(answer["reply"]) <= 160  # in Spanish, hers
    referral = await hub.store.referrals.get(rid)
    assert referral.status.value == "requested"  # a claim is not an acknowledgement
    assert (referral.claimed_by, referral.claim_until) == (
        "harbor-night", hub.clock.now() + 15 * MINUTE)
    history = await hub.store.referrals.history(rid)
    assert (history[-1].action, history[-1].actor) == ("claimed", "harbor-night")

    before = received(rig)
    assert await rig.advance(MINUTE) == 0  # the coordinator's rung is held
    assert await rig.advance(13 * MINUTE) == 0
    assert received(rig) == before
    await rig.advance(MINUTE)  # the pause is over, no receipt came: the next rung fires
    resumed = Counter([COORDINATOR, INTAKE])  # with the second round's first, due at 2 h too
    assert Counter(received(rig)) - Counter(before) == resumed

    await acknowledge(hub, sealed, rid)  # the device-signed receipt acknowledges
    assert (await hub.store.referrals.get(rid)).status.value == "received"
    assert await rig.advance(10 * HOUR) == 0
    assert Counter(received(rig)) - Counter(before) == resumed


async def test_a_code_is_spent_by_its_claim_and_a_reply_of_1_claims_the_only_open_one(
        rig, phone) -> None:
    _, rid, body = await the_night_backups_text(rig)
    assert (await phone.text(NIGHT, "1"))[1]["result"] == "claimed"  # her only live code
    status, answer = await phone.text(NIGHT, code_in(body))
    assert status == 200 and answer["result"] == "unknown"  # single-use
    assert answer["reply"] == "CCR Hub: that code is not valid or has expired."
    assert rid[:8] not in answer["reply"]
    assert (await phone.text(NIGHT, "1"))[1]["result"] == "unknown"


async def test_guessed_codes_are_limited_and_the_number_decides_nothing_else(
        rig, phone) -> None:
    _, rid, body = await the_night_backups_text(rig)
    code = code_in(body)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(PER_NUMBER):
        assert (await phone.text(OTHER_PHONE, wrong))[1]["result"] == "unknown"
    status, answer = await phone.text(OTHER_PHONE, code)  # even the right code, now
    assert (status, answer["result"]) == (200, "limited")
    assert "15" in answer["reply"] and rid[:8] not in answer["reply"]
    assert (await phone.text(NIGHT, code))[1]["result"] == "claimed"  # her own phone is free
    rig.hub.clock.advance(30 * MINUTE)  # a later window
    assert (await phone.text(OTHER_PHONE, wrong))[1]["result"] == "unknown"


async def test_a_code_from_another_phone_claims_for_the_person_it_was_sent_to(
        rig, phone) -> None:
    _, rid, body = await the_night_backups_text(rig)
    assert (await phone.text(OTHER_PHONE, code_in(body)))[1]["result"] == "claimed"
    assert (await rig.hub.store.referrals.get(rid)).claimed_by == "harbor-night"


async def test_an_unsigned_reply_is_refused_and_changes_nothing(rig, phone) -> None:
    _, rid, body = await the_night_backups_text(rig)
    status, answer = await phone.text(NIGHT, code_in(body), secret="wrong")
    assert status == 401 and answer["error"]["code"] == "bad_signature"
    assert (await rig.hub.store.referrals.get(rid)).claimed_by is None


async def test_twilio_inbound_claims_and_answers_in_twiml(aiohttp_client, rig,
                                                          tmp_path: Path) -> None:
    client = await inbound_app(aiohttp_client, rig, tmp_path, "twilio")
    _, rid, body = await the_night_backups_text(rig)
    form = {"From": NIGHT, "Body": code_in(body), "MessageSid": "SM" + "a" * 32,
            "To": "+15555550000"}
    signature = twilio_signature(SECRET, f"{BASE}/v1/reports/twilio-inbound", form)
    r = await client.post("/v1/reports/twilio-inbound", data=form,
                          headers={"X-Twilio-Signature": signature})
    assert r.status == 200 and r.content_type == "application/xml"
    text = await r.text()
    assert "<Response><Message>CCR Hub: tom" in text and rid[:8] in text
    assert (await rig.hub.store.referrals.get(rid)).claimed_by == "harbor-night"
    r = await client.post("/v1/reports/twilio-inbound", data=form,
                          headers={"X-Twilio-Signature": "forged"})
    assert r.status == 401


async def test_the_claim_shows_in_the_history_as_its_own_state(rig, phone) -> None:
    hub = rig.hub
    _, rid, body = await the_night_backups_text(rig)
    await phone.text(NIGHT, code_in(body))
    point = hub.world.first(DEST, "point_person")
    r = await hub.client.get(f"/v1/referrals/{rid}/history", headers=point.auth)
    events = (await r.json())["events"]
    assert events[-1]["action"] == "claimed" and events[-1]["actor"] == "harbor-night"
    now = hub.clock.now()  # counted for the dashboard's live updates, everyone's and hers
    assert (await hub.store.claims.held(now), await hub.store.claims.held(now, DEST)) == (1, 1)
    assert await hub.store.redis.keys("0") == []  # every key it wrote under the prefix


async def test_a_rung_in_a_workers_hands_when_the_claim_comes_waits_for_the_pause_too(
        rig, phone) -> None:
    hub, store = rig.hub, rig.hub.store
    _, rid, body = await the_night_backups_text(rig)
    await rig.advance(HOUR - MINUTE)  # 1 min before the coordinator's rung
    queue, member = store.keys.deadlines(), f"{rid}:ack"
    due = await store.timers.due(queue, member)
    held = await store.timers.claim(queue, due, 60, 10)  # a worker takes it a little early
    assert held == [(member, due)]
    assert (await phone.text(NIGHT, code_in(body)))[1]["result"] == "claimed"
    until = (await store.referrals.get(rid)).claim_until

    await store.timers.requeue(queue, member, due)  # its job failed: fired again when due
    before = received(rig)
    assert await rig.advance(MINUTE) == 1  # fired inside the pause: put back, nothing sent
    assert received(rig) == before and await store.timers.due(queue, member) == until

    referral = await store.referrals.get(rid)  # and a worker finishing a rung it held
    await store.timers.claim(queue, until, 60, 10)  # schedules the next inside the pause
    assert await store.timers.advance(
        referral, member, timer_field="t:ack", generation=referral.generation,
        next_state='{"step": 0, "round": 1, "base": 0.0}', next_due=hub.clock.now(),
        now=hub.clock.now(), first_notice=None, due=due) == "ok"
    assert await store.timers.due(queue, member) == until

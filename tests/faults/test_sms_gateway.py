"""The SMS gateway fails (500), throttles (429 with Retry-After) and stalls past the hub's
timeout (it took the text, but answers too late): the hub retries with backoff under the
same idempotency key until the gateway accepts. Every text reaches the phone, none more
than twice (a stalled answer may mean the gateway sent it and the retry sends it again)."""

from __future__ import annotations

from collections import Counter

from .conftest import CANARY
from .harness import Api, seal_many, submit
from .invariants import check_invariants

HOUR = 3600
SHELTER = (("mercy-hospital", "harbor-house", "discharge-handoff"),)
NIGHT_SMS = "+15555550121"  # the shelter's night advocate: texts only, told at the 1h rung


async def test_a_failing_throttling_stalling_gateway_delivers_every_text(rig) -> None:
    hub = rig.hub
    start = hub.clock.now()
    subs = seal_many(hub.world, 2, CANARY, routes=SHELTER)
    for sub in subs:
        assert await submit(Api(hub.client), sub, rig.ledger) == 201
    await rig.run_due()
    rig.sms.plan = ["500", "500", "429", "429", "slow", "slow"]
    await rig.run_until(start + HOUR + 15 * 60)  # an urgent notice's whole send window

    assert rig.sms.plan == [] and rig.sms.answers["ok"] >= 1
    night = [t for t in rig.sms.texts if t["to"] == NIGHT_SMS]
    findings = await check_invariants(rig.evidence(), every_notice_sent=True)
    texts = {nid: n for nid, n in findings.notices.items() if n["channel"] == "sms"}
    assert len(texts) == 2 and all(n["status"] == "sent" for n in texts.values())
    assert all(int(n["attempts"]) >= 2 for n in texts.values())  # each was retried
    keys = Counter(t["idempotency_key"] for t in night)
    assert len(keys) == 2 and set(keys.values()) <= {1, 2}  # retries carry the same key
    assert sum(keys.values()) == 2 + rig.sms.answers["slow"]  # a stalled answer: a repeat

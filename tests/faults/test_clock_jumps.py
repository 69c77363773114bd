"""The clock jumps two hours forward (with steps claimed and in flight), then two hours
back. Every rung that fell due in the skipped hours fires once; nothing fires again when
the clock returns; a consent that ran out while the clock was ahead stays run out (its
referral stays expired, its content gone) after the clock comes back; an acknowledgement
given while the clock was ahead keeps the ladder stopped."""

from __future__ import annotations

from collections import Counter

from hub.routing.ladder import member

from .conftest import CANARY
from .harness import Api, seal_many, submit
from .invariants import check_invariants

HOUR = 3600
SHELTER = (("mercy-hospital", "harbor-house", "discharge-handoff"),)
FULL_LADDER = Counter({(s, r): n for r in ("0", "1") for s, n in (("0", 1), ("1", 2), ("2", 1))})


def told(findings, rid: str) -> Counter:
    """(step, round) -> people told, of the referral's acknowledgement ladder."""
    return Counter((n["step"], n["round"]) for n in findings.notices.values()
                   if n["referral"] == rid and n["timer"] == "ack" and n["status"] == "sent")


async def test_two_hours_forward_and_back_lose_nothing_double_nothing_extend_nothing(
        rig) -> None:
    hub, api = rig.hub, Api(rig.hub.client)
    t0 = hub.clock.now()
    ladder, expiring, acked = seal_many(hub.world, 3, CANARY, routes=SHELTER)
    expiring.body["consent"]["expires_at"] = int(t0 + 90 * 60)
    for sub in (ladder, expiring, acked):
        assert await submit(api, sub, rig.ledger) == 201
    await rig.run_due()
    hub.clock.set(t0 + HOUR)
    assert await rig.ticker.tick() == 3  # the backups' rungs claimed, not yet worked ...

    hub.clock.advance(2 * HOUR)  # ... when the clock leaps past their leases
    status, _, _ = await api.call("POST", f"/v1/referrals/{acked.rid}/acknowledge",
                                  acked.recipient, json=acked.receipt(int(hub.clock.now())))
    assert status == 200
    await rig.run_due()
    ahead = len(rig.smtp.inbox.raw) + len(rig.sms.texts)

    hub.clock.advance(-2 * HOUR)
    assert await rig.run_due() == 0 and await rig.ticker.reconcile() == 0
    status, doc, _ = await api.call("GET", f"/v1/referrals/{expiring.rid}", expiring.recipient)
    assert (status, doc["status"]) == (200, "expired")
    status, doc, _ = await api.call("GET", f"/v1/referrals/{expiring.rid}/envelope",
                                    expiring.recipient)
    assert (status, doc["error"]["code"]) == (410, "consent_expired")
    status, _, _ = await api.call("POST", f"/v1/referrals/{expiring.rid}/acknowledge",
                                  expiring.recipient,
                                  json=expiring.receipt(int(hub.clock.now())))
    assert status in (409, 410)
    assert await hub.store.timers.due(hub.store.keys.deadlines(),
                                      member(expiring.rid, "consent")) is None
    assert len(rig.smtp.inbox.raw) + len(rig.sms.texts) == ahead  # nothing fired again

    await rig.run_until(t0 + 5 * HOUR)
    findings = await check_invariants(rig.evidence(), every_notice_sent=True)
    assert all(findings.copies[nid] == 1 for nid, n in findings.notices.items()
               if n["status"] == "sent"), "a notice arrived twice"
    assert told(findings, ladder.rid) == FULL_LADDER  # every rung once, the skipped ones too
    assert told(findings, acked.rid) == Counter({("0", "0"): 1})  # stopped by the ack
    assert told(findings, expiring.rid) == Counter({("0", "0"): 1})
    ended = Counter(n["to"] for n in findings.notices.values()
                    if n["referral"] == expiring.rid and n["timer"] == "expired")
    assert ended == Counter({"sane-day@mercy.example.org": 1, "intake@harbor.example.org": 1,
                             "+15555550121": 1, "director@harbor.example.org": 1})

"""Delivery under failure: the SMTP server refusing or the SMS gateway failing makes a
notice retry with backoff, fall back to the next channel and flag the coordinators, with
nothing lost and nothing sent twice where a channel had accepted it."""

from __future__ import annotations

import asyncio
from collections import Counter

from hub.escalation.ticker import Ticker
from hub.routing.ladder import member
from hub.store.outbox import NoticeRecord

from .test_ladder import HOUR, INTAKE, submit

INTAKE_SMS = "+15555550120"


def statuses(notices: list[NoticeRecord]) -> Counter:
    return Counter((n.to, n.status) for n in notices)


async def test_a_mail_server_saying_try_later_is_retried_until_it_accepts(rig) -> None:
    rig.mail.refuse = "451 4.3.0 try again later"
    _, rid = await submit(rig.hub)
    await rig.run_due()
    (notice,) = await rig.hub.store.notices.of_referral(rid)
    assert notice.status == "queued" and notice.attempts == 1
    rig.mail.refuse = None
    await rig.advance(30)
    assert [m["To"] for m in rig.mail.messages] == [INTAKE]
    (notice,) = await rig.hub.store.notices.of_referral(rid)
    assert notice.status == "sent" and notice.attempts == 2


async def test_a_refusal_falls_back_to_the_next_channel_at_once(rig) -> None:
    rig.mail.refuse = "550 5.1.1 no such mailbox"
    _, rid = await submit(rig.hub)
    await rig.run_due()
    assert rig.mail.messages == []
    assert [t["to"] for t in rig.sms.texts] == [INTAKE_SMS]
    notices = await rig.hub.store.notices.of_referral(rid)
    assert statuses(notices) == Counter({(INTAKE, "dead"): 1, (INTAKE_SMS, "sent"): 1})


async def test_every_channel_failing_flags_the_coordinators_and_loses_nothing(rig) -> None:
    rig.mail.refuse = "421 4.7.0 closing"
    rig.sms.fail = 500
    _, rid = await submit(rig.hub)
    await rig.run_due()
    for _ in range(40):  # retried with backoff until the urgent send-by time (15 min)
        await rig.advance(60)
    notices = await rig.hub.store.notices.of_referral(rid)
    assert statuses(notices) == Counter({(INTAKE, "dead"): 1, (INTAKE_SMS, "dead"): 1})
    assert all(n.attempts >= 3 for n in notices)
    assert rid in await rig.hub.store.timers.stalled()
    assert await rig.hub.store.timers.size(rig.hub.store.keys.deliveries()) == (0, 0)


async def test_a_throttling_gateway_is_asked_again_no_sooner_than_it_said(rig) -> None:
    rig.mail.refuse = "550 5.1.1 no such mailbox"  # so the text is the one that counts
    rig.sms.fail, rig.sms.retry_after = 429, "240"
    _, rid = await submit(rig.hub)
    await rig.run_due()
    (text,) = [n for n in await rig.hub.store.notices.of_referral(rid) if n.channel == "sms"]
    due = await rig.hub.store.timers.due(rig.hub.store.keys.deliveries(), text.id)
    assert due - rig.hub.clock.now() >= 240  # not the 5-15 s backoff of a first retry
    rig.sms.fail = None
    await rig.advance(239)
    assert rig.sms.texts == []
    await rig.advance(1)
    assert len(rig.sms.texts) == 1


async def test_a_gateway_that_accepted_is_not_asked_again(rig) -> None:
    rig.mail.refuse = "550 5.1.1 no such mailbox"
    _, rid = await submit(rig.hub)
    await rig.run_due()
    for _ in range(5):
        await rig.advance(60)
    assert len(rig.sms.texts) == 1  # sent once; no later tick sends it again


async def test_a_worker_dying_mid_step_is_re_fired_after_its_lease(rig) -> None:
    hub = rig.hub
    _, rid = await submit(hub)
    assert await rig.ticker.tick() == 1  # claimed and queued ...
    rig.queue.empty()  # ... and the worker holding it died: the job is gone
    assert await rig.advance(30) == 0  # still leased: nothing fires twice meanwhile
    hub.clock.advance(60)
    assert await rig.ticker.reap() == 1
    await rig.run_due()
    assert [m["To"] for m in rig.mail.messages] == [INTAKE]


async def test_a_delivery_interrupted_after_the_server_accepted_duplicates_at_most_once(
        rig) -> None:
    hub = rig.hub
    _, rid = await submit(hub)
    assert await rig.ticker.tick() == 1
    (job,) = rig.queue.jobs
    rig.queue.empty()
    from hub.adapters.base import Notice
    from hub.escalation import runtime

    async def send_without_recording(engine) -> None:
        _, (nid,) = await engine._fire(job.args[0][0])  # the rung commits and claims its notice
        n = await engine.store.notices.get(nid)  # the server accepts it; then SIGKILL
        await engine.senders["email"].send(Notice(nid, n.to, n.subject, n.text,
                                                   n.html))
    runtime.run(send_without_recording)
    hub.clock.advance(61)
    await rig.ticker.reap()
    await rig.run_due()
    assert [m["To"] for m in rig.mail.messages] == [INTAKE, INTAKE]
    first, second = rig.mail.messages
    assert first["Message-ID"] == second["Message-ID"]  # recognisably the same notice
    assert await rig.advance(HOUR - 100) == 0


async def test_the_reconciler_restores_a_timer_missing_from_the_index(rig) -> None:
    hub = rig.hub
    _, rid = await submit(hub)
    await rig.run_due()
    key = hub.store.keys.deadlines()
    due = await hub.store.timers.due(key, member(rid, "ack"))
    await hub.store.redis.zrem(key, member(rid, "ack"))
    assert await rig.ticker.reconcile() == 1
    assert await hub.store.timers.due(key, member(rid, "ack")) == due
    assert await rig.ticker.reconcile() == 0
    ends = await hub.store.timers.due(key, member(rid, "consent"))
    await hub.store.redis.zrem(key, member(rid, "consent"))  # consent's end, too
    assert await rig.ticker.reconcile() == 1
    assert await hub.store.timers.due(key, member(rid, "consent")) == ends


async def test_two_tickers_running_together_hand_out_each_step_once(rig) -> None:
    hub = rig.hub
    rids = [(await submit(hub))[1] for _ in range(30)]
    second = Ticker(hub.store, hub.clock, rig.queue, hub.services.ladder, lease=60)
    handed = await asyncio.gather(*(t.tick() for t in (rig.ticker, second) for _ in range(3)))
    assert sum(handed) == len(rids)
    members = [m for job in rig.queue.jobs for m in job.args[0]]
    assert sorted(members) == sorted(member(rid, "ack") for rid in rids)

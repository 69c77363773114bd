"""What flows back to the sender (services/flowback.py), through the services that answer
with it: where the agreement keeps the status from the sender (the prosecutor's referrals to
advocacy), the sender's every answer is the referral as sent and its own doings; where only
the outcome is kept (the survivor did not agree to share it), the sender sees that the
referral closed, not how; the receiving agency and the coordinators see everything."""

from __future__ import annotations

import pytest

from hub.errors import Forbidden
from hub.models import Status

from .conftest import ADVOCACY, HOSPITAL, PROSECUTOR, SHELTER, Rig, Sent

ADVOCACY_REQUEST = "advocacy-request"


async def _engaged(rig: Rig) -> Sent:
    """A prosecutor's referral to advocacy that the advocate took up and declined."""
    sent = await rig.submit(sender=PROSECUTOR, to=ADVOCACY, kind=ADVOCACY_REQUEST)
    await rig.acknowledge(sent)
    await rig.services.lifecycle.reject(rig.who(ADVOCACY, "point_person"), sent.rid,
                                        "survivor-declined")
    return sent


async def test_where_the_status_does_not_flow_back_the_sender_sees_the_referral_as_sent(
        rig: Rig) -> None:
    sent = await _engaged(rig)
    seen = await rig.services.referrals.read(sent.sender.principal(), sent.rid)
    assert seen.status is Status.REQUESTED
    assert (seen.referral.acknowledged_at, seen.referral.reason_code) == (None, None)
    assert seen.referral.updated_at == sent.seen.referral.submitted_at
    history = await rig.services.referrals.history(sent.sender.principal(), sent.rid)
    assert [e.action for e in history] == ["submitted"]  # the prosecutor's own step alone
    coordinator = await rig.services.referrals.read(rig.who("ccr-coordination", "coordinator"),
                                                    sent.rid)
    assert coordinator.status is Status.REJECTED
    assert coordinator.referral.reason_code == "survivor-declined"


async def test_the_senders_status_filter_matches_the_status_it_sees(rig: Rig) -> None:
    sent = await _engaged(rig)
    prosecutor = sent.sender.principal()
    listed = await rig.services.referrals.outbox(prosecutor, statuses=frozenset({
        Status.REQUESTED}), offset=0, limit=10)
    assert [s.referral.id for s in listed] == [sent.rid]
    assert await rig.services.referrals.outbox(prosecutor, statuses=frozenset({
        Status.REJECTED}), offset=0, limit=10) == []


async def test_a_cancellation_after_an_unseen_close_is_answered_as_for_an_open_one(
        rig: Rig) -> None:
    sent = await _engaged(rig)
    seen = await rig.services.lifecycle.cancel(sent.sender.principal(), sent.rid, "other")
    assert seen.status is Status.CANCELLED
    stored = await rig.stored(sent.rid)
    assert stored.status is Status.REJECTED and stored.sender_cancelled_at is not None


async def test_the_receiving_agency_cannot_reply_where_a_reply_would_tell(rig: Rig) -> None:
    sent = await rig.submit(sender=PROSECUTOR, to=ADVOCACY, kind=ADVOCACY_REQUEST)
    advocate = rig.member(ADVOCACY, "point_person")
    reply = rig.world.seal_reply(advocate, sent.sealed.header.envelope_id, PROSECUTOR,
                                 ADVOCACY_REQUEST, b"{}")
    with pytest.raises(Forbidden) as refused:
        await rig.services.threads.post_reply(advocate.principal(), sent.rid, reply.envelope)
    assert refused.value.code == "reply_not_shared"
    assert await rig.store.threads.replies(sent.rid) == []


@pytest.mark.parametrize(("share", "outcome_seen"), [(False, None),
                                                     (True, "services-provided")])
async def test_the_outcome_reaches_the_sender_only_when_the_survivor_agreed(
        rig: Rig, share: bool, outcome_seen: str | None) -> None:
    sent = await rig.submit(sender=HOSPITAL, to=SHELTER, share_outcome=share)
    point = rig.who(SHELTER, "point_person")
    await rig.acknowledge(sent)
    await rig.services.lifecycle.accept(point, sent.rid)
    closed = await rig.services.lifecycle.complete(point, sent.rid, "services-provided")
    assert closed.referral.outcome_code == "services-provided"  # the shelter's own answer
    seen = await rig.services.referrals.read(sent.sender.principal(), sent.rid)
    assert seen.status is Status.COMPLETED and seen.referral.outcome_code == outcome_seen
    history = await rig.services.referrals.history(sent.sender.principal(), sent.rid)
    assert [e.code for e in history if e.to_status == Status.COMPLETED] == [outcome_seen]

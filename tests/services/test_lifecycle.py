"""LifecycleService: the acknowledgement needs a receipt signed by the acknowledging
person's own device of the receiving group, and stops the acknowledgement clock; accepting
starts the follow-up clocks; a change the status does not allow changes nothing; withdrawn
consent deletes the content at once; consent is only ever narrowed."""

from __future__ import annotations

import asyncio

import pytest

from hub.crypto import ReceiptStatus
from hub.errors import Conflict, Forbidden, Gone, NotFound, Unprocessable
from hub.models import Status
from hub.services.timers import TimerPlanner

from .conftest import ADVOCACY, HOUR, SHELTER, Rig


async def _owed(rig: Rig, rid: str) -> list[str]:
    members = TimerPlanner(rig.services.ladder).obligations(await rig.stored(rid))
    return sorted(o.timer for o in await rig.store.oversight.owed_by(members))


async def test_acknowledging_stops_the_acknowledgement_clock_and_records_who(rig: Rig) -> None:
    sent = await rig.submit()
    rig.clock.advance(HOUR)
    seen = await rig.acknowledge(sent)
    referral = await rig.stored(sent.rid)
    assert seen.status is referral.status is Status.RECEIVED
    assert referral.acknowledged_at == rig.clock.now()
    assert referral.acknowledged_by == rig.member(SHELTER, "point_person").person
    assert await rig.store.timers.due(rig.store.keys.deadlines(), f"{sent.rid}:ack") is None
    assert await _owed(rig, sent.rid) == []


async def test_accepting_starts_the_follow_up_clocks_of_the_policy(rig: Rig) -> None:
    sent = await rig.submit()  # urgent handoff: first contact within a day, outcome in 14
    await rig.acknowledge(sent)
    await rig.services.lifecycle.accept(rig.who(SHELTER, "point_person"), sent.rid)
    exams = ["ms:exam-followup-attended", "ms:exam-followup-scheduled"]  # milestones.toml
    assert sorted(await _owed(rig, sent.rid)) == ["fu:first-contact", "fu:outcome", *exams]
    await rig.services.lifecycle.progress(rig.who(SHELTER, "point_person"), sent.rid)
    assert sorted(await _owed(rig, sent.rid)) == ["fu:outcome", *exams]  # progress meets
    # first contact; the milestones are met only by recording them


async def test_a_receipt_from_another_persons_device_does_not_acknowledge(rig: Rig) -> None:
    sent = await rig.submit()
    point, backup = rig.member(SHELTER, "point_person"), rig.member(SHELTER, "backup")
    with pytest.raises(Unprocessable) as refused:
        await rig.services.lifecycle.acknowledge(point.principal(), sent.rid,
                                                 rig.receipt(sent, backup))
    assert refused.value.code == "bad_receipt"
    with pytest.raises(Unprocessable):  # a receipt that says something else is no ack
        await rig.services.lifecycle.acknowledge(
            point.principal(), sent.rid, rig.receipt(sent, point, ReceiptStatus.ACCEPTED))
    assert (await rig.stored(sent.rid)).status is Status.REQUESTED


async def test_concurrent_acknowledgements_make_exactly_one_transition(rig: Rig) -> None:
    sent = await rig.submit()
    results = await asyncio.gather(*[rig.acknowledge(sent) for _ in range(10)],
                                   return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    history = await rig.store.referrals.history(sent.rid)
    assert [e.action for e in history].count("status.received") == 1


async def test_a_change_the_status_does_not_allow_is_refused_and_changes_nothing(
        rig: Rig) -> None:
    sent = await rig.submit()
    with pytest.raises(Conflict) as refused:
        await rig.services.lifecycle.accept(rig.who(SHELTER, "point_person"), sent.rid)
    assert refused.value.code == "illegal_transition" and "'requested'" in refused.value.message
    referral = await rig.stored(sent.rid)
    assert referral.status is Status.REQUESTED and referral.generation == 1


async def test_another_agency_gets_not_found_as_for_a_missing_referral(rig: Rig) -> None:
    sent = await rig.submit()
    outsider = rig.who(ADVOCACY, "point_person")
    for attempt in (rig.services.lifecycle.accept(outsider, sent.rid),
                    rig.services.lifecycle.accept(outsider, "0" * 32),
                    rig.services.referrals.read(outsider, sent.rid)):
        with pytest.raises(NotFound):
            await attempt


async def test_only_the_receiving_group_moves_a_referral_on(rig: Rig) -> None:
    sent = await rig.submit()
    with pytest.raises(Forbidden):  # the sender may see it, not acknowledge it
        await rig.services.lifecycle.acknowledge(sent.sender.principal(), sent.rid,
                                                 rig.receipt(sent, sent.sender))


async def test_withdrawn_consent_deletes_the_content_and_stops_every_clock(rig: Rig) -> None:
    sent = await rig.submit()
    await rig.services.threads.put_attachment(sent.sender.principal(), sent.rid, 0, b"scan")
    point = rig.who(SHELTER, "point_person")
    seen = await rig.services.lifecycle.revoke_consent(point, sent.rid, "survivor-withdrew")
    assert seen.status is Status.REVOKED
    assert await rig.store.referrals.envelope(sent.rid) is None
    assert await rig.store.threads.attachment(sent.rid, 0) is None
    assert await _owed(rig, sent.rid) == []
    with pytest.raises(Gone) as gone:
        await rig.services.referrals.download(point, sent.rid)
    assert gone.value.code == "consent_withdrawn"
    with pytest.raises(Conflict):  # withdrawn once
        await rig.services.lifecycle.revoke_consent(point, sent.rid, "survivor-withdrew")


async def test_consent_is_narrowed_never_widened(rig: Rig) -> None:
    sent = await rig.submit(share_outcome=False)
    with pytest.raises(Forbidden) as refused:
        await rig.services.lifecycle.narrow_consent(sent.sender.principal(), sent.rid,
                                                    share_outcome=True)
    assert refused.value.code == "consent_widened"
    shared = await rig.submit(share_outcome=True)
    seen = await rig.services.lifecycle.narrow_consent(sent.sender.principal(), shared.rid,
                                                       share_outcome=False)
    assert seen.referral.consent.share_outcome is False
    assert (await rig.stored(shared.rid)).consent.share_outcome is False
    again = await rig.services.lifecycle.narrow_consent(sent.sender.principal(), shared.rid,
                                                        share_outcome=False)
    assert again.referral.consent.share_outcome is False
    assert await rig.audited("consent.narrowed") == ["ok", "unchanged"]


async def test_the_sender_cancels_and_the_receiving_group_cannot(rig: Rig) -> None:
    sent = await rig.submit()
    with pytest.raises(Forbidden):
        await rig.services.lifecycle.cancel(rig.who(SHELTER, "point_person"), sent.rid, "other")
    seen = await rig.services.lifecycle.cancel(sent.sender.principal(), sent.rid,
                                               "sent-in-error")
    assert seen.status is Status.CANCELLED and seen.referral.reason_code == "sent-in-error"
    assert await _owed(rig, sent.rid) == []

"""ReferralService.submit: routing, agreements, consent and the envelope's own lifetime are
checked before anything is stored; a submission lands in both agencies' lists with the
deadline its policy sets; the same envelope again is the same referral; a token revoked
since it was verified is refused as a failed sign-in by the write itself."""

from __future__ import annotations

import pytest

from hub.crypto import Urgency, seal
from hub.errors import Conflict, Forbidden, TooManyRequests, Unauthorized, Unprocessable
from hub.models import Status
from hub.services.tokens import FAILURE_LIMIT, TokenService

from .conftest import ADVOCACY, HOSPITAL, HOUR, SHELTER, TYPE, Rig


async def _nothing_stored(rig: Rig) -> bool:
    return await rig.store.referrals.count(rig.store.keys.inbox(SHELTER)) == 0


async def test_a_submission_is_routed_with_the_acknowledgement_deadline_its_policy_sets(
        rig: Rig) -> None:
    now = rig.clock.now()
    sent = await rig.submit(urgency=Urgency.URGENT)  # discharge-handoff, urgent: 2h
    referral = await rig.stored(sent.rid)
    assert referral.status is Status.REQUESTED and referral.ack_due_at == now + 2 * HOUR
    assert await rig.store.oversight.owed_by([f"{sent.rid}:ack"]) == \
        [(sent.rid, "ack", now + 2 * HOUR)]  # what the receiving agency owes, by when
    assert await rig.store.timers.due(rig.store.keys.deadlines(), f"{sent.rid}:ack") == now
    # (the policy's first rung tells the point person at once)
    inbox = await rig.services.referrals.inbox(rig.who(SHELTER, "point_person"),
                                               statuses=None, offset=0, limit=10)
    outbox = await rig.services.referrals.outbox(rig.who(HOSPITAL, "sender"),
                                                 statuses=None, offset=0, limit=10)
    assert [s.referral.id for s in inbox] == [s.referral.id for s in outbox] == [sent.rid]


async def test_an_emergent_handoff_is_owed_sooner_than_an_urgent_one(rig: Rig) -> None:
    urgent = await rig.submit(urgency=Urgency.URGENT)
    emergent = await rig.submit(urgency=Urgency.EMERGENT)
    assert (await rig.stored(emergent.rid)).ack_due_at == rig.clock.now() + 0.5 * HOUR
    assert (await rig.stored(emergent.rid)).ack_due_at < (await rig.stored(urgent.rid)).ack_due_at


async def test_the_same_envelope_again_is_the_same_referral_and_nothing_new(rig: Rig) -> None:
    sent = await rig.submit()
    again, created = await rig.services.referrals.submit(
        sent.sender.principal(), sent.sealed.envelope,
        rig.consent(sent.sender, SHELTER, TYPE))
    assert not created and again.referral.id == sent.rid
    assert len(await rig.store.referrals.history(sent.rid)) == 1
    assert await rig.audited("referral.submit") == ["ok", "existing"]


async def test_other_bytes_under_an_envelope_id_already_taken_are_a_conflict(
        rig: Rig) -> None:
    sent = await rig.submit()
    now = int(rig.clock.now())
    edited = seal(b'{"edited": true}', sender=sent.sender.device,
                  recipients=rig.world.roster(SHELTER, now).recipients(TYPE, now),
                  destination=SHELTER, referral_type=TYPE, urgency=Urgency.URGENT, now=now,
                  lifetime=86400, envelope_id=sent.sealed.header.envelope_id)
    with pytest.raises(Conflict) as refused:
        await rig.services.referrals.submit(sent.sender.principal(), edited.envelope,
                                            rig.consent(sent.sender, SHELTER, TYPE))
    assert refused.value.code == "duplicate_id"
    assert (await rig.stored(sent.rid)).envelope_digest == sent.seen.referral.envelope_digest


async def test_no_sharing_agreement_is_refused_and_nothing_is_stored(rig: Rig) -> None:
    nurse = rig.member(HOSPITAL, "sender")  # mercy never sends police-report follow-ups
    sealed = rig.world.seal_referral(nurse, "riverside-pd", "police-report-followup", b"{}")
    with pytest.raises(Forbidden) as refused:
        await rig.services.referrals.submit(
            nurse.principal(), sealed.envelope,
            rig.consent(nurse, "riverside-pd", "police-report-followup"))
    assert refused.value.code == "no_agreement"
    assert await rig.stored(sealed.header.envelope_id.hex()) is None


async def test_only_a_sender_submits(rig: Rig) -> None:
    nurse = rig.member(HOSPITAL, "sender")
    sealed = rig.world.seal_referral(nurse, SHELTER, TYPE, b"{}")
    with pytest.raises(Forbidden):
        await rig.services.referrals.submit(rig.who(HOSPITAL, "agency_admin"), sealed.envelope,
                                            rig.consent(nurse, SHELTER, TYPE))
    assert await _nothing_stored(rig)


@pytest.mark.parametrize(("change", "code"), [
    ({"agency": ADVOCACY}, "consent_wrong_agency"),
    ({"purposes": ["shelter-request"]}, "consent_wrong_purpose"),
    ({"expires_at": 1_800_000_000 - 1}, "consent_expired"),
    ({"expires_at": 1_800_000_000 + 200 * 86400}, "consent_too_long"),
    ({"documented_by": "harbor-intake"}, "consent_invalid"),  # not of the sending agency
])
async def test_consent_that_does_not_allow_the_release_is_refused_before_storing(
        rig: Rig, change: dict, code: str) -> None:
    nurse = rig.member(HOSPITAL, "sender")
    sealed = rig.world.seal_referral(nurse, SHELTER, TYPE, b"{}")
    with pytest.raises(Forbidden) as refused:
        await rig.services.referrals.submit(nurse.principal(), sealed.envelope,
                                            rig.consent(nurse, SHELTER, TYPE, **change))
    assert refused.value.code == code
    assert await _nothing_stored(rig)


async def test_no_consent_at_all_is_refused(rig: Rig) -> None:
    nurse = rig.member(HOSPITAL, "sender")
    sealed = rig.world.seal_referral(nurse, SHELTER, TYPE, b"{}")
    with pytest.raises(Forbidden) as refused:
        await rig.services.referrals.submit(nurse.principal(), sealed.envelope, None)
    assert refused.value.code == "consent_missing" and await _nothing_stored(rig)


async def test_an_envelope_past_its_lifetime_or_from_the_future_is_refused(rig: Rig) -> None:
    nurse = rig.member(HOSPITAL, "sender")
    now = int(rig.clock.now())
    old = rig.world.seal_referral(nurse, SHELTER, TYPE, b"{}", now=now - 7200, lifetime=3600)
    ahead = rig.world.seal_referral(nurse, SHELTER, TYPE, b"{}", now=now + 3600)
    for sealed, code in ((old, "envelope_expired"), (ahead, "envelope_from_future")):
        with pytest.raises(Unprocessable) as refused:
            await rig.services.referrals.submit(nurse.principal(), sealed.envelope,
                                                rig.consent(nurse, SHELTER, TYPE))
        assert refused.value.code == code
    assert await _nothing_stored(rig)


async def test_a_token_revoked_since_it_was_verified_is_refused_by_the_write(rig: Rig) -> None:
    """The write checks the token in its own atomic step: a token this process verified (and
    remembers) but another process revoked submits nothing, and is refused like a failed
    sign-in from the asker's address: audited, forgotten, counted."""
    nurse = rig.member(HOSPITAL, "sender")
    tokens = rig.services.tokens
    who = await tokens.authenticate(nurse.token, "192.0.2.7", rechecked_by_write=True)
    elsewhere = TokenService(store=rig.store, clock=rig.clock, ccr=rig.services.ccr,
                             auditor=rig.services.auditor)
    assert await elsewhere.revoke(who.token_id)
    assert await tokens.authenticate(nurse.token, "192.0.2.7", rechecked_by_write=True) == who
    sealed = rig.world.seal_referral(nurse, SHELTER, TYPE, b"{}")
    with pytest.raises(Unauthorized) as refused:
        await rig.services.referrals.submit(who, sealed.envelope,
                                            rig.consent(nurse, SHELTER, TYPE),
                                            client="192.0.2.7")
    assert "revoked" in refused.value.message and await _nothing_stored(rig)
    failed = [e for e in await rig.store.audit.events() if e.action == "auth"]
    assert [(e.outcome, e.client, e.token_id) for e in failed] == \
        [("denied", "192.0.2.7", who.token_id)]
    with pytest.raises(Unauthorized):  # forgotten: the next sign-in reads the record
        await tokens.authenticate(nurse.token, "192.0.2.7", rechecked_by_write=True)


async def test_a_revoked_token_refused_by_the_write_counts_toward_the_address_limit(
        rig: Rig) -> None:
    nurse = rig.member(HOSPITAL, "sender")
    tokens = rig.services.tokens
    who = await tokens.authenticate(nurse.token, "192.0.2.8", rechecked_by_write=True)
    for _ in range(FAILURE_LIMIT):
        with pytest.raises(Unauthorized):
            await tokens.authenticate("ccr_0000000000000000_" + "x" * 43, "192.0.2.8")
    await tokens.revoke(who.token_id)
    sealed = rig.world.seal_referral(nurse, SHELTER, TYPE, b"{}")
    with pytest.raises(TooManyRequests) as refused:
        await rig.services.referrals.submit(who, sealed.envelope,
                                            rig.consent(nurse, SHELTER, TYPE),
                                            client="192.0.2.8")
    assert refused.value.headers["Retry-After"] == str(refused.value.retry_after)

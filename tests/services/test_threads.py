"""ThreadService: replies travel sealed between the referral's two agencies, each sealed to
the other side's group on the referral's own thread; the same reply or attachment again is
answered as before, other bytes under its id are refused; nothing more is stored once
consent ended; a reply is opened only by the addressee's group."""

from __future__ import annotations

import pytest

from hub.errors import Conflict, Forbidden, NotFound, Unprocessable

from .conftest import HOSPITAL, SHELTER, TYPE, Rig


async def test_a_reply_reaches_the_other_agency_and_only_its_group_opens_it(rig: Rig) -> None:
    sent = await rig.submit()
    thread = sent.sealed.header.envelope_id
    reply = rig.world.seal_reply(sent.sender, thread, SHELTER, TYPE, b"bed held until 9pm")
    meta, created = await rig.services.threads.post_reply(sent.sender.principal(), sent.rid,
                                                          reply.envelope)
    assert created and (meta["from_agency"], meta["to_agency"]) == (HOSPITAL, SHELTER)
    point = rig.who(SHELTER, "point_person")
    assert [r["id"] for r in await rig.services.threads.replies(point, sent.rid)] == \
        [meta["id"]]
    assert await rig.services.threads.reply_envelope(point, sent.rid, meta["id"]) == \
        reply.envelope
    with pytest.raises(Forbidden):  # the sender's own reply is sealed to the shelter
        await rig.services.threads.reply_envelope(sent.sender.principal(), sent.rid,
                                                  meta["id"])
    assert (await rig.stored(sent.rid)).reply_count == 1


async def test_a_reply_sealed_for_another_thread_or_agency_is_refused(rig: Rig) -> None:
    sent, other = await rig.submit(), await rig.submit()
    wrong_thread = rig.world.seal_reply(sent.sender, other.sealed.header.envelope_id, SHELTER,
                                        TYPE, b"{}")
    to_itself = rig.world.seal_reply(sent.sender, sent.sealed.header.envelope_id, HOSPITAL,
                                     TYPE, b"{}")
    for reply in (wrong_thread, to_itself):
        with pytest.raises(Unprocessable) as refused:
            await rig.services.threads.post_reply(sent.sender.principal(), sent.rid,
                                                  reply.envelope)
        assert refused.value.code == "bad_reply"
    assert await rig.store.threads.replies(sent.rid) == []


async def test_the_same_reply_again_is_answered_as_before_and_stored_once(rig: Rig) -> None:
    sent = await rig.submit()
    reply = rig.world.seal_reply(sent.sender, sent.sealed.header.envelope_id, SHELTER, TYPE,
                                 b"{}")
    first, created = await rig.services.threads.post_reply(sent.sender.principal(), sent.rid,
                                                           reply.envelope)
    again, created_again = await rig.services.threads.post_reply(sent.sender.principal(),
                                                                 sent.rid, reply.envelope)
    assert (created, created_again) == (True, False) and first == again
    assert (await rig.stored(sent.rid)).reply_count == 1
    assert await rig.audited("reply.post") == ["ok", "existing"]


async def test_an_attachment_slot_holds_one_blob(rig: Rig) -> None:
    sent = await rig.submit()
    nurse = sent.sender.principal()
    assert await rig.services.threads.put_attachment(nurse, sent.rid, 3, b"scan")
    assert not await rig.services.threads.put_attachment(nurse, sent.rid, 3, b"scan")
    with pytest.raises(Conflict) as refused:
        await rig.services.threads.put_attachment(nurse, sent.rid, 3, b"another scan")
    assert refused.value.code == "duplicate_id"
    point = rig.who(SHELTER, "point_person")
    assert await rig.services.threads.attachment(point, sent.rid, 3) == b"scan"
    with pytest.raises(NotFound) as missing:
        await rig.services.threads.attachment(point, sent.rid, 4)
    assert missing.value.code == "attachment_gone"


async def test_nothing_more_is_stored_once_consent_ended(rig: Rig) -> None:
    sent = await rig.submit()
    await rig.services.lifecycle.revoke_consent(sent.sender.principal(), sent.rid,
                                                "survivor-withdrew")
    reply = rig.world.seal_reply(sent.sender, sent.sealed.header.envelope_id, SHELTER, TYPE,
                                 b"{}")
    with pytest.raises(Conflict) as refused:
        await rig.services.threads.post_reply(sent.sender.principal(), sent.rid, reply.envelope)
    assert refused.value.code == "thread_closed"
    with pytest.raises(Conflict):
        await rig.services.threads.put_attachment(sent.sender.principal(), sent.rid, 0, b"x")
    assert await rig.store.threads.replies(sent.rid) == []
    assert await rig.store.threads.attachment(sent.rid, 0) is None


async def test_coordinators_see_replies_metadata_but_post_none(rig: Rig) -> None:
    sent = await rig.submit()
    coordinator = rig.who("ccr-coordination", "coordinator")
    assert await rig.services.threads.replies(coordinator, sent.rid) == []
    reply = rig.world.seal_reply(sent.sender, sent.sealed.header.envelope_id, SHELTER, TYPE,
                                 b"{}")
    with pytest.raises(Forbidden):
        await rig.services.threads.post_reply(coordinator, sent.rid, reply.envelope)

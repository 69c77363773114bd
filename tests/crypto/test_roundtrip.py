"""Round trips: every device an envelope is sealed to opens it and recovers exactly the body,
the sender and the header that were sealed, for bodies of 0 bytes to 1 MiB and 1 to 64
devices; the body has the length docs/envelope.md gives; replies use the same format;
attachments of every size around the 64 KiB chunk boundary come back intact; receipts and
key files round-trip."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.crypto import (
    DeviceIdentity,
    Kind,
    ReceiptStatus,
    Sealed,
    Urgency,
    export_agency_root,
    export_device_keys,
    import_agency_root,
    import_device_keys,
    parse_header,
    sign_receipt,
    verify_receipt,
)
from hub.crypto import attachments as att
from hub.crypto.envelope import AttachmentRef

from .world import (
    CONTENT,
    DAY,
    NOW,
    POOL_SIZE,
    POOL_TYPE,
    RECEIVING,
    SENDING,
    TYPE,
    World,
    distrusted,
    open_as,
    rejected,
    seal_to,
)

MIB = 1 << 20
CHUNK = att.CHUNK


def pattern(size: int, seed: bytes) -> bytes:
    """``size`` bytes repeating ``seed``: hypothesis draws small binaries, this reaches 1 MiB."""
    return (seed * (size // len(seed) + 1))[:size]


bodies = st.binary(max_size=MIB) | st.builds(pattern, st.integers(0, MIB),
                                             st.binary(min_size=1, max_size=16))


def body_length(content: int, devices: int, attachments: int = 0) -> int:
    """docs/envelope.md: inner = cert, keys, manifest, length, content, signature; Pad(512)
    always adds at least one byte; the AEAD adds a 16-byte tag."""
    inner = 229 + 32 * devices + 1 + 41 * attachments + 4 + content + 64
    return 16 + (inner // 512 + 1) * 512


def assert_every_recipient_recovers(world: World, sealed: Sealed, devices: list[DeviceIdentity],
                                    content: bytes, sender: DeviceIdentity | None = None) -> None:
    keys = tuple(d.keys.box_public for d in devices)
    for device in devices:
        opened = open_as(world, sealed.envelope, device)
        assert opened.content == content
        assert opened.sender == (sender or world.sender).certificate
        assert opened.header == sealed.header == parse_header(sealed.envelope)
        assert opened.recipients == keys


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=bodies, count=st.integers(1, POOL_SIZE), urgency=st.sampled_from(Urgency),
       lifetime=st.integers(1, 400 * DAY))
def test_every_recipient_recovers_the_same_body_sender_and_header(
        world: World, content: bytes, count: int, urgency: Urgency, lifetime: int):
    devices = world.pool[:count]
    sealed = seal_to(world, devices, content, referral_type=POOL_TYPE, urgency=urgency,
                     lifetime=lifetime)
    header = sealed.header
    assert (header.kind, header.destination, header.referral_type, header.urgency) == (
        Kind.REFERRAL, RECEIVING, POOL_TYPE, urgency)
    assert (header.created_at, header.expires_at) == (NOW, NOW + lifetime)
    assert header.thread_id == header.envelope_id and len(header.wrapped_keys) == count
    assert len(sealed.envelope) == 176 + 80 * count + body_length(len(content), count)
    assert_every_recipient_recovers(world, sealed, devices, content)
    if count < POOL_SIZE:
        with rejected("not-a-recipient"):
            open_as(world, sealed.envelope, world.pool[count])


@pytest.mark.parametrize("count", [1, 2, POOL_SIZE])
@pytest.mark.parametrize("size", [0, 1, 511, 512, 513, MIB])
def test_bodies_at_the_padding_boundaries_round_trip(world: World, size: int, count: int):
    content = pattern(size, b"\x00\xffab")
    devices = world.pool[:count]
    sealed = seal_to(world, devices, content, referral_type=POOL_TYPE)
    assert len(sealed.envelope) - 176 - 80 * count == body_length(size, count)
    assert_every_recipient_recovers(world, sealed, devices, content)


def test_an_envelope_sealed_to_the_rosters_group_opens_for_the_point_person_and_backup(
        world: World):
    recipients = world.shared_trust.roster(RECEIVING, NOW).recipients(TYPE, NOW)
    assert [c.person for c in recipients] == ["hh-point", "hh-backup"]
    sealed = seal_to(world, [world.point, world.backup])
    assert_every_recipient_recovers(world, sealed, [world.point, world.backup], CONTENT)


def test_the_sender_may_choose_the_envelope_id_for_idempotent_retries(world: World):
    sealed = seal_to(world, [world.point], envelope_id=b"\x07" * 16)
    assert parse_header(sealed.envelope).envelope_id == b"\x07" * 16
    assert open_as(world, sealed.envelope, world.point).header.thread_id == b"\x07" * 16


def test_a_reply_goes_back_to_the_senders_group_in_the_same_format(world: World):
    referral = seal_to(world, [world.point, world.backup])
    thread = open_as(world, referral.envelope, world.point).header.envelope_id
    mercy = [world.sender]
    assert [c.box_public for c in world.shared_trust.roster(SENDING, NOW).recipients(TYPE, NOW)] \
        == [world.sender.keys.box_public]
    reply = seal_to(world, mercy, b'{"status": "bed held"}', sender=world.point,
                    destination=SENDING, urgency=Urgency.ROUTINE, kind=Kind.REPLY,
                    thread_id=thread)
    assert (reply.header.kind, reply.header.thread_id) == (Kind.REPLY, thread)
    assert reply.header.envelope_id != thread
    assert_every_recipient_recovers(world, reply, mercy, b'{"status": "bed held"}', world.point)


def test_a_drills_envelope_says_so_in_its_authenticated_header(world: World):
    drill = seal_to(world, [world.point], drill=True)
    real = seal_to(world, [world.point])
    assert drill.envelope[5] == 0x80 | Kind.REFERRAL and real.envelope[5] == Kind.REFERRAL
    opened = open_as(world, drill.envelope, world.point)
    assert (opened.header.drill, opened.header.kind) == (True, Kind.REFERRAL)
    assert not parse_header(real.envelope).drill
    cleared = bytearray(drill.envelope)
    cleared[5] = Kind.REFERRAL  # the hub (or anyone) taking the mark off: it no longer opens
    with rejected():
        open_as(world, bytes(cleared), world.point)


ATTACHMENT_SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 1, 3 * CHUNK - 7]


def test_attachments_around_the_chunk_boundary_round_trip(world: World):
    data = [pattern(size, bytes([i + 1, 0x5A])) for i, size in enumerate(ATTACHMENT_SIZES)]
    devices = [world.point, world.backup]
    sealed = seal_to(world, devices, attachments=data)
    assert len(sealed.envelope) - 176 - 160 == body_length(len(CONTENT), 2, len(data))
    for device in devices:
        opened = open_as(world, sealed.envelope, device)
        assert [(r.index, r.size) for r in opened.attachments] == list(
            enumerate(ATTACHMENT_SIZES))
        for ref, blob, plain in zip(opened.attachments, sealed.attachments, data, strict=True):
            assert len(blob) == 24 + ref.size + 17 * max(1, -(-ref.size // CHUNK))
            assert ref.blob_hash == att.blob_hash(blob)
            assert opened.open_attachment(ref.index, blob) == plain


def test_sixteen_attachments_the_most_allowed_round_trip(world: World):
    data = [bytes([i]) * i for i in range(16)]
    sealed = seal_to(world, [world.point], attachments=data)
    opened = open_as(world, sealed.envelope, world.point)
    assert [opened.open_attachment(i, b) for i, b in enumerate(sealed.attachments)] == data


@pytest.mark.parametrize("size", [0, CHUNK, 2 * CHUNK + 3])
def test_a_streamed_attachment_opens_like_a_whole_one(size: int):
    data = random.Random(size).randbytes(size)
    cuts = sorted(random.Random(size + 1).sample(range(size + 1), k=min(size, 5)))
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, size], strict=True)]
    key, digest = b"\x11" * 32, b"\x22" * 32
    blob = b"".join(att.seal_chunks(pieces, key, digest, 3))
    assert len(blob) == att.blob_length(size)
    ref = AttachmentRef(3, size, att.blob_hash(blob))
    assert att.open_attachment(blob, key, digest, ref) == data


def test_a_receipt_round_trips_for_a_group_device(world: World, sealed: Sealed):
    raw = sign_receipt(world.backup, envelope_id=sealed.header.envelope_id,
                       header_hash=sealed.header.hash, status=ReceiptStatus.ACCEPTED, at=NOW + 5)
    assert len(raw) == 142
    group = world.shared_trust.roster(RECEIVING, NOW).recipients(TYPE, NOW)
    receipt, device = verify_receipt(raw, envelope_id=sealed.header.envelope_id,
                                     header_hash=sealed.header.hash, devices=group)
    assert device == world.backup.certificate
    assert (receipt.status, receipt.at, receipt.device_id) == (
        ReceiptStatus.ACCEPTED, NOW + 5, world.backup.certificate.device_id)


@pytest.mark.parametrize("passphrase", [None, "correct horse battery staple"])
def test_key_files_round_trip_and_refuse_a_wrong_passphrase(world: World, passphrase: str | None):
    keys, root = world.sender.keys, world.agencies[SENDING].root
    restored = import_device_keys(export_device_keys(keys, passphrase), passphrase)
    assert (restored.box_public, restored.sign_public) == (keys.box_public, keys.sign_public)
    assert import_agency_root(export_agency_root(root), None).public == root.public
    if passphrase is not None:
        with distrusted("bad-passphrase"):
            import_device_keys(export_device_keys(keys, passphrase), "wrong")

"""Rejections: every damaged or hostile input docs/envelope.md names is refused, each in its
own test, with the library's documented errors: an envelope, attachment or receipt with the
one uniform EnvelopeError ("envelope rejected", a reason code kept for logs and tests); a
key, certificate or roster with TrustError. Hostile bytes are cut and forged with
tests/crypto/forge.py, which follows the doc's byte layout, not the library's code.
"""

from __future__ import annotations

import dataclasses
import os

import pytest

from hub.crypto import (
    DeviceIdentity,
    DeviceKeys,
    EnvelopeError,
    ReceiptStatus,
    Sealed,
    SeenEnvelopes,
    numeric_fingerprint,
    parse_certificate,
    parse_header,
    sign_receipt,
    verify_certificate,
    verify_receipt,
    verify_roster,
)
from hub.crypto.attachments import MAX_ATTACHMENT
from hub.crypto.certificates import issue_certificate
from hub.crypto.header import MAX_CONTENT
from hub.crypto.rosters import ROSTER_FORMAT, RosterBody, sign_roster

from . import forge
from .forge import FINAL, MESSAGE, Draft, flip, get, put, u
from .world import (
    CONTENT,
    DAY,
    NOW,
    OTHER,
    RECEIVING,
    SENDING,
    TYPE,
    World,
    distrusted,
    new_device,
    open_as,
    rejected,
    seal_to,
)

SMALL_ORDER = {  # X25519 points of order 1, 2, 4 or 8, and non-canonical encodings of them
    "zero": "00" * 32,
    "one": "01" + "00" * 31,
    "order-8-a": "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "order-8-b": "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "p-1": "ec" + "ff" * 30 + "7f",
    "p": "ed" + "ff" * 30 + "7f",
    "p+1": "ee" + "ff" * 30 + "7f",
}
small_order = pytest.mark.parametrize(
    "point", [bytes.fromhex(h) for h in SMALL_ORDER.values()], ids=list(SMALL_ORDER))


def refused(world: World, envelope: bytes, device: DeviceIdentity) -> bool:
    """True when opening fails with the uniform error; any other exception propagates."""
    try:
        open_as(world, envelope, device)
    except EnvelopeError as e:
        return str(e) == "envelope rejected"
    return False


def open_forged(world: World, d: Draft, device: DeviceIdentity):
    return open_as(world, forge.forge(d)[0], device)


def hand_made_certificate(world: World, agency: str, person: str, *, box_public: bytes,
                          sign_public: bytes):
    """A certificate signed by hand, for keys ``certify_device`` would refuse to certify."""
    return parse_certificate(forge.certificate(
        world.agencies[agency].root.seed, agency=agency, person=person, device_id=os.urandom(16),
        box_public=box_public, sign_public=sign_public, issued_at=NOW - DAY,
        expires_at=NOW + DAY))


# -- damaged bytes -----------------------------------------------------------------------------

def test_a_single_flipped_bit_anywhere_is_rejected(world: World, envelope: bytes):
    """Every bit of every byte, the other recipient's wrapped key included."""
    assert len(envelope) == 176 + 2 * 80 + 528
    accepted = [(i, bit) for i in range(len(envelope)) for bit in range(8)
                if not refused(world, flip(envelope, i, bit), world.point)]
    assert accepted == []


def test_every_truncation_is_rejected(world: World):
    envelope = seal_to(world, [world.point]).envelope
    assert [n for n in range(len(envelope)) if not refused(world, envelope[:n], world.point)] == []


@pytest.mark.parametrize("extra", [1, 15, 16, 511, 512, 513, 1024])
def test_appended_bytes_are_rejected(world: World, envelope: bytes, extra: int):
    with rejected():
        open_as(world, envelope + os.urandom(extra), world.point)


# -- who may open --------------------------------------------------------------------------------

def test_a_device_that_was_not_sealed_to_is_rejected(world: World, envelope: bytes):
    for outsider in (world.staff, world.pool[0]):
        with rejected("not-a-recipient"):
            open_as(world, envelope, outsider)


def test_a_device_of_another_agency_is_rejected(world: World, envelope: bytes):
    with rejected("wrong-agency"):
        open_as(world, envelope, world.stranger)


def test_a_device_of_another_agency_is_rejected_even_when_sealed_to(world: World):
    envelope = seal_to(world, [world.point, world.stranger]).envelope
    with rejected("wrong-agency"):
        open_as(world, envelope, world.stranger)


# -- every header field is bound -----------------------------------------------------------------

def change(name: str, value: bytes):
    return lambda envelope: put(envelope, name, value)


def shift(name: str, delta: int):
    size = forge.LAYOUT[name][1]
    return lambda e: put(e, name, u(int.from_bytes(get(e, name), "big") + delta, size))


def new_id(envelope: bytes) -> bytes:
    return put(put(envelope, "envelope_id", b"\x99" * 16), "thread_id", b"\x99" * 16)


HEADER_EDITS = {
    "magic": (change("magic", b"CCRX"), "malformed"),
    "version": (change("version", b"\x02"), "unknown-version"),
    "kind-reply": (change("kind", b"\x02"), "ciphertext"),
    "kind-unknown": (change("kind", b"\x04"), "malformed"),
    "envelope-id": (new_id, "key-commitment"),
    "thread-id-of-a-referral": (change("thread_id", b"\x99" * 16), "malformed"),
    "destination-another-agency": (change("destination", forge.slug(OTHER)), "wrong-agency"),
    "destination-not-a-slug": (change("destination", forge.slug("Harbor-House")), "malformed"),
    "destination-bad-padding": (change("destination", b"harbor-house\0x".ljust(32, b"\0")),
                                "malformed"),
    "referral-type": (change("referral_type", forge.slug("shelter-request")), "ciphertext"),
    "urgency": (change("urgency", b"\x03"), "ciphertext"),
    "urgency-unknown": (change("urgency", b"\x04"), "malformed"),
    "created-at": (shift("created_at", -1), "ciphertext"),
    "expires-at": (shift("expires_at", 1), "ciphertext"),
    "expires-after-400-days": (shift("expires_at", 400 * DAY), "malformed"),
    "expires-before-created": (shift("expires_at", -7 * DAY), "malformed"),
    "key-commitment": (lambda e: flip(e, forge.LAYOUT["commitment"][0] + 5), "key-commitment"),
    "nonce": (lambda e: flip(e, forge.LAYOUT["nonce"][0]), "ciphertext"),
    "count": (shift("count", 1), "malformed"),
}


@pytest.mark.parametrize("edit, reason", HEADER_EDITS.values(), ids=list(HEADER_EDITS))
def test_a_changed_header_field_is_rejected(world: World, envelope: bytes, edit, reason: str):
    for device in (world.point, world.backup):
        with rejected(reason):
            open_as(world, edit(envelope), device)


# -- wrapped keys and bodies ---------------------------------------------------------------------

def test_a_dropped_wrapped_key_is_rejected(world: World, envelope: bytes):
    point_slot, backup_slot = forge.wrapped_keys(envelope)
    for kept in ([point_slot], [backup_slot]):
        damaged = forge.with_wrapped_keys(envelope, kept)
        assert all(refused(world, damaged, d) for d in (world.point, world.backup))


def test_a_duplicated_wrapped_key_is_rejected(world: World, envelope: bytes):
    first, second = forge.wrapped_keys(envelope)
    for keys in ([first, second, first], [first, first], [first, second, second]):
        damaged = forge.with_wrapped_keys(envelope, keys)
        with rejected():
            open_as(world, damaged, world.point)
        with rejected():
            open_as(world, damaged, world.backup)


def test_reordered_wrapped_keys_are_rejected(world: World, envelope: bytes):
    first, second = forge.wrapped_keys(envelope)
    damaged = forge.with_wrapped_keys(envelope, [second, first])
    for device in (world.point, world.backup):
        with rejected("ciphertext"):
            open_as(world, damaged, device)


def test_a_body_grafted_from_another_envelope_is_rejected(world: World, envelope: bytes):
    other = seal_to(world, [world.point, world.backup], CONTENT.upper()).envelope
    grafted = forge.split(envelope)[0] + forge.split(other)[1]
    assert len(grafted) == len(envelope)
    for device in (world.point, world.backup):
        with rejected("ciphertext"):
            open_as(world, grafted, device)


# -- replay and time -----------------------------------------------------------------------------

def test_a_replayed_envelope_id_is_rejected(world: World, envelope: bytes):
    seen = SeenEnvelopes()
    open_as(world, envelope, world.point, replay=seen)
    with rejected("replay"):
        open_as(world, envelope, world.point, replay=seen)


def test_a_fresh_envelope_reusing_a_seen_id_is_rejected(world: World):
    first, again = (seal_to(world, [world.point], envelope_id=b"\x05" * 16) for _ in range(2))
    assert first.envelope != again.envelope
    seen = SeenEnvelopes()
    open_as(world, first.envelope, world.point, replay=seen)
    with rejected("replay"):
        open_as(world, again.envelope, world.point, replay=seen)


def test_a_rejected_envelope_does_not_use_up_its_id(world: World):
    sealed = seal_to(world, [world.point])
    seen = SeenEnvelopes()
    with rejected("ciphertext"):
        open_as(world, flip(sealed.envelope, len(sealed.envelope) - 1), world.point, replay=seen)
    open_as(world, sealed.envelope, world.point, replay=seen)


def test_an_envelope_from_too_far_in_the_future_is_rejected(world: World):
    envelope = seal_to(world, [world.point], now=NOW + 301).envelope
    with rejected("from-future"):
        open_as(world, envelope, world.point, now=NOW)
    open_as(world, envelope, world.point, now=NOW + 1)  # 300 s of clock skew are tolerated


def test_an_envelope_past_its_expiry_is_rejected(world: World):
    envelope = seal_to(world, [world.point], lifetime=DAY).envelope
    open_as(world, envelope, world.point, now=NOW + DAY - 1)
    with rejected("expired"):
        open_as(world, envelope, world.point, now=NOW + DAY)


# -- forwarding and forging by recipients --------------------------------------------------------

def forward(envelope: bytes, by: DeviceIdentity, to: DeviceIdentity) -> bytes:
    """What a recipient can do: take the content key and the signed inner content, and
    re-wrap them for a third party under a header naming the third party's agency."""
    content_key = forge.unwrap(envelope, by.keys.box_public, by.keys.box_secret)
    inner = forge.decrypt(envelope, content_key)
    keys = forge.wrapped_keys(envelope)
    keys[0] = forge.wrap(content_key, to.keys.box_public)
    header = forge.split(forge.with_wrapped_keys(envelope, keys))[0]
    header = put(header, "destination", forge.slug(to.certificate.agency))
    return forge.encrypt(header, inner, content_key)


def test_surreptitious_forwarding_to_a_third_party_is_rejected(world: World, envelope: bytes):
    for third_party in (world.staff, world.stranger):
        with rejected("signature"):
            open_as(world, forward(envelope, world.point, third_party), third_party)


def test_a_device_missing_from_the_signed_recipient_list_is_rejected(world: World, draft: Draft):
    listed = (world.point.keys.box_public, world.backup.keys.box_public)
    forwarded = dataclasses.replace(
        draft, wrap_to=(world.staff.keys.box_public, world.backup.keys.box_public), listed=listed)
    envelope = forge.forge(forwarded)[0]
    open_as(world, envelope, world.backup)
    with rejected("recipient-mismatch"):
        open_as(world, envelope, world.staff)


def test_a_co_recipient_forging_a_body_under_the_senders_signature_is_rejected(
        world: World, envelope: bytes):
    backup = world.backup.keys
    content_key = forge.unwrap(envelope, backup.box_public, backup.box_secret)
    inner = forge.parse_inner(forge.decrypt(envelope, content_key), 2)
    forged = dataclasses.replace(inner, content=b'{"note": "changed by a co-recipient"}')
    body = forged.unsigned() + forged.signature
    with rejected("signature"):
        open_as(world, forge.encrypt(forge.split(envelope)[0], body, content_key), world.point)


def test_a_co_recipient_re_signing_the_body_as_its_own_is_rejected(world: World, draft: Draft):
    resigned = dataclasses.replace(draft, cert=world.backup.certificate.raw,
                                   sign_seed=world.backup.keys.sign_seed)
    with rejected("sender-is-recipient-agency"):
        open_forged(world, resigned, world.point)


def test_a_co_recipient_cannot_sign_as_a_device_of_another_agency(world: World, draft: Draft):
    impersonated = dataclasses.replace(draft, cert=world.stranger.certificate.raw,
                                       sign_seed=world.backup.keys.sign_seed)
    with rejected("signature"):
        open_forged(world, impersonated, world.point)


def test_a_key_commitment_mismatch_is_rejected(world: World, draft: Draft):
    wrong = dataclasses.replace(draft, commitment=forge.commitment(b"\x01" * 32, draft.envelope_id))
    for device in (world.point, world.backup):
        with rejected("key-commitment"):
            open_forged(world, wrong, device)


def test_recipients_given_different_content_keys_cannot_both_open(world: World, draft: Draft):
    split_keys = forge.forge(dataclasses.replace(draft, slot_keys={1: b"\x43" * 32}))[0]
    open_as(world, split_keys, world.point)
    with rejected("key-commitment"):
        open_as(world, split_keys, world.backup)


def test_the_hand_forged_baseline_opens_so_each_forgery_fails_by_its_one_change(
        world: World, draft: Draft):
    opened = open_forged(world, dataclasses.replace(draft, attachments=(b"x" * 70_000,)),
                         world.backup)
    assert opened.content == draft.content and opened.sender == world.sender.certificate


# -- certificates and rosters --------------------------------------------------------------------

def foreign_nurse(world: World) -> DeviceIdentity:
    """A device claiming to be mercy-nurse's, certified by riverside-pd's root."""
    return new_device(world.agencies[OTHER].root, SENDING, "mercy-nurse")


def test_a_certificate_from_another_root_is_not_verified(world: World):
    with distrusted("certificate-signature"):
        verify_certificate(foreign_nurse(world).certificate, world.agencies[SENDING].root.public,
                           now=NOW)


def test_a_roster_listing_a_certificate_from_another_root_is_refused(world: World):
    mercy = world.agencies[SENDING]
    signed = mercy.roster(version=2, extra=[foreign_nurse(world).certificate])
    with distrusted("certificate-signature"):
        verify_roster(signed, mercy.root.public, agency=SENDING, now=NOW)


def test_an_envelope_from_a_device_certified_by_another_root_is_rejected(world: World):
    envelope = seal_to(world, [world.point], sender=foreign_nurse(world)).envelope
    with rejected("untrusted-sender"):
        open_as(world, envelope, world.point)


def test_a_roster_signed_by_another_root_is_refused(world: World):
    signed = world.agencies[SENDING].roster(version=2, root=world.agencies[OTHER].root)
    with distrusted("roster-signature"):
        world.trust().accept_roster(SENDING, signed, NOW)


def test_a_roster_for_another_agency_is_refused(world: World):
    with distrusted("roster-agency"):
        verify_roster(world.agencies[OTHER].roster(), world.agencies[OTHER].root.public,
                      agency=SENDING, now=NOW)


def test_an_expired_certificate_is_not_verified(world: World):
    cert = world.sender.certificate
    root = world.agencies[SENDING].root.public
    verify_certificate(cert, root, now=cert.expires_at - 1)
    with distrusted("certificate-expired"):
        verify_certificate(cert, root, now=cert.expires_at)


def test_an_envelope_from_a_device_whose_certificate_expired_is_rejected(world: World):
    mercy = world.agencies[SENDING]
    short_lived = new_device(mercy.root, SENDING, "mercy-nurse", expires_at=NOW + 3600)
    trust = world.trust()
    trust.accept_roster(SENDING, mercy.roster(version=2, extra=[short_lived.certificate]), NOW)
    early = seal_to(world, [world.point], sender=short_lived).envelope
    open_as(world, early, world.point, trust=trust)
    late = seal_to(world, [world.point], sender=short_lived, now=NOW + 3600).envelope
    with rejected("untrusted-sender"):
        open_as(world, late, world.point, trust=trust, now=NOW + 3600)


def test_an_expired_device_is_not_sealed_to(world: World):
    harbor = world.agencies[RECEIVING]
    expired = new_device(harbor.root, RECEIVING, "hh-backup", issued_at=NOW - 9 * DAY,
                         expires_at=NOW - DAY)
    roster = verify_roster(harbor.roster(extra=[expired.certificate]), harbor.root.public,
                           agency=RECEIVING, now=NOW)
    assert expired.certificate.device_id not in roster.devices
    assert expired.certificate not in roster.recipients(TYPE, NOW)


def test_a_device_not_valid_yet_is_left_out_until_it_is(world: World):
    harbor = world.agencies[RECEIVING]
    early = new_device(harbor.root, RECEIVING, "hh-backup", issued_at=NOW + DAY,
                       expires_at=NOW + 30 * DAY)
    roster = harbor.roster(extra=[early.certificate])
    today = verify_roster(roster, harbor.root.public, agency=RECEIVING, now=NOW)
    assert early.certificate.device_id not in today.devices  # the roster itself is accepted
    tomorrow = verify_roster(roster, harbor.root.public, agency=RECEIVING, now=NOW + DAY)
    assert early.certificate.device_id in tomorrow.devices


def test_an_envelope_from_a_revoked_device_is_rejected(world: World, envelope: bytes):
    mercy = world.agencies[SENDING]
    trust = world.trust()
    trust.accept_roster(SENDING, mercy.roster(version=2, revoked=[world.sender.certificate]), NOW)
    with rejected("untrusted-sender"):
        open_as(world, envelope, world.point, trust=trust)


def test_a_revoked_device_is_not_sealed_to(world: World):
    harbor = world.agencies[RECEIVING]
    roster = world.trust().accept_roster(
        RECEIVING, harbor.roster(version=2, revoked=[world.backup.certificate]), NOW)
    assert roster.recipients(TYPE, NOW) == [world.point.certificate]


def test_a_roster_rollback_to_an_older_version_is_refused(world: World):
    mercy, trust = world.agencies[SENDING], world.trust()
    newer = trust.accept_roster(SENDING, mercy.roster(version=3), NOW)
    with distrusted("roster-rollback"):
        trust.accept_roster(SENDING, mercy.roster(version=2), NOW)
    assert trust.roster(SENDING, NOW) == newer


def test_another_roster_with_the_same_version_is_refused(world: World):
    mercy, trust = world.agencies[SENDING], world.trust()
    with distrusted("roster-rollback"):
        trust.accept_roster(SENDING, mercy.roster(version=1, expires_at=NOW + 99 * DAY), NOW)
    trust.accept_roster(SENDING, mercy.roster(version=1), NOW)  # the same bytes again: fine


def test_a_roster_putting_a_coordinator_in_an_escalation_group_is_refused(world: World):
    harbor = world.agencies[RECEIVING]
    misplaced = dataclasses.replace(harbor, groups={TYPE: ("hh-point", ("hh-coord",))})
    with distrusted("bad-roster"):
        verify_roster(misplaced.roster(), harbor.root.public, agency=RECEIVING, now=NOW)


def test_an_expired_roster_is_refused(world: World):
    mercy = world.agencies[SENDING]
    with distrusted("roster-expired"):
        verify_roster(mercy.roster(expires_at=NOW), mercy.root.public, agency=SENDING, now=NOW)


def test_an_envelope_is_rejected_once_the_senders_roster_has_expired(world: World):
    mercy, trust = world.agencies[SENDING], world.trust()
    trust.accept_roster(SENDING, mercy.roster(version=2, expires_at=NOW + DAY), NOW)
    envelope = seal_to(world, [world.point], now=NOW + DAY).envelope
    with rejected("untrusted-sender"):
        open_as(world, envelope, world.point, trust=trust, now=NOW + DAY)


def test_a_wrong_fingerprint_or_a_second_root_cannot_be_pinned(world: World):
    mercy, other = world.agencies[SENDING].root, world.agencies[OTHER].root
    trust = world.trust()
    with distrusted("fingerprint-mismatch"):
        trust.pin("new-agency", mercy.public, fingerprint=numeric_fingerprint(other.public))
    with distrusted("pin-conflict"):
        trust.pin(SENDING, other.public)


# -- low-order keys ------------------------------------------------------------------------------

@small_order
def test_a_low_order_key_is_never_certified(world: World, point: bytes):
    with distrusted("low-order-key"):
        issue_certificate(world.agencies[RECEIVING].root, agency=RECEIVING, person="hh-backup",
                          device_id=os.urandom(16), box_public=point,
                          sign_public=world.backup.keys.sign_public, issued_at=NOW,
                          expires_at=NOW + DAY)


@small_order
def test_a_hand_signed_certificate_with_a_low_order_key_is_not_verified(world: World,
                                                                        point: bytes):
    cert = hand_made_certificate(world, RECEIVING, "hh-backup", box_public=point,
                                 sign_public=world.backup.keys.sign_public)
    with distrusted("low-order-key"):
        verify_certificate(cert, world.agencies[RECEIVING].root.public, now=NOW)
    with distrusted("low-order-key"):
        verify_roster(world.agencies[RECEIVING].roster(extra=[cert]),
                      world.agencies[RECEIVING].root.public, agency=RECEIVING, now=NOW)


@small_order
def test_seal_refuses_a_low_order_recipient_key(world: World, point: bytes):
    cert = hand_made_certificate(world, RECEIVING, "hh-backup", box_public=point,
                                 sign_public=world.backup.keys.sign_public)
    with distrusted("low-order-key"):
        seal_to(world, [world.point, DeviceIdentity(dataclasses.replace(
            world.backup.keys, box_public=point), cert)])


@small_order
def test_a_sender_with_a_low_order_key_is_rejected(world: World, point: bytes):
    keys = dataclasses.replace(DeviceKeys.generate(), box_public=point)
    cert = hand_made_certificate(world, SENDING, "mercy-nurse", box_public=point,
                                 sign_public=keys.sign_public)
    envelope = seal_to(world, [world.point], sender=DeviceIdentity(keys, cert)).envelope
    with rejected("untrusted-sender"):
        open_as(world, envelope, world.point)


@small_order
def test_a_wrapped_key_with_a_low_order_ephemeral_key_is_rejected(world: World,
                                                                  envelope: bytes, point: bytes):
    keys = forge.wrapped_keys(envelope)
    keys[0] = point + keys[0][32:]
    damaged = forge.with_wrapped_keys(envelope, keys)
    with rejected("not-a-recipient"):
        open_as(world, damaged, world.point)


# -- versions and limits -------------------------------------------------------------------------

@pytest.mark.parametrize("version", [0, 2, 0x7F, 0xFF])
def test_an_unknown_version_byte_is_rejected(world: World, envelope: bytes, version: int):
    with rejected("unknown-version"):
        parse_header(put(envelope, "version", bytes([version])))
    with rejected("unknown-version"):
        open_as(world, put(envelope, "version", bytes([version])), world.point)


def test_more_than_64_wrapped_keys_are_rejected_before_any_public_key_work(
        world: World, draft: Draft):
    devices = [world.point, *world.pool]
    assert len(devices) == 65
    envelope = forge.forge(dataclasses.replace(
        draft, wrap_to=tuple(d.keys.box_public for d in devices)))[0]
    assert envelope[175] == 65
    with rejected("too-many-recipients"):
        parse_header(envelope)
    with rejected("too-many-recipients"):
        open_as(world, envelope, world.point)


def test_seal_refuses_65_devices(world: World):
    with distrusted("recipients"):
        seal_to(world, [world.point, *world.pool])


def test_an_envelope_with_no_wrapped_key_is_rejected(world: World, envelope: bytes):
    with rejected("malformed"):
        open_as(world, forge.with_wrapped_keys(envelope, []), world.point)


def test_seal_refuses_a_device_listed_twice(world: World):
    with distrusted("recipients"):
        seal_to(world, [world.point, world.backup, world.point])


def test_seal_refuses_content_over_4_mib_and_more_than_16_attachments(world: World):
    with distrusted("too-large"):
        seal_to(world, [world.point], bytes(MAX_CONTENT + 1))
    with distrusted("too-large"):
        seal_to(world, [world.point], attachments=[b""] * 17)


def test_content_over_4_mib_is_rejected_when_opening(world: World, draft: Draft):
    oversized = dataclasses.replace(draft, wrap_to=draft.wrap_to[:1],
                                    content=bytes(MAX_CONTENT + 1))
    with rejected():
        open_forged(world, oversized, world.point)


def test_seal_refuses_an_attachment_over_256_mib(world: World):
    with distrusted():
        seal_to(world, [world.point], attachments=[bytes(MAX_ATTACHMENT + 1)])


# -- attachments ---------------------------------------------------------------------------------

SIZE = 2 * forge.CHUNK + 5  # three chunks, the last one short


@pytest.fixture(scope="module")
def with_attachments(world: World) -> Sealed:
    return seal_to(world, [world.point], attachments=[b"a" * SIZE, b"b" * SIZE])


@pytest.fixture(scope="module")
def opened(world: World, with_attachments: Sealed):
    return open_as(world, with_attachments.envelope, world.point)


def reassemble(blob: bytes, order: list[int]) -> bytes:
    parts = forge.pieces(blob)
    return parts[0] + b"".join(parts[1 + i] for i in order)


def test_attachments_swapped_within_an_envelope_are_rejected(opened, with_attachments: Sealed):
    first, second = with_attachments.attachments
    with rejected("attachment-hash"):
        opened.open_attachment(0, second)
    with rejected("attachment-hash"):
        opened.open_attachment(1, first)


def test_an_attachment_with_reordered_chunks_is_rejected(opened, with_attachments: Sealed):
    with rejected("attachment-hash"):
        opened.open_attachment(0, reassemble(with_attachments.attachments[0], [1, 0, 2]))


def test_reordered_chunks_are_rejected_even_under_a_matching_manifest(world: World, draft: Draft):
    d = dataclasses.replace(draft, attachments=(b"c" * SIZE,),
                            edit=lambda p: [p[0], p[2], p[1], p[3]])
    envelope, blobs = forge.forge(d)
    with rejected("attachment-ciphertext"):
        open_as(world, envelope, world.point).open_attachment(0, blobs[0])


def test_a_truncated_attachment_is_rejected(opened, with_attachments: Sealed):
    blob = with_attachments.attachments[0]
    for cut in (1, 17, 18, len(forge.pieces(blob)[-1]), len(blob) - 24, len(blob)):
        with rejected("attachment-size"):
            opened.open_attachment(0, blob[:-cut])


def test_an_attachment_missing_its_final_chunk_is_rejected(opened, with_attachments: Sealed):
    blob = with_attachments.attachments[0]
    with rejected("attachment-size"):
        opened.open_attachment(0, reassemble(blob, [0, 1]))


@pytest.mark.parametrize("kept", [1, 2], ids=["one-of-three", "two-of-three"])
def test_a_missing_final_chunk_is_rejected_even_under_a_matching_manifest(
        world: World, draft: Draft, kept: int):
    d = dataclasses.replace(draft, attachments=(b"d" * (3 * forge.CHUNK),),
                            edit=lambda p: p[: 1 + kept])
    envelope, blobs = forge.forge(d)
    with rejected("attachment-truncated"):
        open_as(world, envelope, world.point).open_attachment(0, blobs[0])


@pytest.mark.parametrize("tag", [lambda n, count: MESSAGE, lambda n, count: FINAL],
                         ids=["never-final", "final-first"])
def test_a_misplaced_final_tag_is_rejected(world: World, draft: Draft, tag):
    d = dataclasses.replace(draft, attachments=(b"e" * (2 * forge.CHUNK),), tag=tag)
    envelope, blobs = forge.forge(d)
    with rejected("attachment-truncated"):
        open_as(world, envelope, world.point).open_attachment(0, blobs[0])


def test_an_attachment_not_matching_the_manifest_size_is_rejected(opened,
                                                                  with_attachments: Sealed):
    with rejected("attachment-size"):
        opened.open_attachment(0, with_attachments.attachments[0] + b"\0")


def test_an_attachment_not_matching_the_manifest_hash_is_rejected(opened,
                                                                  with_attachments: Sealed):
    blob = with_attachments.attachments[0]
    for index in (0, 30, len(blob) // 2, len(blob) - 1):
        with rejected("attachment-hash"):
            opened.open_attachment(0, flip(blob, index))


def test_an_attachment_from_another_envelope_is_rejected(world: World, opened):
    other = seal_to(world, [world.point], attachments=[b"a" * SIZE])
    with rejected("attachment-hash"):
        opened.open_attachment(0, other.attachments[0])


def test_an_attachment_swapped_between_envelopes_under_a_matching_manifest_is_rejected(
        world: World, draft: Draft):
    donor = forge.forge(dataclasses.replace(draft, envelope_id=b"\x01" * 16,
                                            attachments=(b"f" * SIZE,)))[1][0]
    d = dataclasses.replace(draft, attachments=(b"f" * SIZE,),
                            edit=lambda _: forge.pieces(donor))
    envelope, blobs = forge.forge(d)
    assert blobs[0] == donor
    with rejected("attachment-ciphertext"):
        open_as(world, envelope, world.point).open_attachment(0, donor)


def test_an_unknown_attachment_index_is_rejected(opened, with_attachments: Sealed):
    for index in (-1, 2):
        with rejected("attachment-unknown"):
            opened.open_attachment(index, with_attachments.attachments[0])


# -- receipts ------------------------------------------------------------------------------------

def receipt(device: DeviceIdentity, sealed: Sealed) -> bytes:
    return sign_receipt(device, envelope_id=sealed.header.envelope_id,
                        header_hash=sealed.header.hash, status=ReceiptStatus.ACKNOWLEDGED, at=NOW)


def check_receipt(world: World, raw: bytes, sealed: Sealed):
    group = world.shared_trust.roster(RECEIVING, NOW).recipients(TYPE, NOW)
    return verify_receipt(raw, envelope_id=sealed.header.envelope_id,
                          header_hash=sealed.header.hash, devices=group)


def test_a_receipt_for_another_envelope_is_rejected(world: World, sealed: Sealed):
    other = seal_to(world, [world.point, world.backup])
    with rejected("receipt-for-other-envelope"):
        check_receipt(world, receipt(world.point, other), sealed)
    mixed = sign_receipt(world.point, envelope_id=sealed.header.envelope_id,
                         header_hash=other.header.hash, status=ReceiptStatus.ACKNOWLEDGED, at=NOW)
    with rejected("receipt-for-other-envelope"):
        check_receipt(world, mixed, sealed)


def test_a_receipt_from_a_device_outside_the_roster_group_is_rejected(world: World,
                                                                      sealed: Sealed):
    for outsider in (world.stranger, world.staff, world.pool[0], world.sender):
        with rejected("receipt-device-unknown"):
            check_receipt(world, receipt(outsider, sealed), sealed)


def test_a_receipt_naming_a_group_device_but_signed_by_another_is_rejected(world: World,
                                                                          sealed: Sealed):
    signed = receipt(world.point, sealed)[:78]
    forged = signed + world.staff.keys.sign(b"ccrhub receipt v1\0" + signed)
    with rejected("receipt-signature"):
        check_receipt(world, forged, sealed)


def test_a_receipt_with_a_flipped_bit_is_rejected(world: World, sealed: Sealed):
    raw = receipt(world.point, sealed)
    check_receipt(world, raw, sealed)
    accepted = []
    for i in range(len(raw)):
        for bit in range(8):
            try:
                check_receipt(world, flip(raw, i, bit), sealed)
                accepted.append((i, bit))
            except EnvelopeError:
                pass
    assert accepted == []


# -- found while writing these tests --------------------------------------------------------------

@pytest.mark.parametrize("entry", ["not-hex", "abc", "00"])
def test_a_roster_with_a_revoked_entry_that_is_not_a_device_id_is_refused(world: World, entry: str):
    mercy = world.agencies[SENDING]
    body = RosterBody(format=ROSTER_FORMAT, agency=SENDING, version=2, issued_at=NOW,
                      expires_at=NOW + DAY, people=(), devices=(), revoked=(entry,), groups=())
    with distrusted():
        verify_roster(sign_roster(mercy.root, body), mercy.root.public, agency=SENDING, now=NOW)

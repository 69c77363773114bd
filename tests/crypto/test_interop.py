"""Interop: a second implementation that follows docs/envelope.md gets the same bytes. The
library hashes with hashlib's BLAKE2b (hub/crypto/fields.py); for every purpose the doc
names, that is libsodium's crypto_generichash (nacl.hash.blake2b) with the same key, salt and
personalisation. A reader and a writer built from the doc alone on libsodium
(tests/crypto/forge.py) exchange envelopes with the library. Root fingerprints follow the
doc: 60 digits to read aloud, and a short form whose checksum catches any single typo."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import string

import nacl.bindings as sodium
import nacl.encoding
import nacl.hash
import pytest

from hub.crypto import (
    AgencyRoot,
    Sealed,
    TrustError,
    matches_fingerprint,
    numeric_fingerprint,
    short_fingerprint,
)
from hub.crypto import attachments as att
from hub.crypto.envelope import _nonce_for, commitment, wrap_key
from hub.crypto.fields import blake2b
from hub.crypto.header import header_hash

from . import forge
from .forge import Draft, H
from .world import World, distrusted, open_as, seal_to

PERSONS = [b"ccrhub-hdr-v1", b"ccrhub-cmt-v1", b"ccrhub-inner-v1", b"ccrhub-attkey-v1",
           b"ccrhub-fp-v1", b"ccrhub-fpck-v1"]
INPUTS = [b"", b"abc", bytes(range(256)) * 5]
PARAMS = [  # (size, key, salt)
    (32, b"", b""), (64, b"", b""), (5, b"", b""), (24, b"", b""),
    (32, b"\x42" * 32, b""), (32, b"\x42" * 32, b"\x00\x03"), (16, b"k", b"salt-sixteen-byt"),
]
ROOT = AgencyRoot.from_seed(b"\x07" * 32)


@pytest.mark.parametrize("person", PERSONS, ids=[p.decode() for p in PERSONS])
@pytest.mark.parametrize("size, key, salt", PARAMS)
def test_the_librarys_blake2b_is_libsodiums_generichash(person: bytes, size: int, key: bytes,
                                                        salt: bytes):
    for data in INPUTS:
        ours = blake2b(data, person=person, size=size, key=key, salt=salt)
        libsodium = nacl.hash.blake2b(data, digest_size=size, key=key, salt=salt, person=person,
                                      encoder=nacl.encoding.RawEncoder)
        python = hashlib.blake2b(data, digest_size=size, key=key, salt=salt,
                                 person=person).digest()
        assert ours == libsodium == python == H(data, person=person, key=key, salt=salt,
                                               size=size)


def test_the_header_hash_is_the_docs_formula(sealed: Sealed):
    header = forge.split(sealed.envelope)[0]
    assert header == sealed.header.raw
    expected = hashlib.blake2b(header, digest_size=32, person=b"ccrhub-hdr-v1").digest()
    assert header_hash(header) == sealed.header.hash == expected
    assert expected == nacl.hash.blake2b(header, person=b"ccrhub-hdr-v1",
                                         encoder=nacl.encoding.RawEncoder)


def test_the_key_commitment_and_attachment_keys_are_the_docs_formulas():
    content_key, envelope_id = b"\x42" * 32, b"\x01" * 16
    assert commitment(content_key, envelope_id) == forge.commitment(content_key, envelope_id)
    for index in (0, 1, 15):
        assert att.attachment_key(content_key, index) == forge.attachment_key(content_key, index)


def test_a_wrapped_key_is_libsodiums_sealed_box_with_an_injected_ephemeral_key(world: World):
    pk, sk = world.point.keys.box_public, world.point.keys.box_secret
    ephemeral_seed = b"\x33" * 32
    wrapped = wrap_key(b"\x42" * 32, pk, lambda n: ephemeral_seed[:n])
    epk = sodium.crypto_box_seed_keypair(ephemeral_seed)[0]
    assert _nonce_for(epk, pk) == H(epk + pk, person=b"", size=24)
    assert wrapped == forge.wrap(b"\x42" * 32, pk, ephemeral_seed)
    assert sodium.crypto_box_seal_open(wrapped, pk, sk) == b"\x42" * 32


def test_a_reader_following_the_doc_opens_what_the_library_seals(world: World, sealed: Sealed):
    for device in (world.point, world.backup):
        inner = forge.read(sealed.envelope, device.keys.box_public, device.keys.box_secret)
        opened = open_as(world, sealed.envelope, device)
        assert inner.content == opened.content
        assert inner.cert == opened.sender.raw == world.sender.certificate.raw
        assert inner.recipients == opened.recipients


def test_the_library_opens_what_a_writer_following_the_doc_seals(world: World, draft: Draft):
    data = (b"", b"x" * (att.CHUNK + 1))
    envelope, blobs = forge.forge(dataclasses.replace(draft, attachments=data))
    for device in (world.point, world.backup):
        opened = open_as(world, envelope, device)
        assert opened.content == draft.content
        assert [opened.open_attachment(i, b) for i, b in enumerate(blobs)] == list(data)


def test_the_library_and_a_writer_following_the_doc_seal_the_same_bytes(world: World,
                                                                        draft: Draft):
    draws = [draft.content_key, draft.envelope_id, draft.nonce, b"\x51" * 32, b"\x52" * 32]
    same = dataclasses.replace(draft, ephemerals=tuple(draws[3:]))
    stream = iter(draws)
    sealed = seal_to(world, [world.point, world.backup], draft.content, lifetime=draft.lifetime,
                     rand=lambda n: next(stream))
    assert sealed.envelope == forge.forge(same)[0]


# -- fingerprints --------------------------------------------------------------------------------

def digest_by_the_doc(public: bytes) -> bytes:
    d = public
    for _ in range(1024):
        d = H(d + public, person=b"ccrhub-fp-v1", size=64)
    return d


def test_the_numeric_fingerprint_is_60_digits_by_the_docs_formula():
    text = numeric_fingerprint(ROOT.public)
    assert re.fullmatch(r"(\d{5} ){11}\d{5}", text)
    assert len(text.replace(" ", "")) == 60
    d = digest_by_the_doc(ROOT.public)
    assert text == " ".join(f"{int.from_bytes(d[5 * i : 5 * i + 5], 'big') % 100_000:05d}"
                            for i in range(12))


def test_the_short_fingerprint_follows_the_docs_formula():
    text = short_fingerprint(ROOT.public)
    assert re.fullmatch(r"CCR1-([A-Z2-7]{4}-){6}[A-Z2-7]{4}", text)
    body = base64.b32encode(digest_by_the_doc(ROOT.public)[:15]).decode()
    check = base64.b32encode(H(body.encode(), person=b"ccrhub-fpck-v1", size=5)).decode()[:4]
    assert text == "CCR1-" + "-".join([body[i : i + 4] for i in range(0, 24, 4)] + [check])


def test_a_fingerprint_matches_its_root_whatever_the_case_spaces_and_dashes():
    short, numeric = short_fingerprint(ROOT.public), numeric_fingerprint(ROOT.public)
    for text in (short, short.lower(), short.replace("-", ""), short.replace("-", " "),
                 numeric, numeric.replace(" ", ""), numeric.replace(" ", "-")):
        assert matches_fingerprint(ROOT.public, text)


def test_a_fingerprint_of_another_root_does_not_match():
    other = AgencyRoot.from_seed(b"\x08" * 32).public
    assert not matches_fingerprint(other, short_fingerprint(ROOT.public))
    assert not matches_fingerprint(other, numeric_fingerprint(ROOT.public))


def test_any_single_changed_character_of_a_short_fingerprint_is_caught_by_its_checksum():
    """The doc: a checksum failure is reported as a typo (TrustError), not as a mismatch."""
    text = short_fingerprint(ROOT.public)
    positions = [i for i, ch in enumerate(text) if i >= 5 and ch != "-"]
    assert len(positions) == 28
    alphabet = string.ascii_uppercase + "234567"
    for i in positions:
        for ch in alphabet.replace(text[i], ""):
            with distrusted("fingerprint-typo"):
                matches_fingerprint(ROOT.public, text[:i] + ch + text[i + 1 :])


def test_a_single_changed_digit_of_a_numeric_fingerprint_does_not_match():
    text = numeric_fingerprint(ROOT.public)
    for i in (0, 16, len(text) - 1):  # digits, not the spaces between groups
        changed = text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1 :]
        assert not matches_fingerprint(ROOT.public, changed)


@pytest.mark.parametrize("text", ["", "CCR1-ABCD", "CCR2-" + "A" * 28, "12345 6789x"])
def test_a_fingerprint_of_the_wrong_shape_is_refused(text: str):
    with pytest.raises(TrustError):
        matches_fingerprint(ROOT.public, text)

"""The outer header: the only part of an envelope the hub may read. Byte layout in
docs/envelope.md; parsing is strict and checks every limit before any public-key work."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property

from .errors import EnvelopeError
from .fields import SLUG_LEN, U64, blake2b, decode_slug, encode_slug

MAGIC = b"CCRE"
VERSION = 1
WRAPPED_KEY_LEN = 80  # a sealed box of a 32-byte key: ephemeral key, MAC, key
MAX_RECIPIENTS = 64
FIXED_LEN = 4 + 1 + 1 + 16 + 16 + SLUG_LEN + SLUG_LEN + 1 + 8 + 8 + 32 + 24 + 1
PAD_BLOCK = 512
AEAD_TAG = 16
MAX_CONTENT = 4 * 1024 * 1024
MAX_ATTACHMENTS = 16
MAX_LIFETIME = 400 * 86400


class Kind(IntEnum):
    REFERRAL = 1
    REPLY = 2
    REDUCED = 3  # a referral's content reduced by its receiving agency (narrative purged)


DRILL = 0x80  # the kind byte's high bit: a drill's envelope (every device shows a banner)


class Urgency(IntEnum):
    ROUTINE = 1
    URGENT = 2
    EMERGENT = 3


@dataclass(frozen=True)
class Header:
    kind: Kind
    envelope_id: bytes
    thread_id: bytes  # the referral's envelope id; equal to envelope_id for a referral
    destination: str
    referral_type: str
    urgency: Urgency
    created_at: int
    expires_at: int
    commitment: bytes
    nonce: bytes
    wrapped_keys: tuple[bytes, ...]
    raw: bytes

    @cached_property
    def hash(self) -> bytes:
        return header_hash(self.raw)

    @property
    def drill(self) -> bool:
        """Sealed for a drill: its content is made up, and every device says so."""
        return bool(self.raw[5] & DRILL)


def header_hash(raw: bytes) -> bytes:
    return blake2b(raw, person=b"ccrhub-hdr-v1")


def encode_header(*, kind: Kind, envelope_id: bytes, thread_id: bytes, destination: str,
                  referral_type: str, urgency: Urgency, created_at: int, expires_at: int,
                  commitment: bytes, nonce: bytes, wrapped_keys: list[bytes],
                  drill: bool = False) -> bytes:
    return b"".join([
        MAGIC, bytes([VERSION, kind | (DRILL if drill else 0)]), envelope_id, thread_id,
        encode_slug(destination), encode_slug(referral_type), bytes([urgency]),
        U64.pack(created_at), U64.pack(expires_at), commitment, nonce,
        bytes([len(wrapped_keys)]), *wrapped_keys,
    ])


def max_padded_inner() -> int:
    overhead = 229 + 32 * MAX_RECIPIENTS + 1 + 41 * MAX_ATTACHMENTS + 4 + 64 + 1
    return -(-(MAX_CONTENT + overhead) // PAD_BLOCK) * PAD_BLOCK


# kind, envelope_id, thread_id, destination, referral_type, urgency, created_at, expires_at,
# commitment, nonce: the header's fixed part, in Header's field order
_Fixed = tuple[Kind, bytes, bytes, str, str, Urgency, int, int, bytes, bytes]


def _malformed() -> EnvelopeError:
    return EnvelopeError("malformed")


_FIXED = struct.Struct(f">4sBB16s16s{SLUG_LEN}s{SLUG_LEN}sBQQ32s24sB")  # the fixed fields


def _read_fixed(data: bytes) -> tuple[_Fixed, int]:
    """The fixed fields, checked, and the count of wrapped keys (one struct unpack: the
    header is parsed for every envelope the hub takes and every grant a device makes)."""
    (magic, version, kind_code, envelope_id, thread_id, destination_field, type_field,
     urgency_code, created_at, expires_at, key_commitment, nonce,
     count) = _FIXED.unpack_from(data)
    if magic != MAGIC:
        raise _malformed()
    if version != VERSION:
        raise EnvelopeError("unknown-version")
    try:
        kind, urgency = Kind(kind_code & ~DRILL), Urgency(urgency_code)
    except ValueError:
        raise _malformed() from None
    destination, referral_type = decode_slug(destination_field), decode_slug(type_field)
    if (destination is None or referral_type is None
            or not created_at < expires_at <= created_at + MAX_LIFETIME
            or (kind is Kind.REFERRAL and thread_id != envelope_id)):
        raise _malformed()
    return (kind, envelope_id, thread_id, destination, referral_type, urgency, created_at,
            expires_at, key_commitment, nonce), count


def _check_body_length(body_len: int) -> None:
    if body_len < PAD_BLOCK + AEAD_TAG or (body_len - AEAD_TAG) % PAD_BLOCK:
        raise _malformed()
    if body_len - AEAD_TAG > max_padded_inner():
        raise EnvelopeError("too-large")


def split_envelope(data: bytes) -> tuple[Header, bytes]:
    """Parse an envelope into its header and body ciphertext, checking every length and
    field. Raises EnvelopeError. Cheap: no public-key work."""
    if len(data) < FIXED_LEN + WRAPPED_KEY_LEN + PAD_BLOCK + AEAD_TAG:
        raise _malformed()
    data = bytes(data)
    fixed, count = _read_fixed(data)
    if not 1 <= count <= MAX_RECIPIENTS:
        raise EnvelopeError("too-many-recipients" if count else "malformed")
    header_len = FIXED_LEN + count * WRAPPED_KEY_LEN
    if len(data) < header_len:
        raise _malformed()
    wrapped = tuple(data[at:at + WRAPPED_KEY_LEN]
                    for at in range(FIXED_LEN, header_len, WRAPPED_KEY_LEN))
    _check_body_length(len(data) - header_len)
    return Header(*fixed, wrapped, data[:header_len]), data[header_len:]


def parse_header(data: bytes) -> Header:
    """What the hub reads of an envelope: the header, after a full structural check."""
    return split_envelope(data)[0]


@dataclass(frozen=True)
class KeyFields:
    """What a recipient device reads of an envelope to hand it on (a key grant): the ids,
    the key commitment, the wrapped keys and the exact header's hash."""

    envelope_id: bytes
    thread_id: bytes
    commitment: bytes
    wrapped_keys: tuple[bytes, ...]
    raw: bytes

    @cached_property
    def hash(self) -> bytes:
        return header_hash(self.raw)


_COUNT_AT = FIXED_LEN - 1


def key_fields(data: bytes) -> KeyFields:
    """The fields a grant needs, read straight from their places (a device hands on a
    thousand referrals at a time). Checked only as far as they are read: magic, version,
    the number of wrapped keys and the lengths; the grantee parses everything strictly."""
    if len(data) < FIXED_LEN or data[:4] != MAGIC or data[4] != VERSION:
        raise _malformed()
    count = data[_COUNT_AT]
    end = FIXED_LEN + count * WRAPPED_KEY_LEN
    if not 1 <= count <= MAX_RECIPIENTS or len(data) < end:
        raise _malformed()
    raw = bytes(data[:end])
    return KeyFields(raw[6:22], raw[22:38], raw[119:151],
                     tuple(raw[at:at + WRAPPED_KEY_LEN]
                           for at in range(FIXED_LEN, end, WRAPPED_KEY_LEN)), raw)

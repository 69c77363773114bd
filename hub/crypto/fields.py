"""Fixed-size binary fields shared by the envelope, certificate and receipt formats
(docs/envelope.md, "Conventions"). Pure functions; no cryptography here."""

from __future__ import annotations

import hashlib
import hmac
import re
import struct
from collections.abc import Callable

import nacl.utils

Random = Callable[[int], bytes]
"""Where randomness comes from: ``nacl.utils.random`` in production, a seeded stream in
known-answer vectors."""

system_random: Random = nacl.utils.random

SLUG_LEN = 32
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
U64 = struct.Struct(">Q")
U32 = struct.Struct(">I")
U16 = struct.Struct(">H")


def encode_slug(value: str) -> bytes:
    if not SLUG_RE.fullmatch(value):
        raise ValueError(f"not a slug (a-z, 0-9 and '-', at most 32): {value!r}")
    return value.encode("ascii").ljust(SLUG_LEN, b"\0")


def decode_slug(raw: bytes) -> str | None:
    """The slug in a zero-padded field, or None when the field is not canonical."""
    text = raw.rstrip(b"\0")
    if b"\0" in text:
        return None
    try:
        value = text.decode("ascii")
    except UnicodeDecodeError:
        return None
    return value if SLUG_RE.fullmatch(value) else None


def blake2b(data: bytes, *, person: bytes, size: int = 32, key: bytes = b"",
            salt: bytes = b"") -> bytes:
    """BLAKE2b with a per-purpose personalisation, so no hash is ever reused for two jobs.

    hashlib's BLAKE2b is the same function as libsodium's crypto_generichash (a test pins
    the two together); it is used because PyNaCl's wrapper spends ~40 us checking arguments.
    """
    return hashlib.blake2b(data, digest_size=size, key=key, salt=salt, person=person).digest()


def equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison (hmac.compare_digest; sodium_memcmp's wrapper costs 4 us)."""
    return hmac.compare_digest(a, b)


class Reader:
    """Reads fixed-size fields off a buffer; the caller checks ``done`` at the end."""

    __slots__ = ("_data", "_pos", "_error")

    def __init__(self, data: bytes, error: Callable[[], Exception]):
        self._data = bytes(data)
        self._pos = 0
        self._error = error

    def take(self, n: int) -> bytes:
        pos = self._pos
        end = pos + n
        if n < 0 or end > len(self._data):
            raise self._error()
        self._pos = end
        return self._data[pos:end]

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def u64(self) -> int:
        return int.from_bytes(self.take(8), "big")

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def done(self) -> None:
        if self._pos != len(self._data):
            raise self._error()

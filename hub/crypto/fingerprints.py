"""Fingerprints of agency roots, for the first contact between two agencies: a 60-digit
number to read aloud over the phone, and a short checksummed text to copy and paste."""

from __future__ import annotations

import base64

from .errors import TrustError
from .fields import blake2b, equal

_ITERATIONS = 1024


def _digest(public: bytes) -> bytes:
    h = public
    for _ in range(_ITERATIONS):  # slows down a search for a look-alike key
        h = blake2b(h + public, person=b"ccrhub-fp-v1", size=64)
    return h


def numeric_fingerprint(public: bytes) -> str:
    """Twelve groups of five digits, 60 digits in all (Signal's safety-number layout)."""
    h = _digest(public)
    groups = [int.from_bytes(h[i * 5 : i * 5 + 5], "big") % 100_000 for i in range(12)]
    return " ".join(f"{g:05d}" for g in groups)


def short_fingerprint(public: bytes) -> str:
    """'CCR1-' then 24 base32 characters of the digest in groups of four, then a 4-character
    checksum that catches a mistyped or truncated paste."""
    body = base64.b32encode(_digest(public)[:15]).decode()
    check = base64.b32encode(blake2b(body.encode(), person=b"ccrhub-fpck-v1", size=5)).decode()[:4]
    groups = [body[i : i + 4] for i in range(0, 24, 4)]
    return "CCR1-" + "-".join([*groups, check])


def _normalise(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def matches_fingerprint(public: bytes, text: str) -> bool:
    """Compare a fingerprint given by a person (either form) with a root public key. A short
    form with a bad checksum is a typo, reported as such rather than as a mismatch."""
    given = _normalise(text)
    if given.isdigit():
        return equal(given.encode(), _normalise(numeric_fingerprint(public)).encode())
    if not given.startswith("CCR1") or len(given) != 4 + 24 + 4:
        raise TrustError("bad-fingerprint", "a fingerprint is 60 digits or CCR1-XXXX-...")
    body, check = given[4:28], given[28:]
    expected = base64.b32encode(blake2b(body.encode(), person=b"ccrhub-fpck-v1", size=5)).decode()
    if check != expected[:4]:
        raise TrustError("fingerprint-typo", "that fingerprint has a typo: check it again")
    return equal(given.encode(), _normalise(short_fingerprint(public)).encode())

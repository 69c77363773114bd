"""A case link the hub cannot follow (docs/envelope.md, "Case link").

The first sender of a survivor's case draws a random case secret and seals it inside the
envelope; every agency that opens the record carries it onward. Each agency pair derives
its own link id from it, a keyed BLAKE2b (a MAC) over the pair's two agency ids in sorted
order, so both agencies of a pair find the same id and the hub, which never holds the
secret, sees ids on different pairs that it cannot relate. Pure functions; no I/O."""

from __future__ import annotations

from .fields import Random, blake2b, encode_slug, system_random

SECRET_LEN = 32
LINK_LEN = 32
PERSON = b"ccrhub-link-v1"


def new_case_secret(random: Random = system_random) -> bytes:
    return random(SECRET_LEN)


def link_id(secret: bytes, agency: str, other: str) -> bytes:
    """The opaque link id of the case for the pair {agency, other}: the same whichever of
    the two computes it; unrelated, without the secret, to any other pair's."""
    if len(secret) != SECRET_LEN:
        raise ValueError(f"a case secret is {SECRET_LEN} bytes")
    if agency == other:
        raise ValueError("a link id is for two different agencies")
    first, second = sorted((agency, other))
    return blake2b(encode_slug(first) + encode_slug(second), key=secret, person=PERSON,
                   size=LINK_LEN)

"""The case link's known answers, pinned in both implementations (web/test/caselink.test.mjs
holds the same): the same id whichever agency of the pair computes it, another pair's
unrelated, a wrong-sized secret refused."""

from __future__ import annotations

import pytest

from hub.crypto.caselink import link_id

SECRET = bytes(range(32))


def test_a_pair_gets_the_same_known_link_id_from_either_side() -> None:
    want = "2074dbd607d534986ccedb00f338a271001f407352a67113db731196c4672a7e"
    assert link_id(SECRET, "mercy-hospital", "harbor-house").hex() == want
    assert link_id(SECRET, "harbor-house", "mercy-hospital").hex() == want
    assert link_id(SECRET, "harbor-house", "northside-counseling").hex() == \
        "4c95ca12273c4145d3c3525fc829a28e39bc1e5181b50754d8bd250df5339f01"


def test_another_secret_gives_an_unrelated_id() -> None:
    other = bytes([1]) + SECRET[1:]
    assert link_id(other, "mercy-hospital", "harbor-house") != \
        link_id(SECRET, "mercy-hospital", "harbor-house")


@pytest.mark.parametrize(("secret", "a", "b"), [(SECRET[:31], "a", "b"), (SECRET, "a", "a"),
                                                (SECRET, "A", "b")])
def test_a_bad_secret_or_pair_is_refused(secret: bytes, a: str, b: str) -> None:
    with pytest.raises(ValueError):
        link_id(secret, a, b)

"""The roster log: a device follows a log that grows, and refuses a head that does not extend
what it saw (a fork, a rollback, a head signed by another key); the roster served must be
the newest logged for its agency; two parties' heads compare equal along one history and
differ, saying so, when the hub showed them two."""

from __future__ import annotations

import pytest

from hub.crypto import AgencyRoot, TrustError
from hub.crypto.auditlog import HubKey
from hub.crypto.rosterlog import (
    GENESIS,
    LogHead,
    LogWitness,
    compare,
    entry_hash,
    log_entry,
    roster_digest,
)
from hub.crypto.rosters import SignedRoster

from .world import RECEIVING, World

KEY = HubKey.generate()


def grow(entries: list[bytes], agency: str, signed: SignedRoster, version: int
         ) -> tuple[list[bytes], LogHead]:
    prev = entry_hash(entries[-1]) if entries else GENESIS
    entries = [*entries, log_entry(len(entries), agency, version, roster_digest(signed), prev)]
    return entries, LogHead.signed(KEY, len(entries), entry_hash(entries[-1]))


@pytest.fixture(scope="module")
def rosters(world: World) -> tuple[SignedRoster, SignedRoster, SignedRoster]:
    agency = world.agencies[RECEIVING]
    return agency.roster(version=1), agency.roster(version=2), \
        agency.roster(version=2, extra=[world.stranger.certificate])


def test_a_device_follows_a_growing_log_and_checks_the_roster_served(rosters) -> None:
    v1, v2, _ = rosters
    entries, head1 = grow([], RECEIVING, v1, 1)
    witness = LogWitness()
    assert witness.needs(head1) == 0
    witness.advance(entries, head1)
    witness.check_served(RECEIVING, v1)
    entries, head2 = grow(entries, RECEIVING, v2, 2)
    assert witness.needs(head2) == 1
    witness.advance(entries[1:], head2)
    witness.check_served(RECEIVING, v2)
    with pytest.raises(TrustError) as info:
        witness.check_served(RECEIVING, v1)  # an older roster than the log's newest
    assert info.value.reason == "roster-not-logged"
    assert LogWitness.of(witness.doc()) == witness
    assert LogHead.parse(head2.text()) == head2


def test_a_fork_a_rollback_and_another_key_are_refused(rosters) -> None:
    v1, v2, forked = rosters
    entries, head1 = grow([], RECEIVING, v1, 1)
    honest, head2 = grow(entries, RECEIVING, v2, 2)
    other, fork2 = grow(entries, RECEIVING, forked, 2)
    witness = LogWitness()
    witness.advance(honest, head2)
    for shown in (fork2, head1):
        with pytest.raises(TrustError) as info:
            witness.needs(shown)
        assert info.value.reason == "roster-log-fork"
    stranger = HubKey.from_seed(AgencyRoot.generate().seed)
    with pytest.raises(TrustError) as info:
        witness.needs(LogHead.signed(stranger, 3, bytes(32)))
    assert info.value.reason == "roster-log-key"
    behind = LogWitness()
    behind.advance(entries, head1)
    with pytest.raises(TrustError) as info:  # the hub's entries do not end in its head
        behind.advance(other[1:], head2)
    assert info.value.reason == "roster-log-fork"


def test_comparing_heads_catches_a_hub_that_showed_two_histories(rosters) -> None:
    v1, v2, forked = rosters
    entries, head1 = grow([], RECEIVING, v1, 1)
    honest, head2 = grow(entries, RECEIVING, v2, 2)
    _, fork2 = grow(entries, RECEIVING, forked, 2)
    assert compare(head2, head1, honest) == ""  # one is a prefix of the other
    assert compare(head1, head2, honest) == ""
    said = compare(head2, fork2, honest)
    assert "different roster histories" in said
    with pytest.raises(TrustError):
        LogHead.parse(head2.text().replace(":2:", ":3:"))  # the signature no longer holds

"""Key grants (docs/envelope.md, "Key grants"): a device sealed to an envelope hands it on to a
device approved later, which opens it, attachments too; a grant from a device outside the
roster, from a roster device that was not a recipient, replayed onto another envelope or
another device, or altered in any byte, is refused with the one uniform error."""

from __future__ import annotations

import pytest

from hub.crypto import TrustStore
from hub.crypto.grants import GRANT_LEN, Granter, open_with_grant, parse_grant, verify_grant

from .world import CONTENT, NOW, RECEIVING, World, new_device, rejected, seal_to


@pytest.fixture(scope="module")
def newcomer(world: World):
    """A harbor-house backup approved after the referral was sealed (roster version 2)."""
    return new_device(world.agencies[RECEIVING].root, RECEIVING, "hh-backup")


@pytest.fixture(scope="module")
def trust(world: World, newcomer) -> TrustStore:
    store = world.trust()
    store.accept_roster(RECEIVING, world.agencies[RECEIVING].roster(
        version=2, extra=[newcomer.certificate]), NOW)
    return store


def test_a_device_approved_after_sealing_reads_the_referral_and_its_attachments(
        world: World, newcomer, trust: TrustStore) -> None:
    sealed = seal_to(world, [world.point, world.backup], attachments=[b"discharge summary"])
    grant = Granter(world.point).grant(sealed.envelope, newcomer.certificate,
                                       roster_version=2, now=NOW)
    assert len(grant) == GRANT_LEN
    opened = open_with_grant(sealed.envelope, grant, device=newcomer, trust=trust, now=NOW)
    assert opened.content == CONTENT
    assert opened.sender == world.sender.certificate
    assert opened.open_attachment(0, sealed.attachments[0]) == b"discharge summary"


def test_the_hub_reads_who_granted_to_whom_and_checks_the_signature(
        world: World, newcomer, sealed) -> None:
    grant = Granter(world.point).grant(sealed.envelope, newcomer.certificate,
                                       roster_version=2, now=NOW)
    parsed, granter = verify_grant(grant, devices=[world.backup.certificate,
                                                   world.point.certificate])
    assert granter == world.point.certificate
    assert parsed.grantee_id == newcomer.certificate.device_id
    assert parsed.envelope_id == sealed.header.envelope_id
    with rejected("grant-granter-unknown"):
        verify_grant(grant, devices=[world.backup.certificate])


def test_a_grant_from_a_device_outside_the_roster_is_refused(world: World, newcomer, trust,
                                                             sealed) -> None:
    outsider = new_device(world.agencies[RECEIVING].root, RECEIVING, "hh-point")
    forged = seal_to(world, [world.point, outsider])
    grant = Granter(outsider).grant(forged.envelope, newcomer.certificate, roster_version=2,
                                    now=NOW)
    with rejected("grant-granter-unknown"):
        open_with_grant(forged.envelope, grant, device=newcomer, trust=trust, now=NOW)


def test_a_roster_device_that_was_not_sealed_to_cannot_grant(world: World, newcomer, trust,
                                                             sealed) -> None:
    """hh-staff is in the roster but was no recipient: it has no key to give, and a grant
    of a key it made up does not open the envelope."""
    granter = Granter(world.staff)
    with rejected("not-a-recipient"):
        granter.grant(sealed.envelope, newcomer.certificate, roster_version=2, now=NOW)


def test_a_grant_by_a_grantee_is_not_passed_on(world: World, newcomer, trust, sealed) -> None:
    """Only a device sealed to may grant: a grantee handing the key on is refused."""
    first = Granter(world.point).grant(sealed.envelope, newcomer.certificate, roster_version=2,
                                       now=NOW)
    opened = open_with_grant(sealed.envelope, first, device=newcomer, trust=trust, now=NOW)
    third = new_device(world.agencies[RECEIVING].root, RECEIVING, "hh-backup")
    trust.accept_roster(RECEIVING, world.agencies[RECEIVING].roster(
        version=3, extra=[newcomer.certificate, third.certificate]), NOW)
    onward = Granter(newcomer).grant_opened(opened, third.certificate, roster_version=3,
                                            now=NOW)
    with rejected("grant-granter-not-recipient"):
        open_with_grant(sealed.envelope, onward, device=third, trust=trust, now=NOW)


def test_a_grant_replayed_onto_another_envelope_or_device_is_refused(
        world: World, newcomer, trust, sealed) -> None:
    grant = Granter(world.point).grant(sealed.envelope, newcomer.certificate, roster_version=2,
                                       now=NOW)
    other = seal_to(world, [world.point, world.backup])
    with rejected("grant-other-envelope"):
        open_with_grant(other.envelope, grant, device=newcomer, trust=trust, now=NOW)
    with rejected("grant-other-device"):
        open_with_grant(sealed.envelope, grant, device=world.staff, trust=trust, now=NOW)


def test_every_altered_byte_of_a_grant_is_refused(world: World, newcomer, trust,
                                                  sealed) -> None:
    grant = Granter(world.point).grant(sealed.envelope, newcomer.certificate, roster_version=2,
                                       now=NOW)
    for i in range(len(grant)):
        altered = bytearray(grant)
        altered[i] ^= 0x01
        with rejected():
            open_with_grant(sealed.envelope, bytes(altered), device=newcomer, trust=trust,
                            now=NOW)
    with rejected("grant-malformed"):
        parse_grant(grant + b"\0")


def test_a_grant_naming_a_roster_newer_than_the_grantee_knows_is_refused(
        world: World, newcomer, trust, sealed) -> None:
    grant = Granter(world.point).grant(sealed.envelope, newcomer.certificate, roster_version=9,
                                       now=NOW)
    with rejected("grant-granter-unknown"):
        open_with_grant(sealed.envelope, grant, device=newcomer, trust=trust, now=NOW)


def test_a_device_refuses_to_grant_what_is_not_an_envelope_sealed_to_it(world: World, newcomer,
                                                                       sealed) -> None:
    granter = Granter(world.point)
    for garbage in (b"", b"CCRE", sealed.envelope[:175], b"XXXX" + sealed.envelope[4:],
                    sealed.envelope[:175] + b"\0" + sealed.envelope[176:]):
        with rejected():
            granter.grant(garbage, newcomer.certificate, roster_version=2, now=NOW)
    forged = bytearray(sealed.envelope)
    forged[130] ^= 1  # the key commitment: the key opened is not the envelope's
    with rejected("key-commitment"):
        granter.grant(bytes(forged), newcomer.certificate, roster_version=2, now=NOW)

"""Fixtures for the crypto tests: one world of agencies per session (tests/crypto/world.py),
a small sealed referral, and a forgeable draft of the same referral (tests/crypto/forge.py).
Pure: no Redis, no network."""

from __future__ import annotations

import pytest

from hub.crypto import Sealed

from .forge import Draft
from .world import World, make_world, seal_to


@pytest.fixture(scope="session")
def world() -> World:
    return make_world()


@pytest.fixture(scope="session")
def sealed(world: World) -> Sealed:
    """A small referral from mercy-nurse to harbor-house's group: hh-point, hh-backup."""
    return seal_to(world, [world.point, world.backup])


@pytest.fixture(scope="session")
def envelope(sealed: Sealed) -> bytes:
    return sealed.envelope


@pytest.fixture
def draft(world: World) -> Draft:
    """The same referral as ``sealed``, to be forged by hand (signed by mercy-nurse)."""
    return Draft(cert=world.sender.certificate.raw, sign_seed=world.sender.keys.sign_seed,
                 wrap_to=(world.point.keys.box_public, world.backup.keys.box_public))

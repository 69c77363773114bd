"""A small world for the crypto tests, built in memory with no hub: three agencies, each
with its own offline root, certified devices and a signed roster; plus one-line helpers to
seal to, and open as, its devices, and to assert the library's uniform errors."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from hub.crypto import (
    AgencyRoot,
    DeviceCertificate,
    DeviceIdentity,
    DeviceKeys,
    EnvelopeError,
    EscalationGroup,
    Opened,
    RosterPerson,
    Sealed,
    SignedRoster,
    TrustError,
    TrustStore,
    Urgency,
    certify_device,
    make_roster,
    open_envelope,
    seal,
)

NOW = 1_800_000_000
DAY = 86_400
SENDING, RECEIVING, OTHER = "mercy-hospital", "harbor-house", "riverside-pd"
TYPE = "discharge-handoff"  # harbor-house: hh-point, then hh-backup
POOL_TYPE = "shelter-request"  # harbor-house: hh-pool, one person with 64 devices
POOL_SIZE = 64
CONTENT = b'{"type": "discharge-handoff", "note": "call before 5pm"}'

# agency -> ({person: (roles, number of devices)}, {referral type: (point person, backups)})
PLAN: dict[str, tuple[dict[str, tuple[tuple[str, ...], int]], dict[str, tuple[str, tuple]]]] = {
    SENDING: ({"mercy-nurse": (("sender", "point_person"), 1)}, {TYPE: ("mercy-nurse", ())}),
    RECEIVING: (
        {"hh-point": (("point_person",), 1), "hh-backup": (("backup",), 1),
         "hh-pool": (("backup",), POOL_SIZE), "hh-staff": (("sender",), 1),
         "hh-coord": (("coordinator",), 0)},
        {TYPE: ("hh-point", ("hh-backup",)), POOL_TYPE: ("hh-pool", ())},
    ),
    OTHER: ({"rpd-detective": (("point_person", "sender"), 1)}, {TYPE: ("rpd-detective", ())}),
}


def new_device(root: AgencyRoot, agency: str, person: str, *, issued_at: int = NOW - DAY,
               expires_at: int = NOW + 365 * DAY) -> DeviceIdentity:
    keys = DeviceKeys.generate()
    cert = certify_device(root, keys, agency=agency, person=person, device_id=os.urandom(16),
                          issued_at=issued_at, expires_at=expires_at)
    return DeviceIdentity(keys, cert)


@dataclass
class Agency:
    id: str
    root: AgencyRoot
    roles: dict[str, tuple[str, ...]]
    groups: dict[str, tuple[str, tuple[str, ...]]]
    devices: dict[str, list[DeviceIdentity]] = field(default_factory=dict)

    def device(self, person: str, index: int = 0) -> DeviceIdentity:
        return self.devices[person][index]

    def roster(self, *, version: int = 1, expires_at: int = NOW + 30 * DAY,
               extra: Sequence[DeviceCertificate] = (), revoked: Sequence[DeviceCertificate] = (),
               root: AgencyRoot | None = None) -> SignedRoster:
        """This agency's signed roster; ``extra`` certificates are listed after its own."""
        own = [d.certificate for ds in self.devices.values() for d in ds]
        return make_roster(
            root or self.root, agency=self.id, version=version, issued_at=NOW - 3600,
            expires_at=expires_at,
            people=[RosterPerson(id=p, roles=r) for p, r in self.roles.items()],
            devices=[*own, *extra],
            groups=[EscalationGroup(type=t, point_person=p, backups=b)
                    for t, (p, b) in self.groups.items()],
            revoked=[c.device_id for c in revoked])


@dataclass
class World:
    agencies: dict[str, Agency]
    _trust: TrustStore | None = None

    @property
    def sender(self) -> DeviceIdentity:
        return self.agencies[SENDING].device("mercy-nurse")

    @property
    def point(self) -> DeviceIdentity:
        return self.agencies[RECEIVING].device("hh-point")

    @property
    def backup(self) -> DeviceIdentity:
        return self.agencies[RECEIVING].device("hh-backup")

    @property
    def staff(self) -> DeviceIdentity:
        """A harbor-house device that is in the roster but in no escalation group."""
        return self.agencies[RECEIVING].device("hh-staff")

    @property
    def stranger(self) -> DeviceIdentity:
        """A device of a third agency."""
        return self.agencies[OTHER].device("rpd-detective")

    @property
    def pool(self) -> list[DeviceIdentity]:
        return self.agencies[RECEIVING].devices["hh-pool"]

    def trust(self, now: int = NOW) -> TrustStore:
        """A fresh trust store: every root pinned, every roster verified."""
        store = TrustStore()
        for agency in self.agencies.values():
            store.pin(agency.id, agency.root.public)
            store.accept_roster(agency.id, agency.roster(), now)
        return store

    @property
    def shared_trust(self) -> TrustStore:
        """One store for the tests that only read it (verifying rosters costs ~10 ms)."""
        if self._trust is None:
            self._trust = self.trust()
        return self._trust


def make_world() -> World:
    agencies = {}
    for agency_id, (people, groups) in PLAN.items():
        agency = Agency(agency_id, AgencyRoot.generate(), {p: r for p, (r, _) in people.items()},
                        groups)
        for person, (_, count) in people.items():
            agency.devices[person] = [new_device(agency.root, agency_id, person)
                                      for _ in range(count)]
        agencies[agency_id] = agency
    return World(agencies)


def seal_to(world: World, devices: Sequence[DeviceIdentity], content: bytes = CONTENT, *,
            sender: DeviceIdentity | None = None, destination: str = RECEIVING,
            referral_type: str = TYPE, urgency: Urgency = Urgency.URGENT, now: int = NOW,
            lifetime: int = 7 * DAY, **kw) -> Sealed:
    return seal(content, sender=sender or world.sender,
                recipients=[d.certificate for d in devices], destination=destination,
                referral_type=referral_type, urgency=urgency, now=now, lifetime=lifetime, **kw)


def open_as(world: World, envelope: bytes, device: DeviceIdentity, *,
            trust: TrustStore | None = None, now: int = NOW, **kw) -> Opened:
    return open_envelope(envelope, device=device, trust=trust or world.shared_trust, now=now,
                         **kw)


@contextmanager
def rejected(reason: str | None = None) -> Iterator[pytest.ExceptionInfo]:
    """The envelope, attachment or receipt is refused with the one uniform error."""
    with pytest.raises(EnvelopeError) as info:
        yield info
    assert str(info.value) == "envelope rejected"
    if reason is not None:
        assert info.value.reason == reason


@contextmanager
def distrusted(reason: str | None = None) -> Iterator[pytest.ExceptionInfo]:
    """A key, certificate or roster is refused with TrustError."""
    with pytest.raises(TrustError) as info:
        yield info
    if reason is not None:
        assert info.value.reason == reason

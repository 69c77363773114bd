"""A whole simulated CCR for tests, benchmarks and demos: every agency gets an offline
root, every person who sends or receives gets a device, every agency publishes a signed
roster, every person gets a token.

This plays the parts that live outside the hub (agency admins and their devices), so it
holds private keys: it is client-side code that the server never imports. The hub itself
only ever sees public keys, signed rosters and sealed envelopes.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field

from hub.build import Services
from hub.client.rosters import escalation_groups, roster_people
from hub.crypto import (
    AgencyRoot,
    DeviceIdentity,
    DeviceKeys,
    Kind,
    Sealed,
    SignedRoster,
    TrustStore,
    Urgency,
    VerifiedRoster,
    certify_device,
    make_roster,
    seal,
)
from hub.routing.ccr import Ccr
from hub.services.principal import Principal

DEVICE_ROLES = {"sender", "point_person", "backup"}


@dataclass
class Member:
    person: str
    agency: str
    roles: frozenset[str]
    device: DeviceIdentity | None
    token: str = ""

    def principal(self) -> Principal:
        """As the hub knows this member once its token is issued (install_world)."""
        token_id = self.token.split("_")[1] if self.token else ""
        return Principal(self.person, self.agency, self.roles, token_id)

    @property
    def sealer(self) -> DeviceIdentity:
        """The device this member seals with; only people of DEVICE_ROLES have one."""
        if self.device is None:
            raise ValueError(f"{self.person} has no device: only a person with one of the "
                             f"roles {', '.join(sorted(DEVICE_ROLES))} seals")
        return self.device

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    ccr: Ccr
    now: int
    roots: dict[str, AgencyRoot] = field(default_factory=dict)
    rosters: dict[str, SignedRoster] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    _verified: dict[tuple[str, int], tuple[SignedRoster, bytes, VerifiedRoster]] = field(
        default_factory=dict, repr=False)
    _sealed_by: dict[bytes, str] = field(default_factory=dict, repr=False)

    def first(self, agency: str, role: str) -> Member:
        return next(m for m in self.members.values() if m.agency == agency and role in m.roles)

    def trust(self, now: int | None = None) -> TrustStore:
        store = TrustStore()
        for agency, root in self.roots.items():
            store.pin(agency, root.public)
            store.accept_roster(agency, self.rosters[agency], now or self.now)
        return store

    def roster(self, agency: str, now: int) -> VerifiedRoster:
        """``agency``'s current roster as a sender verifies it, remembered while it stands."""
        signed, root = self.rosters[agency], self.roots[agency].public
        kept = self._verified.get((agency, now))
        if kept is None or kept[:2] != (signed, root):
            store = TrustStore()
            store.pin(agency, root)
            store.accept_roster(agency, signed, now)
            kept = self._verified[agency, now] = (signed, root, store.roster(agency, now))
        return kept[2]

    def seal_referral(self, sender: Member, destination: str, referral_type: str,
                      content: bytes, *, urgency: Urgency = Urgency.URGENT, now: int | None = None,
                      attachments: tuple[bytes, ...] = (), lifetime: int = 30 * 86400) -> Sealed:
        now = now or self.now
        roster = self.roster(destination, now)
        sealed = seal(content, sender=sender.sealer,
                      recipients=roster.recipients(referral_type, now),
                      destination=destination, referral_type=referral_type, urgency=urgency,
                      now=now, lifetime=lifetime, attachments=attachments)
        self._sealed_by[sealed.header.envelope_id] = sender.person
        return sealed

    def seal_drill(self, sender: Member, destination: str, referral_type: str, content: bytes,
                   *, urgency: Urgency, now: int | None = None) -> Sealed:
        """A drill's referral, sealed by ``sender``'s device standing in for the drill
        sender device a coordinator's CLI holds (services/drills.py)."""
        now = now or self.now
        roster = self.roster(destination, now)
        return seal(content, sender=sender.sealer, recipients=roster.recipients(referral_type, now),
                    destination=destination, referral_type=referral_type, urgency=urgency,
                    now=now, lifetime=7 * 86400, drill=True)

    def seal_reply(self, author: Member, thread: bytes, destination: str, referral_type: str,
                   content: bytes, *, now: int | None = None) -> Sealed:
        now = now or self.now
        roster = self.roster(destination, now)
        return seal(content, sender=author.sealer, recipients=roster.recipients(referral_type, now),
                    destination=destination, referral_type=referral_type,
                    urgency=Urgency.ROUTINE, now=now, lifetime=30 * 86400, kind=Kind.REPLY,
                    thread_id=thread)

    def consent(self, destination: str, referral_type: str, *, days: int = 30,
                documented_by: str = "mercy-nurse-1") -> dict[str, object]:
        return {"agency": destination, "purposes": [referral_type], "given_at": self.now - 60,
                "method": "written", "documented_by": documented_by,
                "expires_at": self.now + days * 86400}

    def submit_body(self, sealed: Sealed, destination: str, referral_type: str) -> dict:
        """The submission of ``sealed``, with consent documented by the person who sealed
        it (as the hub requires: a person of the sending agency)."""
        sender = self._sealed_by.get(sealed.header.envelope_id, "mercy-nurse-1")
        return {"envelope": base64.b64encode(sealed.envelope).decode(),
                "consent": self.consent(destination, referral_type, documented_by=sender)}


def make_world(ccr: Ccr, now: int) -> World:
    world = World(ccr, now)
    for agency in ccr.agencies:
        root = world.roots.setdefault(agency.id, AgencyRoot.generate())
        devices = []
        for person in (p for p in ccr.people if p.agency == agency.id):
            device = None
            if DEVICE_ROLES & set(person.roles):
                keys = DeviceKeys.generate()
                cert = certify_device(root, keys, agency=agency.id, person=person.id,
                                      device_id=os.urandom(16), issued_at=now - 86400,
                                      expires_at=now + 365 * 86400)
                device = DeviceIdentity(keys, cert)
                devices.append(cert)
            world.members[person.id] = Member(person.id, agency.id, frozenset(person.roles),
                                              device)
        world.rosters[agency.id] = make_roster(
            root, agency=agency.id, version=1, issued_at=now - 3600, expires_at=now + 180 * 86400,
            people=roster_people(ccr, agency.id), devices=devices,
            groups=escalation_groups(ccr, agency.id))
    return world


async def install_world(world: World, services: Services) -> None:
    """Register every root, publish every roster and issue every token through the hub."""
    for agency, root in world.roots.items():
        await services.directory.register_root(agency, root.public)
        admin = next(m for m in world.members.values()
                     if m.agency == agency and "agency_admin" in m.roles)
        await services.directory.publish(admin.principal(), agency,
                                         world.rosters[agency].to_json())
    for member in world.members.values():
        member.token = (await services.tokens.issue(member.person)).token

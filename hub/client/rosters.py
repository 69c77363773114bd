"""What an agency admin puts in a roster: the CCR's people with their roles, each referral
type's escalation group (hub/routing/groups.py), and the devices: the ones the current
roster lists, plus those newly approved, less those the admin removes by name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hub.crypto import (
    DeviceCertificate,
    EscalationGroup,
    RosterPerson,
    TrustError,
    short_fingerprint,
    verify_certificate,
)
from hub.crypto.rosters import RECOVERY, ListedDevices
from hub.routing.ccr import Ccr
from hub.routing.groups import groups_of


def roster_people(ccr: Ccr, agency: str,
                  devices: Sequence[DeviceCertificate] = ()) -> list[RosterPerson]:
    """The CCR's people of the agency; with the recovery key among ``devices``, its person
    too (it is in no escalation group and never signs in: docs/operations.md)."""
    people = [RosterPerson(id=p.id, roles=tuple(p.roles)) for p in ccr.people_of(agency)]
    if any(c.person == RECOVERY for c in devices):
        people.append(RosterPerson(id=RECOVERY, roles=("recovery",)))
    return people


def escalation_groups(ccr: Ccr, agency: str) -> list[EscalationGroup]:
    return [EscalationGroup(type=g.type, point_person=g.point_person, backups=g.backups)
            for g in groups_of(ccr, agency)]


def without_people(groups: list[EscalationGroup], gone: set[str]
                   ) -> tuple[list[EscalationGroup], list[str]]:
    """The groups with ``gone`` people taken out (the first backup left becomes the point
    person), and the types whose group would be empty (kept as they are: a sender is told
    no device can receive them, and the admin names someone in the CCR configuration)."""
    out, empty = [], []
    for g in groups:
        members = [m for m in (g.point_person, *g.backups) if m not in gone]
        if not members:
            out.append(g)
            empty.append(g.type)
        else:
            out.append(EscalationGroup(type=g.type, point_person=members[0],
                                       backups=tuple(members[1:])))
    return out, empty


def device_label(cert: DeviceCertificate) -> str:
    return f"{cert.person:<20} {short_fingerprint(cert.sign_public)}  device {cert.device_id.hex()}"


def _named(cert: DeviceCertificate, name: str) -> bool:
    """Does ``name`` (a device id, a device fingerprint or a person) name ``cert``?"""
    folded = name.strip().replace("-", "").upper()
    return name in (cert.device_id.hex(), cert.person) or \
        folded == short_fingerprint(cert.sign_public).replace("-", "")


@dataclass
class RosterChange:
    """The next roster's devices against the current one's."""

    version: int
    kept: list[DeviceCertificate] = field(default_factory=list)
    added: list[DeviceCertificate] = field(default_factory=list)
    renewed: list[DeviceCertificate] = field(default_factory=list)
    removed: list[DeviceCertificate] = field(default_factory=list)
    lapsed: list[DeviceCertificate] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # --remove names that named nothing

    @property
    def devices(self) -> list[DeviceCertificate]:
        return [*self.kept, *self.renewed, *self.added]

    def lines(self) -> list[str]:
        marks = (("+ add    ", self.added), ("~ renew  ", self.renewed),
                 ("- remove ", self.removed), ("! lapsed ", self.lapsed),
                 ("  keep   ", self.kept))
        return [f"  {mark} {device_label(c)}" for mark, certs in marks for c in certs]

    def doc(self) -> dict[str, object]:
        def listed(certs: list[DeviceCertificate]) -> list[dict[str, str]]:
            return [{"person": c.person, "device_id": c.device_id.hex(),
                     "fingerprint": short_fingerprint(c.sign_public)} for c in certs]

        return {"version": self.version, "added": listed(self.added),
                "renewed": listed(self.renewed), "removed": listed(self.removed),
                "lapsed": listed(self.lapsed), "kept": listed(self.kept)}


def plan_roster(listed: ListedDevices | None, new: list[DeviceCertificate],
                remove: list[str]) -> RosterChange:
    """Keep every current device, add (or renew, same device id) the new certificates, and
    take off only what ``remove`` names. Lapsed devices cannot be carried."""
    current = list(listed.current) if listed else []
    change = RosterChange(version=(listed.version if listed else 0) + 1,
                          lapsed=list(listed.lapsed) if listed else [])
    change.unmatched = [n for n in remove if not any(_named(c, n) for c in current)]
    fresh = {c.device_id: c for c in new}
    for cert in current:
        if any(_named(cert, n) for n in remove):
            change.removed.append(cert)
        elif cert.device_id in fresh:
            change.renewed.append(fresh.pop(cert.device_id))
        else:
            change.kept.append(cert)
    change.added = list(fresh.values())
    return change


def certified_by(cert: DeviceCertificate, root_public: bytes, now: int) -> bool:
    try:
        verify_certificate(cert, root_public, now=now)
    except TrustError:  # another root's, or expired
        return False
    return True

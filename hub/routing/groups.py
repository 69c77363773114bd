"""Each agency's escalation groups, from the CCR's people: for every referral type, its
point person, then its backups (the other point persons, then the people with the backup
role), each person once. An agency that sends or receives under an agreement needs a point
person: replies come back to its group. Checked at start-up, so a roster an admin signs
from this configuration never names someone twice or someone without the role."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hub.errors import ConfigError

from .ccr import Ccr

MEMBER_ROLES = ("point_person", "backup")


@dataclass(frozen=True)
class Group:
    type: str
    point_person: str
    backups: tuple[str, ...]

    @property
    def members(self) -> tuple[str, ...]:
        return (self.point_person, *self.backups)


def groups_of(ccr: Ccr, agency: str) -> list[Group]:
    """One group per referral type; none for an agency without a point person."""
    people = ccr.people_of(agency)
    points = [p.id for p in people if "point_person" in p.roles]
    if not points:
        return []
    backups = points[1:] + [p.id for p in people if "backup" in p.roles and p.id not in points]
    return [Group(t.code, points[0], tuple(backups)) for t in ccr.referral_types]


def group_problem(group: Group, roles: Mapping[str, tuple[str, ...]]) -> str | None:
    """What is wrong with a group: a person named twice, or without the role it gives them."""
    seen: set[str] = set()
    for place, person in enumerate(group.members):
        if person in seen:
            return f"names {person} twice"
        seen.add(person)
        needed = ("point_person",) if place == 0 else MEMBER_ROLES
        if not set(needed) & set(roles.get(person, ())):
            return f"names {person}, who has no {' or '.join(needed)} role"
    return None


def check_groups(ccr: Ccr, directory: Path) -> None:
    path = str(directory / "people.toml")
    roles = {p.id: p.roles for p in ccr.people}
    active = {a.from_agency for a in ccr.agreements} | {a.to_agency for a in ccr.agreements}
    for agency in sorted(active):
        groups = groups_of(ccr, agency)
        if not groups:
            raise ConfigError(f"{agency} sends or receives referrals, so replies and referrals "
                              "reach it through its escalation group: give one of its people "
                              "the 'point_person' role", path=path)
        for group in groups:
            problem = group_problem(group, roles)
            if problem:
                raise ConfigError(f"{agency}'s escalation group for '{group.type}' {problem}",
                                  path=path)

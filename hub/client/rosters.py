"""What an agency admin puts in a roster, taken from the CCR's definition: its people with
their roles, and for each referral type the escalation group (the point person first, then
the backups). An agency that only sends receives replies at its senders' devices."""

from __future__ import annotations

from hub.crypto import EscalationGroup, RosterPerson
from hub.routing.directory import Ccr


def roster_people(ccr: Ccr, agency: str) -> list[RosterPerson]:
    return [RosterPerson(id=p.id, roles=tuple(p.roles)) for p in ccr.people_of(agency)]


def escalation_groups(ccr: Ccr, agency: str) -> list[EscalationGroup]:
    people = ccr.people_of(agency)
    points = [p.id for p in people if "point_person" in p.roles]
    backups = [p.id for p in people if "backup" in p.roles and p.id not in points]
    if not points:
        points = [p.id for p in people if "sender" in p.roles]
        backups = points[1:]
    if not points:
        return []
    return [EscalationGroup(type=t.code, point_person=points[0],
                            backups=tuple(points[1:] + backups))
            for t in ccr.referral_types]

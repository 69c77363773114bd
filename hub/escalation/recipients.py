"""Who a rung of the ladder notifies, and on which of their contacts: the receiving agency's
point person or backups for the referral's type (those on duty now when the group has a
schedule, hub/routing/coverage.py; else from its verified roster, else the CCR's
configuration), or the CCR's coordinators. Per-person rules: channel order, quiet hours
(urgent and emergent referrals override them unless their policy holds them;
a policy may also let a routine one through), language."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hub.crypto import VerifiedRoster
from hub.models import Status
from hub.routing.ccr import Ccr, Contact, Person
from hub.routing.coverage import OnDuty
from hub.routing.ladder import ACK, EXPIRED, WITHDRAWN

WATCHING = {ACK: (Status.REQUESTED.value,), WITHDRAWN: (Status.REVOKED.value,),
            EXPIRED: (Status.EXPIRED.value,)}
FOLLOW_UP_STATUSES = (Status.ACCEPTED.value, Status.IN_PROGRESS.value)


OPEN = (Status.REQUESTED.value, Status.RECEIVED.value, *FOLLOW_UP_STATUSES)


def watching(timer: str) -> tuple[str, ...]:
    """The statuses in which a timer's notices are still wanted (a team meeting's action
    item, ``act:``, while the referral is open)."""
    if timer.startswith("act:"):
        return OPEN
    return WATCHING.get(timer, FOLLOW_UP_STATUSES)


def people_to_notify(ccr: Ccr, agency: str, referral_type: str, notify: str,
                     roster: VerifiedRoster | None, on_duty: OnDuty | None = None
                     ) -> list[Person]:
    if notify == "coordinator":
        ids = [p.id for p in ccr.people if "coordinator" in p.roles]
    elif on_duty is not None:
        ids = list(on_duty.of(notify))
    else:
        group = roster.group(referral_type) if roster else None
        if group is not None:
            ids = [group.point_person] if notify == "point_person" else list(group.backups)
        else:
            role = "point_person" if notify == "point_person" else "backup"
            ids = [p.id for p in ccr.people_of(agency) if role in p.roles]
    return [p for p in (ccr.find_person(i) for i in ids) if p is not None]


def contact(person: Person, index: int, prefer: str | None = None) -> Contact | None:
    """The person's contact number ``index`` in their order, those of the kind ``prefer``
    (a rung's channel, e.g. voice for the last rungs) first (None: they have no more)."""
    ordered = sorted(person.channels, key=lambda c: c.kind not in (prefer,))  # stable
    return ordered[index] if index < len(ordered) else None


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def after_quiet_hours(person: Person, timezone: str, now: float, hold: bool) -> float:
    """When a notice to ``person`` may go out: now, or (when the policy ``hold``s for quiet
    hours: routine referrals unless it says otherwise) the end of their quiet hours in
    their agency's time zone."""
    quiet = person.quiet_hours
    if quiet is None or not hold:
        return now
    zone = ZoneInfo(timezone)
    local = datetime.fromtimestamp(now, zone)
    start, end = _clock(quiet.start), _clock(quiet.end)
    t = local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return now
    ends = datetime.combine(local.date(), end, zone)
    if ends <= local:
        ends = datetime.combine(local.date() + timedelta(days=1), end, zone)
    return ends.timestamp()

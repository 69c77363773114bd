"""The on-duty schedules as the hub runs them: who is on duty in an agency's escalation
group when a rung fires (the base layer from schedules.toml with the overrides and away
periods agency admins add live), what an admin sees and changes, and the coverage gaps of
the coming week.

Only a person with a current device in the group's signed roster can be put on duty by a
live change: anyone else could not open the referral they were called for. A person who left
the agency (offboarded, services/staff.py) is on duty nowhere: the file's entries naming them
are set aside, and their turns on its layers are gaps until the file changes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.api.codes import Codes
from hub.clock import Clock
from hub.crypto import VerifiedRoster
from hub.errors import Conflict, Forbidden, NotFound, Unprocessable
from hub.routing.ccr import Agency, Ccr
from hub.routing.coverage import Coverage, OnDuty, Span, span
from hub.routing.schedules import GROUP_ROLES, Schedule, group_members
from hub.store import Store
from hub.store.schedules import LiveEntry

from .auditor import Auditor
from .directory import DirectoryService
from .principal import Principal

WEEK = 7 * 86400
LONGEST = 366 * 86400  # a live change covers at most a year
READERS = ("point_person", "backup", "agency_admin")


@dataclass(frozen=True)
class Entry:
    """An override (``duty`` set) or away period, from the file or added live."""

    id: str
    person: str
    start: float
    end: float
    duty: str  # '' for an away period
    source: str  # 'file' or 'live'
    by: str = ""

    def as_span(self) -> Span:
        return Span(self.id, self.person, self.start, self.end, self.duty)


@dataclass(frozen=True)
class Live:
    """An agency's overrides and away periods in force (from the file and added live), and
    the people who left it (offboarded): on duty nowhere, their entries set aside."""

    entries: tuple[Entry, ...]
    left: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Gap:
    agency: str
    types: tuple[str, ...]
    start: float
    end: float


@dataclass(frozen=True)
class GroupCoverage:
    types: tuple[str, ...]
    schedule: Schedule
    now: OnDuty


@dataclass(frozen=True)
class ScheduleView:
    agency: Agency
    groups: tuple[GroupCoverage, ...]  # () for an agency without a schedule
    left: frozenset[str]  # offboarded: their turns on the layers are uncovered
    overrides: tuple[Entry, ...]
    away: tuple[Entry, ...]
    gaps: tuple[Gap, ...]
    fixed: tuple[str, ...]  # without a schedule: the point person, then the backups


def parse_moment(text: str, zone: ZoneInfo, *, until: bool = False) -> float:
    """A date and time given by an admin: ISO 8601, local to the agency unless it has an
    offset; a bare date is the start of that day (the end of it, for an ``until``)."""
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip()) + timedelta(days=1 if until else 0)
            return datetime.combine(day, datetime.min.time(), zone).timestamp()
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Unprocessable(f"'{text}' is not a date and time; write it as "
                            "2026-12-24T18:00 (the agency's local time) or 2026-12-24",
                            code=Codes.BAD_SCHEDULE) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).timestamp()


class ScheduleService:
    def __init__(self, *, store: Store, clock: Clock, ccr: Ccr, directory: DirectoryService,
                 auditor: Auditor):
        self._store = store
        self._clock = clock
        self._ccr = ccr
        self._directory = directory
        self._audit = auditor
        self._file = self._file_entries()

    # who is on duty (the engine asks when a rung fires)

    def scheduled(self, agency: str, referral_type: str) -> bool:
        return self._ccr.schedules.of(agency, referral_type) is not None

    async def on_duty(self, agency: str, referral_type: str, at: float,
                      roster: VerifiedRoster | None) -> OnDuty | None:
        """Who is on duty for the group at ``at``; None when the group has no schedule
        (its point person and backups are fixed)."""
        schedule = self._ccr.schedules.of(agency, referral_type)
        if schedule is None:
            return None
        live = await self.live(agency)
        return self._coverage(schedule, live, _eligible(roster, referral_type, at)).at(at)

    async def left(self, agency: str) -> frozenset[str]:
        """The people who left the agency (offboarded): on duty nowhere."""
        return frozenset(await self._store.access.offboarded(agency))

    async def live(self, agency: str) -> Live:
        stored, left = await self._store.schedules.live(agency)
        added = [Entry(e.id, e.person, e.start, e.end, e.duty, "live", e.by) for e in stored]
        return Live(tuple(e for e in [*self._file.get(agency, ()), *added]
                          if e.person not in left), left)

    def _coverage(self, schedule: Schedule, live: Live,
                  eligible: frozenset[str] | None) -> Coverage:
        agency = self._directory.agency(schedule.agency)
        entries = live.entries
        return Coverage(schedule, agency.timezone, agency.holidays,
                        overrides=[e.as_span() for e in entries if e.duty],
                        away=[e.as_span() for e in entries if not e.duty], eligible=eligible,
                        left=live.left)

    # what an admin sees

    async def view(self, who: Principal, agency_id: str) -> ScheduleView:
        agency = self._readable(who, agency_id)
        now = self._clock.now()
        live = await self.live(agency_id)
        entries = live.entries
        groups = []
        for types, schedule in self._groups(agency_id):
            roster = await self._directory.verified_roster(agency_id)
            eligible = _eligible(roster, types[0], now)
            groups.append(GroupCoverage(types, schedule,
                                        self._coverage(schedule, live, eligible).at(now)))
        points = [p.id for p in self._ccr.people_of(agency_id) if "point_person" in p.roles]
        fixed = () if groups else tuple(p for p in dict.fromkeys(
            points + [p for p in group_members(self._ccr, agency_id)]) if p not in live.left)
        return ScheduleView(agency, tuple(groups), live.left,
                            tuple(e for e in entries if e.duty and e.end > now),
                            tuple(e for e in entries if not e.duty and e.end > now),
                            tuple(await self.gaps(agency_id, now)), fixed)

    async def gaps(self, agency_id: str, start: float, seconds: float = WEEK) -> list[Gap]:
        """Where no one is on duty in the agency's scheduled groups, from ``start`` on."""
        live = await self.live(agency_id)
        roster = await self._directory.verified_roster(agency_id)
        out = []
        for types, schedule in self._groups(agency_id):
            coverage = self._coverage(schedule, live, _eligible(roster, types[0], start))
            out += [Gap(agency_id, types, a, b) for a, b in coverage.gaps(start, start + seconds)]
        return sorted(out, key=lambda g: (g.start, g.types))

    async def upcoming_gaps(self, who: Principal) -> list[Gap]:
        """The next 7 days' gaps of every scheduled agency ``who`` sees on the dashboard."""
        now = self._clock.now()
        return [g for agency in self.readable_agencies(who) for g in await self.gaps(agency, now)]

    def readable_agencies(self, who: Principal) -> list[str]:
        """The scheduled agencies whose gaps ``who`` sees on the dashboard."""
        scheduled = self._ccr.schedules.agencies()
        if who.is_coordinator:
            return list(scheduled)
        return [a for a in scheduled if a == who.agency and who.has(*READERS)]

    async def takes_turns(self, agency: str, person: str) -> bool | None:
        """Whether ``person`` is on the agency's schedules (in a layer's rotation, or with
        an override still to come); None when the agency has no schedule."""
        schedules = [s for s in self._ccr.schedules.schedule if s.agency == agency]
        if not schedules:
            return None
        live = await self.live(agency)
        if person in live.left:  # their turns stay in the file, but they take none
            return False
        if any(person in layer.people for s in schedules for layer in s.layer):
            return True
        now = self._clock.now()
        return any(e.person == person and e.duty and e.end > now for e in live.entries)

    def _groups(self, agency_id: str) -> list[tuple[tuple[str, ...], Schedule]]:
        """Each schedule of the agency with the referral types it covers that the agency
        receives (its escalation groups that referrals reach)."""
        received = [t.code for t in self._ccr.referral_types
                    if any(a.to_agency == agency_id and t.code in a.types
                           for a in self._ccr.agreements)]
        out = []
        for schedule in self._ccr.schedules.schedule:
            if schedule.agency == agency_id:
                types = tuple(t for t in received if not schedule.types or t in schedule.types)
                if types:
                    out.append((types, schedule))
        return out

    # what an admin changes

    async def add_override(self, who: Principal, agency_id: str, person: str, start: str,
                           until: str, duty: str = "point_person") -> Entry:
        agency = self._scheduled(who, agency_id)
        if duty not in GROUP_ROLES:
            raise Unprocessable("duty is 'point_person' or 'backup'", code=Codes.BAD_SCHEDULE)
        return await self._add(who, agency, person, start, until, duty, "schedule.override")

    async def add_away(self, who: Principal, person: str, start: str, until: str, *,
                       agency: str | None = None) -> Entry:
        """``person`` is away (of ``agency``, when the caller names one: the API's path)."""
        found = self._ccr.find_person(person)
        owner = agency or (found.agency if found else who.agency)
        writable = self._scheduled(who, owner)
        if found is None or found.agency != owner:
            raise Unprocessable(f"no person '{person}' at {owner}", code=Codes.BAD_SCHEDULE)
        return await self._add(who, writable, person, start, until, "", "schedule.away")

    async def remove(self, who: Principal, agency_id: str, entry_id: str,
                     kind: str | None = None) -> None:
        """Remove a live override or away period (``kind`` 'override' or 'away': only one
        of that kind)."""
        self._writable(who, agency_id)
        if kind is not None and not entry_id.startswith(
                ("o-", "file-override-") if kind == "override" else ("a-", "file-away-")):
            raise NotFound(f"no {kind} '{entry_id}' at {agency_id}")
        if any(e.id == entry_id for e in self._file.get(agency_id, ())):
            raise Conflict(f"{entry_id} is in schedules.toml; change the file to remove it",
                           code=Codes.SCHEDULE_FILE)
        audit = self._audit.event(who, "schedule.remove")
        if not await self._store.schedules.remove(agency_id, entry_id, audit):
            raise NotFound(f"no override or away period '{entry_id}' at {agency_id}")

    async def _add(self, who: Principal, agency: Agency, person: str, start: str, until: str,
                   duty: str, action: str) -> Entry:
        zone = ZoneInfo(agency.timezone)
        begin, end = parse_moment(start, zone), parse_moment(until, zone, until=True)
        now = self._clock.now()
        if end <= begin or end <= now or end - begin > LONGEST:
            raise Unprocessable("the period must end after it starts, end in the future and "
                                "last at most a year", code=Codes.BAD_SCHEDULE)
        await self._check_person(agency.id, person, begin, bool(duty))
        entry = LiveEntry(f"{'o' if duty else 'a'}-{secrets.token_hex(8)}", person, begin, end,
                          duty, who.person, now)
        await self._store.schedules.add(agency.id, entry, self._audit.event(who, action))
        await self._store.schedules.prune(agency.id, now)
        return Entry(entry.id, person, begin, end, duty, "live", who.person)

    async def _check_person(self, agency: str, person: str, at: float, on_duty: bool) -> None:
        if person in (await self.live(agency)).left:
            raise Unprocessable(f"{person} has left {agency} (offboarded), so is on duty "
                                "nowhere", code=Codes.BAD_SCHEDULE)
        if person not in group_members(self._ccr, agency):
            raise Unprocessable(f"{person} is not in {agency}'s escalation group (people.toml "
                                "gives them neither the point_person nor the backup role)",
                                code=Codes.BAD_SCHEDULE)
        if not on_duty:
            return
        roster = await self._directory.verified_roster(agency)
        for types, _ in self._groups(agency):
            eligible = _eligible(roster, types[0], at)
            if eligible is None or person not in eligible:
                raise Unprocessable(
                    f"{person} has no current device in {agency}'s signed roster for "
                    f"'{types[0]}', so could not open the referrals they would be called "
                    "for: enrol a device and sign a new roster first", code=Codes.NO_DEVICE)

    def _scheduled(self, who: Principal, agency_id: str) -> Agency:
        """The agency ``who`` may change, which must have a schedule to change."""
        agency = self._writable(who, agency_id)
        if not self._groups(agency_id):
            raise Conflict(f"{agency_id} has no on-duty schedule: its point person and "
                           "backups are fixed in people.toml (add one in schedules.toml)",
                           code=Codes.NO_SCHEDULE)
        return agency

    def _readable(self, who: Principal, agency_id: str) -> Agency:
        agency = self._ccr.find_agency(agency_id)
        if agency is None or not (who.is_coordinator or (who.agency == agency_id
                                                         and who.has(*READERS))):
            raise NotFound(f"no agency '{agency_id}' whose schedule you may see")
        return agency

    def _writable(self, who: Principal, agency_id: str) -> Agency:
        agency = self._ccr.find_agency(agency_id)
        if agency is None or who.agency != agency_id:
            raise NotFound(f"no agency '{agency_id}' whose schedule you may see")
        if not who.has("agency_admin"):
            raise Forbidden(f"only an agency admin of {agency_id} changes its schedule")
        return agency

    def file_entries(self, agency: str) -> tuple[Entry, ...]:
        """The overrides and away periods of schedules.toml at ``agency``."""
        return tuple(self._file.get(agency, ()))

    def _file_entries(self) -> dict[str, list[Entry]]:
        """The overrides and away periods of schedules.toml, by agency."""
        out: dict[str, list[Entry]] = {}
        for i, o in enumerate(self._ccr.schedules.override):
            zone = ZoneInfo(self._directory.agency(o.agency).timezone)
            s = span(f"file-override-{i}", o, zone, o.duty)
            out.setdefault(o.agency, []).append(Entry(s.id, s.person, s.start, s.end,
                                                      o.duty, "file"))
        for i, a in enumerate(self._ccr.schedules.away):
            person = self._ccr.find_person(a.person)
            if person is None:  # checked at start-up: not reached
                continue
            agency = person.agency
            s = span(f"file-away-{i}", a, ZoneInfo(self._directory.agency(agency).timezone))
            out.setdefault(agency, []).append(Entry(s.id, s.person, s.start, s.end, "", "file"))
        return out

    # gaps the admins are told of

    async def untold_gaps(self, now: float) -> list[Gap]:
        """The coming week's gaps no admin was told of yet (each recorded as told). A gap
        that overlaps one told of before is the same gap (grown as the week's horizon moved
        on, or cut by an override), not a new one."""
        out = []
        for agency in self._ccr.schedules.agencies():
            told = await self._store.schedules.told_gaps(agency, now)
            for gap in await self.gaps(agency, now):
                known = any(a < gap.end and gap.start < b for a, b in told)
                if await self._store.schedules.tell_gap(agency, gap.start, gap.end) \
                        and not known:
                    out.append(gap)
        return out


def _eligible(roster: VerifiedRoster | None, referral_type: str, at: float
              ) -> frozenset[str] | None:
    """The group's people with a current device (None: no roster to check against)."""
    if roster is None:
        return None
    members = roster.group_members(referral_type)
    return frozenset(c.person for c in roster.devices_of(members, int(at)))

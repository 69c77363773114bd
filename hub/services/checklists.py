"""Checklists whose steps the hub ticks itself, from facts it already holds, shown on a
person's start page until every step is done (issue 24):

- **new staff** (anyone with a device): device made and approved, roots pinned, on a
  schedule (point persons and backups), first drill done;
- **leaving staff**, for their agency's admins: offboarded, their devices out of the
  roster, no open referral left that no one on duty can read (handed over);
- **a new agency joining the CCR** (all but the coordination office), for the
  coordinators: root registered, sharing agreements, people with approved devices, first
  drill.

What a device keeps to itself (its keys, the roots it pinned) the hub learns only as the
device page says it (``report``); a finished drill is ``record_drill_done``, which the
drills call. Metadata only: ids, times, agency codes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from hub.clock import Clock
from hub.crypto import VerifiedRoster
from hub.errors import Unprocessable
from hub.i18n import N_
from hub.routing.ccr import Ccr
from hub.store import SetupFacts, Store

from .auditor import Auditor
from .directory import DirectoryService
from .principal import Principal
from .readability import ReadabilityService
from .schedules import ScheduleService

Kind = Literal["new-staff", "leaving-staff", "new-agency"]
DEVICE_ROLES = ("sender", "point_person", "backup")
GROUP_ROLES = ("point_person", "backup")


@dataclass(frozen=True)
class Step:
    code: str
    label: str  # a message id (N_): the page translates it
    done: bool
    where: str | None = None  # the page where it is done, when it is done on the hub


@dataclass(frozen=True)
class Checklist:
    kind: Kind
    subject: str  # the person or agency it is about
    steps: tuple[Step, ...]

    @property
    def done(self) -> bool:
        return all(s.done for s in self.steps)

    @property
    def count_done(self) -> int:
        return sum(s.done for s in self.steps)


class ChecklistService:
    def __init__(self, *, store: Store, clock: Clock, ccr: Ccr, directory: DirectoryService,
                 schedules: ScheduleService, readability: ReadabilityService,
                 auditor: Auditor):
        self._store = store
        self._clock = clock
        self._ccr = ccr
        self._directory = directory
        self._schedules = schedules
        self._readability = readability
        self._audit = auditor

    # what the hub is told

    async def report(self, who: Principal, *, device_made: bool, pinned: Iterable[str]) -> None:
        """The device page's word on its own setup: keys made in this browser, the
        agencies whose roots it pinned (the keys and pins stay on the device)."""
        pins = frozenset(pinned)
        unknown = sorted(a for a in pins if self._ccr.find_agency(a) is None)
        if unknown:
            raise Unprocessable(f"no agency {', '.join(unknown)} in this CCR: report only the "
                                "agencies GET /v1/agencies lists")
        await self._store.checklists.report(
            who.person, device_made_at=self._clock.now() if device_made else None,
            pinned=pins, audit=self._audit.event(who, "setup.report"))

    async def record_drill_done(self, person: str) -> None:
        """``person`` finished a drill (the drills call this as a drill ends for each person
        who took part): their "first drill" step, and their agency's, are ticked."""
        found = self._ccr.find_person(person)
        if found is None:
            raise LookupError(f"no person '{person}' in this CCR")
        audit = self._audit.event(None, "drill.done").model_copy(
            update={"subject": person, "agency": found.agency})
        await self._store.checklists.drill_done(person, found.agency, self._clock.now(), audit)

    # what a start page shows

    async def for_person(self, who: Principal) -> list[Checklist]:
        """The checklists ``who`` has not finished: their own, the leaving staff of their
        agency (admins), the agencies still joining (coordinators)."""
        found: list[Checklist] = []
        if who.has(*DEVICE_ROLES) and not who.is_coordinator:
            found.append(await self.new_staff(who.person))
        if who.has("agency_admin"):
            found += await self.leaving(who.agency)
        if who.is_coordinator:
            found += await self.joining()
        return [c for c in found if not c.done]

    async def new_staff(self, person: str) -> Checklist:
        found = self._ccr.find_person(person)
        if found is None:
            raise LookupError(f"no person '{person}' in this CCR")
        facts = await self._store.checklists.facts(person)
        roster = await self._directory.verified_roster(found.agency)
        approved = bool(roster and roster.devices_of((person,), int(self._clock.now())))
        steps = [
            Step("device-made", N_("Make your device's keys in this browser"),
                 approved or facts.device_made_at is not None, "/device"),
            Step("approved", N_("Your agency admin approved your device"), approved, "/device"),
            Step("roots-pinned", N_("Pin your agency's root and your partners' roots"),
                 self._partners(found.agency) <= facts.pinned, "/device"),
        ]
        if set(found.roles) & set(GROUP_ROLES):
            steps.append(Step("on-schedule", N_("You are on your agency's schedule"),
                              await self._on_schedule(found.agency, person, roster)))
        steps.append(_drill(facts))
        return Checklist("new-staff", person, tuple(steps))

    async def leaving(self, agency: str) -> list[Checklist]:
        """One checklist for each person the agency offboarded; its roster and what no one
        on duty can read are read once for them all."""
        people = await self._store.access.offboarded(agency)
        if not people:
            return []
        roster = await self._directory.verified_roster(agency)
        unreadable = (await self._readability.counts([agency]))[agency]
        now = int(self._clock.now())
        return [Checklist("leaving-staff", person, (
            Step("offboarded", N_("Offboarded: their sign-in is revoked"), True),
            Step("devices-out", N_("Their devices are out of the roster you publish"),
                 not (roster and roster.devices_of((person,), now))),
            Step("handed-over", N_("Open referrals handed over: every one can be read on duty"),
                 unreadable == 0),
        )) for person in people]

    async def joining(self) -> list[Checklist]:
        """Each agency of the CCR but the coordinators' own office (agencies.toml's kind
        "coordination": it neither sends nor receives referrals)."""
        ids = [a.id for a in self._ccr.agencies if a.kind not in ("coordination",)]
        roots = await self._store.checklists.roots(ids)
        drilled = await self._store.checklists.drilled(ids)
        now = int(self._clock.now())
        found = []
        for agency in ids:
            roster = await self._directory.verified_roster(agency) if agency in roots else None
            found.append(Checklist("new-agency", agency, (
                Step("root", N_("Root key registered on the hub"), agency in roots),
                Step("agreements", N_("Sharing agreements with partner agencies"),
                     bool(self._partners(agency) - {agency})),
                Step("people", N_("People with approved devices in its roster"),
                     _has_devices(roster, now)),
                Step("drill", N_("First drill done"), agency in drilled),
            )))
        return found

    def _partners(self, agency: str) -> frozenset[str]:
        """The agency and every agency it may send to or receive from: the roots its
        people pin."""
        return frozenset({agency, *(a.to_agency for a in self._ccr.agreements
                                    if a.from_agency == agency),
                          *(a.from_agency for a in self._ccr.agreements
                            if a.to_agency == agency)})

    async def _on_schedule(self, agency: str, person: str,
                           roster: VerifiedRoster | None) -> bool:
        turns = await self._schedules.takes_turns(agency, person)
        if turns is not None:
            return turns
        # no schedule: the escalation groups of the signed roster are fixed
        return roster is not None and any(person in roster.group_members(g.type)
                                          for g in roster.body.groups)


def _drill(facts: SetupFacts) -> Step:
    return Step("drill", N_("Your first drill is done"), facts.drill_done_at is not None)


def _has_devices(roster: VerifiedRoster | None, now: int) -> bool:
    if roster is None:
        return False
    return bool(roster.devices_of(tuple(p.id for p in roster.body.people), now))

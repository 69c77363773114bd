"""Staff leaving, and devices lost (docs/operations.md, "Offboarding"): an agency admin
revokes every API token of the person (their page sessions end with them) and, when the
person has left, records them as offboarded, in the same step: the next roster the admin
signs keeps them out of every escalation group, and they are on duty nowhere from then on
(their live overrides and away periods are deleted; their turns on the layers of
schedules.toml, and its entries naming them, are set aside, so a turn of theirs shows as a
gap until someone covers it). The roster itself is signed on the admin's computer
(hub/cli/offboard.py); the hub cannot change one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hub.clock import Clock
from hub.errors import Forbidden, NotFound
from hub.routing.ccr import Ccr
from hub.store import Store

from .auditor import Auditor
from .principal import Principal
from .schedules import Gap, ScheduleService

Reason = Literal["left", "lost-device"]


@dataclass(frozen=True)
class Offboarded:
    tokens_revoked: int
    layers: tuple[str, ...] = ()  # the schedule layers whose turns of theirs are uncovered
    entries: tuple[str, ...] = ()  # their overrides and away periods, deleted or set aside
    gaps: tuple[Gap, ...] = ()  # the agency's coverage gaps of the coming week, after it


class StaffService:
    def __init__(self, *, store: Store, clock: Clock, ccr: Ccr, auditor: Auditor,
                 schedules: ScheduleService):
        self._store = store
        self._clock = clock
        self._ccr = ccr
        self._audit = auditor
        self._schedules = schedules

    def _check(self, who: Principal, agency: str) -> None:
        if self._ccr.find_agency(agency) is None:
            raise NotFound(f"no agency '{agency}' in this CCR")
        if who.agency != agency or not who.has("agency_admin"):
            raise Forbidden("only an agency admin of this agency may do this")

    async def offboard(self, who: Principal, agency: str, person: str,
                       reason: Reason) -> Offboarded:
        """Revoke every token of ``person`` (so every page session too); when they ``left``,
        record them as offboarded and take them off the agency's schedule."""
        self._check(who, agency)
        found = self._ccr.find_person(person)
        if found is None or found.agency != agency:
            raise NotFound(f"no person '{person}' at {agency}")
        if person == who.person:  # their own token would die halfway through
            raise Forbidden("you cannot offboard yourself or revoke your own device's "
                            "sign-in; ask another agency admin")
        action = "person.offboard" if reason == "left" else "device.lost"
        done = await self._store.access.offboard(
            person, agency, record=reason == "left",
            audit=self._audit.event(who, action).model_copy(update={"subject": person}))
        if reason != "left":
            return Offboarded(done.tokens)
        layers = tuple(dict.fromkeys(
            layer.name for schedule in self._ccr.schedules.schedule if schedule.agency == agency
            for layer in schedule.layer if person in layer.people))
        in_file = tuple(e.id for e in self._schedules.file_entries(agency) if e.person == person)
        return Offboarded(done.tokens, layers, in_file + done.schedule_entries,
                          tuple(await self._schedules.gaps(agency, self._clock.now())))

    async def offboarded(self, who: Principal, agency: str) -> list[str]:
        self._check(who, agency)
        return await self._store.access.offboarded(agency)

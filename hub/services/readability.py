"""Who can read each open referral (docs/envelope.md, "Key grants"): the devices it was
sealed to and those granted it since, against the current devices (on the agency's roster)
of the people on duty now in its escalation group: for a group with a schedule, whoever
holds a duty at this moment (hub/routing/coverage.py), so the count moves with the shifts;
for a group without one, or in a coverage gap (shown on its own), the whole group. An open
referral none of them can read is one "no one on duty can read yet": a device that can read
it (or the recovery key) must grant it. Offboarding asks the other question, whether any
current device of the group can read it (``on_duty_only=False``): only what no one left can read
needs the recovery key. What the hub knows of this is metadata: device ids, never a key."""

from __future__ import annotations

from dataclasses import dataclass

from hub.clock import Clock
from hub.crypto import VerifiedRoster
from hub.errors import Forbidden
from hub.models import Referral, Status
from hub.store import Store

from .directory import DirectoryService
from .principal import Principal
from .schedules import ScheduleService

COUNT_FOR = 60.0  # seconds a dashboard's count is reused in this process (a grant here resets it)
MAX_SCAN = 1_000_000  # an agency's whole inbox (closed referrals are skipped after reading)
OPEN = frozenset({Status.REQUESTED, Status.RECEIVED, Status.ACCEPTED, Status.IN_PROGRESS})


@dataclass(frozen=True)
class Unreadable:
    agency: str
    referrals: list[Referral]


class ReadabilityService:
    def __init__(self, *, store: Store, clock: Clock, directory: DirectoryService,
                 schedules: ScheduleService):
        self._store = store
        self._clock = clock
        self._directory = directory
        self._schedules = schedules
        self._counted: dict[str, tuple[float, int]] = {}  # agency -> (when, count)

    async def unreadable(self, agency: str, on_duty_only: bool = True) -> list[Referral]:
        """The agency's open referrals that no current device of anyone on duty now in
        their group can read (``on_duty_only``), or of anyone in their group."""
        roster = await self._directory.verified_roster(agency)
        rids = await self._store.referrals.page(self._store.keys.inbox(agency), offset=0,
                                                limit=MAX_SCAN)
        referrals = [r for r in await self._store.referrals.get_many(rids) if r.status in OPEN]
        if not referrals:
            return []
        readers = await self._store.grants.readers([r.id for r in referrals])
        now = int(self._clock.now())
        on_duty: dict[str, set[str]] = {}
        for r in referrals:
            if r.type not in on_duty:
                on_duty[r.type] = await self._readers_wanted(agency, r.type, roster, now,
                                                             on_duty=on_duty_only)
        return [r for r in referrals if not readers[r.id] & on_duty[r.type]]

    async def _readers_wanted(self, agency: str, kind: str, roster: VerifiedRoster | None,
                              now: int, *, on_duty: bool) -> set[str]:
        """The device ids of the people on duty now in the group for ``kind`` (or of the
        whole group)."""
        if roster is None:
            return set()
        members = roster.group_members(kind)
        duty = await self._schedules.on_duty(agency, kind, now, roster) if on_duty else None
        if duty is not None and not duty.nobody:
            members = tuple(p for p in members if p == duty.point_person or p in duty.backups)
        return {c.device_id.hex() for c in roster.devices_of(members, now)}

    async def listing(self, who: Principal, agency: str, on_duty: bool = True
                      ) -> list[Referral]:
        """For the agency's admins and the CCR's coordinators (metadata only)."""
        self._directory.agency(agency)
        if not (who.is_coordinator or (who.agency == agency and who.has("agency_admin"))):
            raise Forbidden("only the agency's admins and the CCR's coordinators see which "
                            "referrals no one can read")
        return await self.unreadable(agency, on_duty)

    async def counts(self, agencies: list[str]) -> dict[str, int]:
        """Each agency's count for the dashboard: reading a whole inbox is not done on every
        page load, so a count is reused for a minute (forgotten at once when this process
        stores a grant for the agency)."""
        now = self._clock.now()
        for agency in agencies:
            when, _ = self._counted.get(agency, (float("-inf"), 0))
            if now - when >= COUNT_FOR:
                self._counted[agency] = (now, len(await self.unreadable(agency)))
        return {a: self._counted[a][1] for a in agencies}

    def forget(self, agency: str) -> None:
        self._counted.pop(agency, None)

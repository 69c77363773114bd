"""Staff leaving, and devices lost (docs/operations.md, "Offboarding"): an agency admin
revokes every API token of the person (their page sessions end with them) and, when the
person has left, records them as offboarded, so that the next roster the admin signs keeps
them out of every escalation group. The roster itself is signed on the admin's computer
(hub/cli/offboard.py); the hub cannot change one."""

from __future__ import annotations

from typing import Literal

from hub.errors import Forbidden, NotFound
from hub.routing.ccr import Ccr
from hub.store import Store

from .auditor import Auditor
from .principal import Principal

Reason = Literal["left", "lost-device"]


class StaffService:
    def __init__(self, *, store: Store, ccr: Ccr, auditor: Auditor):
        self._store = store
        self._ccr = ccr
        self._audit = auditor

    def _check(self, who: Principal, agency: str) -> None:
        if self._ccr.find_agency(agency) is None:
            raise NotFound(f"no agency '{agency}' in this CCR")
        if who.agency != agency or not who.has("agency_admin"):
            raise Forbidden("only an agency admin of this agency may do this")

    async def offboard(self, who: Principal, agency: str, person: str, reason: Reason) -> int:
        """Revoke every token of ``person`` (so every page session too); when they ``left``,
        record them as offboarded. How many tokens were revoked."""
        self._check(who, agency)
        found = self._ccr.find_person(person)
        if found is None or found.agency != agency:
            raise NotFound(f"no person '{person}' at {agency}")
        if person == who.person:  # their own token would die halfway through
            raise Forbidden("you cannot offboard yourself or revoke your own device's "
                            "sign-in; ask another agency admin")
        action = "person.offboard" if reason == "left" else "device.lost"
        return await self._store.access.offboard(
            person, agency, record=reason == "left",
            audit=self._audit.event(who, action).model_copy(update={"subject": person}))

    async def offboarded(self, who: Principal, agency: str) -> list[str]:
        self._check(who, agency)
        return await self._store.access.offboarded(agency)

"""What a person works on in the browser: the referrals sent to their agency with the
deadlines each still owes (point persons and backups), the referrals their agency sent
(senders), and one referral's thread page. Metadata only: what a referral says is sealed
and opened in the browser, never here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hub.api.codes import Codes
from hub.clock import Clock
from hub.errors import Forbidden
from hub.models import HistoryEvent, Referral
from hub.routing.ccr import Agency, Ccr, ReferralType
from hub.store import Store
from hub.store.oversight import Owed

from .access import RECIPIENT_ROLES
from .flowback import Sight, status_flows_back
from .principal import Principal
from .queue import URGENCY_RANK
from .referrals import ReferralService
from .scope import opens_in_inbox, works_in_inbox
from .timers import TimerPlanner

Side = Literal["receiving", "sending"]
PAGE_SIZE = 50


@dataclass(frozen=True)
class WorkItem:
    seen: Sight  # the referral as the reader may know it
    owed: tuple[Owed, ...]  # the deadlines it still owes, soonest first

    @property
    def referral(self) -> Referral:
        return self.seen.referral

    @property
    def next_due(self) -> Owed | None:
        return self.owed[0] if self.owed else None


@dataclass(frozen=True)
class Destination:
    """An agency ``who`` may send to, with the referral types the agreement covers."""

    agency: Agency
    types: tuple[ReferralType, ...]


@dataclass(frozen=True)
class Thread:
    item: WorkItem
    history: list[HistoryEvent]
    side: Side
    can_reply: bool = True  # False: the agreement keeps the receiving agency's doings from
    # the sender, and a reply would tell them (services/threads.py)


class WorklistService:
    def __init__(self, *, store: Store, clock: Clock, ccr: Ccr, referrals: ReferralService,
                 timers: TimerPlanner):
        self._store = store
        self._ccr = ccr
        self._clock = clock
        self._referrals = referrals
        self._timers = timers

    def now(self) -> float:
        return self._clock.now()

    async def inbox(self, who: Principal, *, offset: int = 0,
                    limit: int = PAGE_SIZE) -> list[WorkItem]:
        """The referrals sent to ``who``'s agency whose deadlines fall first and the newest
        ones (``limit`` of each, the first page only for the former), with their
        deadlines: what is due first at the top (urgency breaking ties), those owing
        nothing last, newest first."""
        if not who.has(*RECIPIENT_ROLES):
            raise Forbidden("the inbox is for point persons and backups", code=Codes.NOT_ALLOWED)
        found = await self._referrals.inbox(who, statuses=None, offset=offset, limit=limit)
        if offset == 0:
            found += await self._due_first(who, limit, {s.referral.id for s in found})
        return sorted(await self._with_deadlines(found), key=due_first)

    async def _due_first(self, who: Principal, limit: int, have: set[str]) -> list[Sight]:
        """The referrals of ``who``'s agency owing the ``limit`` soonest deadlines (its own
        obligations index: the same referrals as its inbox), less those in ``have``."""
        rows = await self._store.oversight.owed_raw(float("inf"), agency=who.agency,
                                                     count=limit)
        rids = [r for r in dict.fromkeys(m.decode().partition(":")[0] for m, _ in rows)
                if r not in have]
        referrals = await self._store.referrals.get_many(rids)
        return await self._referrals.sights(
            who, [r for r in referrals if r.destination == who.agency])

    async def sent(self, who: Principal, *, offset: int = 0,
                   limit: int = PAGE_SIZE) -> list[WorkItem]:
        """Referrals ``who``'s agency sent, as the sending agency may see them (the
        receiving agency's deadlines are its own business)."""
        if not who.has("sender"):
            raise Forbidden("the sent list is for senders", code=Codes.NOT_ALLOWED)
        found = await self._referrals.outbox(who, statuses=None, offset=offset, limit=limit)
        return [WorkItem(seen, ()) for seen in found]

    def destinations(self, who: Principal) -> list[Destination]:
        """Where ``who`` may send, and what: the sharing agreements from their agency."""
        if not who.has("sender"):
            raise Forbidden("sending referrals is for senders", code=Codes.NOT_ALLOWED)
        out = []
        for a in self._ccr.agreements:
            agency = self._ccr.find_agency(a.to_agency)
            if a.from_agency != who.agency or agency is None:
                continue
            types = tuple(t for code in a.types if (t := self._ccr.referral_type(code)))
            out.append(Destination(agency, types))
        return out

    async def thread(self, who: Principal, rid: str) -> Thread:
        """One referral for its thread page, for a person of either agency (404 for
        anyone else, as for a missing one)."""
        seen = await self._referrals.read(who, rid, with_history=True)
        history, referral = list(seen.history or ()), seen.referral
        if who.agency == referral.destination:
            return Thread((await self._with_deadlines([seen]))[0], history, "receiving",
                          can_reply=status_flows_back(referral, self._ccr))
        if who.agency == referral.sender_agency:
            return Thread(WorkItem(seen, ()), history, "sending")
        raise Forbidden("this page is for the two agencies of a referral; coordinators see "
                        "it on the dashboard", code=Codes.NOT_ALLOWED)

    async def opens_in_inbox(self, who: Principal, rid: str) -> bool:
        """Whether the link in a notice takes ``who`` to the referral's thread in the
        browser (services/scope.py); otherwise it is the dashboard's page. Read as ``who``
        may see it (404 otherwise) only when they may work in the inbox at all."""
        if not works_in_inbox(who):
            return False
        return opens_in_inbox(who, (await self._referrals.read(who, rid)).referral)

    async def _with_deadlines(self, sights: list[Sight]) -> list[WorkItem]:
        """The receiving agency's items with the deadlines it owes (its own business)."""
        members = [m for s in sights for m in self._timers.obligations(s.referral)]
        owed: dict[str, list[Owed]] = {}
        for o in await self._store.oversight.owed_by(members):
            owed.setdefault(o.rid, []).append(o)
        return [WorkItem(s, tuple(sorted(owed.get(s.referral.id, ()), key=lambda o: o.due)))
                for s in sights]


def due_first(item: WorkItem) -> tuple[float, int, float]:
    """The inbox's order: the soonest deadline owed (nothing owed: last), then urgency,
    then the newest."""
    due = item.next_due
    return (due.due if due else float("inf"), URGENCY_RANK.get(item.referral.urgency, 9),
            -item.referral.submitted_at)

"""The team meeting's case review (MDT): referrals marked for review, action items with an
owner agency and a due date (tracked by the deadline engine: ``{rid}:act:{aid}``, on the
dashboard's queue like a follow-up, and the owner agency told when one falls due:
escalation/actions.py), and the agenda made from the flagged referrals: past their
acknowledgement deadline, with a gap (a milestone missed), or marked. Codes and references
only: nothing from inside an envelope is known here to be put in."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hub.api.codes import Codes
from hub.api.mdt import ActionCode, MarkCode
from hub.cards import Card
from hub.clock import Clock
from hub.errors import Forbidden, Unprocessable
from hub.models import HistoryEvent
from hub.routing.ccr import Ccr
from hub.routing.milestones import is_milestone
from hub.store import Store
from hub.store.mdt import ActionItem, Mark

from .access import not_found
from .auditor import Auditor
from .principal import Principal
from .scope import in_scope

DUE_AT = time(17, 0)  # an action item is due by the end of the owner's working day
REASONS = ("breached", "gap", "marked", "action")


@dataclass(frozen=True)
class AgendaItem:
    rid: str
    card: Card
    status: str
    reasons: tuple[str, ...]  # of REASONS
    gaps: tuple[str, ...]  # milestone codes past their deadline
    mark: Mark | None
    actions: tuple[ActionItem, ...]

    @property
    def reference(self) -> str:
        return self.rid[:8]


@dataclass(frozen=True)
class Agenda:
    day: date  # the meeting's (UTC) day: what is overdue by its end is on it
    made_at: float
    items: list[AgendaItem]


class MdtService:
    def __init__(self, *, store: Store, clock: Clock, ccr: Ccr, auditor: Auditor):
        self._store = store
        self._clock = clock
        self._ccr = ccr
        self._audit = auditor

    async def mark(self, who: Principal, rid: str, code: MarkCode | None) -> None:
        """Mark the referral for the next case review (coordinators, and the people of its
        two agencies who see it); ``None`` takes the mark off (coordinators)."""
        referral = await self._store.referrals.get(rid)
        if referral is None or not (who.is_coordinator or who.agency in (
                referral.sender_agency, referral.destination)):
            raise not_found(rid)
        if code is None and not who.is_coordinator:
            raise Forbidden("coordinators take a referral off the case review",
                            code=Codes.NOT_ALLOWED)
        now = self._clock.now()
        action = "mdt.marked" if code else "mdt.unmarked"
        if not await self._store.mdt.mark(
                rid, Mark(code, who.person, now) if code else None,
                HistoryEvent(at=now, actor=who.person, action=action, code=code),
                self._audit.event(who, action, referral=rid)):
            raise not_found(rid)

    async def add_action(self, who: Principal, rid: str, owner: str, code: ActionCode,
                         due: date) -> ActionItem:
        """A coordinator records an action item owed by ``owner`` by the end of ``due``
        (17:00 in the owner agency's time zone)."""
        if not who.is_coordinator:
            raise Forbidden("coordinators record the case review's action items",
                            code=Codes.NOT_ALLOWED)
        referral = await self._store.referrals.get(rid)
        if referral is None:
            raise not_found(rid)
        agency = self._ccr.find_agency(owner)
        if agency is None:
            raise Unprocessable(f"no agency '{owner}' in this CCR; use one of: "
                                f"{', '.join(a.id for a in self._ccr.agencies)}",
                                code=Codes.UNKNOWN_AGENCY)
        now = self._clock.now()
        at = datetime.combine(due, DUE_AT, ZoneInfo(agency.timezone)).timestamp()
        if at <= now:
            raise Unprocessable("the due date has passed; give a day to come (YYYY-MM-DD)")
        item = ActionItem(secrets.token_hex(8), rid, owner, code, at, "open", who.person, now)
        found = await self._store.mdt.add(
            item, referral.destination,
            HistoryEvent(at=now, actor=who.person, action="mdt.action", code=code),
            self._audit.event(who, "mdt.action", referral=rid))
        if found == "gone":
            raise not_found(rid)
        return item

    async def finish_action(self, who: Principal, aid: str) -> ActionItem:
        """The owner agency (or a coordinator) marks an action item done."""
        item = await self._store.mdt.get(aid)
        if item is None or not (who.is_coordinator or who.agency == item.owner):
            raise not_found(aid)
        referral = await self._store.referrals.get(item.referral)
        now = self._clock.now()
        await self._store.mdt.finish(
            item, referral.destination if referral else item.owner, at=now, by=who.person,
            history=HistoryEvent(at=now, actor=who.person, action="mdt.action.done",
                                 code=item.code),
            audit=self._audit.event(who, "mdt.action.done", referral=item.referral))
        return await self._store.mdt.get(aid) or item

    async def agenda(self, who: Principal, day: date, agency: str | None = None) -> Agenda:
        """The case review's agenda for ``day``: every referral in ``who``'s scope past its
        acknowledgement deadline or with a gap by the end of that day (UTC), marked for
        review, or with an open action item; soonest submitted first. An agency admin's
        scope is the referrals their agency received (as the queue's: what a sender may
        know of a referral's state is the sender's own view, services/flowback.py). With
        ``agency``, only the referrals it sent or received, or owes an action item on."""
        scope = _scope(who)
        if agency is not None and self._ccr.find_agency(agency) is None:
            raise Unprocessable(f"no agency '{agency}' in this CCR; use one of: "
                                f"{', '.join(a.id for a in self._ccr.agencies)}",
                                code=Codes.UNKNOWN_AGENCY)
        cutoff = datetime.combine(day + timedelta(days=1), time(), UTC).timestamp()
        reasons: dict[str, set[str]] = {}
        gaps: dict[str, list[str]] = {}
        for raw, _ in await self._store.oversight.owed_raw(cutoff):
            rid, _, timer = raw.decode().partition(":")
            if timer == "ack":
                reasons.setdefault(rid, set()).add("breached")
            elif is_milestone(timer):
                reasons.setdefault(rid, set()).add("gap")
                gaps.setdefault(rid, []).append(timer.partition(":")[2])
        marks = await self._store.mdt.marked()
        actions: dict[str, list[ActionItem]] = {}
        for item in await self._store.mdt.open_items():
            actions.setdefault(item.referral, []).append(item)
        for rid in marks:
            reasons.setdefault(rid, set()).add("marked")
        for rid in actions:
            reasons.setdefault(rid, set()).add("action")
        rids = list(reasons)
        cards = await self._store.oversight.cards(rids)
        shown = [(rid, card) for rid, card in zip(rids, cards, strict=True)
                 if card is not None and in_scope(scope, card.destination)]
        statuses = await self._store.mdt.statuses([rid for rid, _ in shown])
        items = [AgendaItem(rid, card, status, tuple(r for r in REASONS if r in reasons[rid]),
                            tuple(sorted(gaps.get(rid, ()))), marks.get(rid),
                            tuple(actions.get(rid, ())))
                 for (rid, card), status in zip(shown, statuses, strict=True) if status]
        if agency is not None:
            items = [i for i in items if agency in (i.card.sender, i.card.destination)
                     or any(a.owner == agency for a in i.actions)]
        items.sort(key=lambda i: (i.card.submitted_at, i.rid))
        return Agenda(day, self._clock.now(), items)


def _scope(who: Principal) -> frozenset[str] | None:
    if who.is_coordinator:
        return None
    if not who.has("agency_admin"):
        raise Forbidden("the case review's agenda is for coordinators and agency admins",
                        code=Codes.NOT_ALLOWED)
    return frozenset({who.agency})

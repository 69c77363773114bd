"""The stalled-referral queue: referrals past their acknowledgement deadline, about to
breach one (acknowledgement, follow-up or milestone) within a chosen number of hours,
follow-ups overdue, and gaps (milestones past their deadline unrecorded, or missed). Read
from the obligations index, filtered by each referral's routing card, so a page costs a few
reads whatever the number of open referrals. Everyone's queue by deadline (the coordinators'
usual view) is counted and paged off the index alone, reading cards for the rows shown;
cards once read are kept (store/oversight.py). Metadata only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

from pydantic import Field

from hub.cards import Card
from hub.clock import Clock
from hub.models import OPEN_STATUSES, SLUG, Frozen
from hub.routing.ccr import Ccr
from hub.routing.milestones import is_milestone
from hub.store import Store
from hub.store.mdt import ACT
from hub.store.oversight import Owed

from .principal import Principal
from .scope import in_scope, queue_scope

State = Literal["breached", "due-soon", "follow-up", "gap", "claimed"]
STATES: tuple[State, ...] = ("breached", "due-soon", "follow-up", "gap")  # to filter by
# "claimed": a row whose acknowledgement someone claimed from a notice, while that holds
URGENCY_RANK = {"emergent": 0, "urgent": 1, "routine": 2}
PAGE_SIZE = 25


class QueueFilter(Frozen):
    state: State | None = None
    agency: str | None = Field(None, pattern=SLUG, description="the receiving agency")
    type: str | None = Field(None, pattern=SLUG)
    urgency: Literal["routine", "urgent", "emergent"] | None = None
    hours: int = Field(24, ge=1, le=168, description="'about to breach' looks this far ahead")
    sort: Literal["due", "age", "agency", "type", "urgency"] = "due"
    order: Literal["asc", "desc"] = "asc"
    page: int = Field(1, ge=1, le=100_000)


class Entry(NamedTuple):
    owed: Owed
    card: Card
    state: State


@dataclass(frozen=True)
class Notice:
    channel: str
    status: str  # queued, sent, dead, cancelled, held
    delivery: str | None  # the gateway's report, when it sent one
    at: float | None


@dataclass(frozen=True)
class QueueRow:
    rid: str
    timer: str
    state: State
    card: Card
    status: str
    due: float
    level: int
    notice: Notice | None
    alerted: bool  # a notice of it went out to a coordinator
    unreached: bool  # a notice reached nobody (the person had no contact left)
    reviewed: str | None
    claimed_by: str | None = None  # who claimed it from a notice (their name), while held
    claim_until: float | None = None

    @property
    def reference(self) -> str:
        return self.rid[:8]


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    counts: dict[str, int]
    now: float


def state_of(owed: Owed, now: float) -> State:
    if owed.due > now:
        return "due-soon"
    return overdue(owed.timer)


def overdue(timer: str) -> State:
    """What a deadline past is: a breach (acknowledgement), a gap (milestone) or a late
    follow-up."""
    if timer == "ack":
        return "breached"
    return "gap" if is_milestone(timer) else "follow-up"


class QueueService:
    def __init__(self, *, store: Store, clock: Clock, ccr: Ccr):
        self._store = store
        self._clock = clock
        self._ccr = ccr

    async def page(self, who: Principal, query: QueueFilter) -> QueuePage:
        scope = queue_scope(who)
        now = self._clock.now()
        until = now + query.hours * 3600
        agency = one_agency(scope, query)
        if (query.sort, query.order) == ("due", "asc") and (query.type, query.urgency) == \
                (None, None) and (scope is None or agency is not None):
            page = await self._by_deadline(query, now, until, agency)
            if page is not None:
                return page
        entries = await self._entries(scope, query, now, until, agency)
        counts: dict[str, int] = {s: 0 for s in STATES}
        for entry in entries:
            counts[entry.state] += 1
        chosen = [e for e in entries if query.state in (None, e.state)]
        chosen.sort(key=self._sort_key(query.sort), reverse=query.order == "desc")
        number, pages, start = _paging(len(chosen), query.page)
        rows = await self._rows(chosen[start:start + PAGE_SIZE])
        return QueuePage(rows, len(chosen), number, pages, counts, now)

    async def _by_deadline(self, query: QueueFilter, now: float, until: float,
                           agency: str | None) -> QueuePage | None:
        """A queue (everyone's, or one receiving agency's when ``agency`` is given),
        soonest deadline first, straight off its index: the deadlines
        already passed are read (to tell the acknowledgements from the follow-ups), those to
        come only counted, and the page's rows alone read from there and have their cards
        read. (Every obligation has a card: create_referral writes both in one step, and
        cards are never deleted.) None, to take the general path, if one has none after all.
        """
        oversight = self._store.oversight
        past = await oversight.owed_raw(now, agency=agency)
        soon = await oversight.owed_count(now, until, agency=agency)
        counts: dict[str, int] = {"breached": 0, "due-soon": soon, "follow-up": 0, "gap": 0}
        late = []
        for member, due in past:
            state = overdue(member.partition(b":")[2].decode())
            counts[state] += 1
            if query.state in (None, state):
                late.append((member, due, state))
        coming = soon if query.state in (None, "due-soon") else 0
        number, pages, start = _paging(len(late) + coming, query.page)
        picked = late[start:start + PAGE_SIZE]
        if coming and len(picked) < PAGE_SIZE:  # the page reaches deadlines still to come
            picked += [(member, due, "due-soon") for member, due in await oversight.owed_raw(
                until, after=now, offset=max(0, start - len(late)),
                count=PAGE_SIZE - len(picked), agency=agency)]
        shown = []
        for member, due, state in picked:
            rid, _, timer = member.decode().partition(":")
            shown.append((Owed(rid, timer, due), state))
        found = await oversight.cards([o.rid for o, _ in shown])
        cards = [c for c in found if c is not None]
        if len(cards) < len(found):
            return None
        rows = await self._rows([Entry(o, card, state)
                                 for (o, state), card in zip(shown, cards, strict=True)])
        return QueuePage(rows, len(late) + coming, number, pages, counts, now)

    async def signature(self, who: Principal, hours: int) -> dict[str, int]:
        """Changes when the queue ``who`` sees may have: how many of its deadlines have
        passed (``past``) and fall due within ``hours`` (``due``), and, for a reader who
        sees every agency, how many referrals are flagged ``stalled`` (coordinators alerted
        or a notice that reached nobody; the flags are everyone's); how many claims from a
        notice hold now (``claimed``: a claim coming or its pause ending changes the rows).
        Counted on the reader's own agency's index when they see one agency, so nothing of
        another agency's queue shows through (for live updates)."""
        scope = queue_scope(who)
        now = self._clock.now()
        agency = next(iter(scope)) if scope is not None and len(scope) == 1 else None
        past, due, stalled = await self._store.oversight.counts(now, now + hours * 3600,
                                                                agency=agency)
        claimed = await self._store.claims.held(now, agency) if scope is None or agency \
            else 0
        return {"past": past, "due": due, "claimed": claimed} | (
            {"stalled": stalled} if scope is None else {})

    async def _entries(self, scope: frozenset[str] | None, query: QueueFilter, now: float,
                       until: float, agency: str | None) -> list[Entry]:
        owed = await self._store.oversight.owed_raw(until, agency=agency)
        members = [member.decode().partition(":") for member, _ in owed]
        cards = await self._store.oversight.cards([rid for rid, _, _ in members])
        out = []
        for (rid, _, timer), (_, due), card in zip(members, owed, cards, strict=True):
            owes = agency is not None and timer.startswith(ACT)  # on that agency's own
            # index: an action item it owes, on another agency's referral as may be
            if card is None or not (owes or in_scope(scope, card.destination)) or \
                    query.agency not in (None, card.destination, agency if owes else None) or \
                    query.type not in (None, card.type) or \
                    query.urgency not in (None, card.urgency):
                continue
            o = Owed(rid, timer, due)
            out.append(Entry(o, card, state_of(o, now)))
        return out

    def _sort_key(self, sort: str):
        names = {a.id: a.name for a in self._ccr.agencies}
        keys = {"due": lambda e: e.owed.due, "age": lambda e: -e.card.submitted_at,
                "agency": lambda e: (names.get(e.card.destination, ""), e.owed.due),
                "type": lambda e: (e.card.type, e.owed.due),
                "urgency": lambda e: (URGENCY_RANK.get(e.card.urgency, 9), e.owed.due)}
        return keys[sort]

    async def _rows(self, entries: list[Entry]) -> list[QueueRow]:
        rids = [e.owed.rid for e in entries]
        details = await self._store.oversight.details(rids)
        flags = await self._store.oversight.flags(rids)
        rows, now = [], self._clock.now()
        for entry, (record, notice), (alerted, unreached) in zip(entries, details, flags,
                                                                  strict=True):
            status = record.get("status", "")
            if status not in OPEN_STATUSES:  # closed meanwhile
                continue
            claimer = self._claimer(record, now) if entry.owed.timer == "ack" else None
            rows.append(QueueRow(entry.owed.rid, entry.owed.timer,
                                 "claimed" if claimer else entry.state, entry.card,
                                 status, entry.owed.due, int(notice.get("level", 0) or 0),
                                 _notice(notice), alerted, unreached,
                                 record.get("review_code"), claimer,
                                 float(record["claim_until"]) if claimer else None))
        return rows

    def _claimer(self, record: dict[str, str], now: float) -> str | None:
        """The name of who claimed the referral from a notice, while the claim holds."""
        if record.get("status") != "requested" or float(record.get("claim_until") or 0) <= now:
            return None
        person = self._ccr.find_person(record.get("claimed_by", ""))
        return person.display_name if person else record.get("claimed_by")


def one_agency(scope: frozenset[str] | None, query: QueueFilter) -> str | None:
    """The one receiving agency whose index a page can read (the filter's, or the reader's
    own), if there is one; an agency outside the reader's scope is left to the filter."""
    if query.agency is not None:
        return query.agency if scope is None or query.agency in scope else None
    return next(iter(scope)) if scope is not None and len(scope) == 1 else None


def _paging(total: int, wanted: int) -> tuple[int, int, int]:
    """The page shown (the last when ``wanted`` is past it), how many there are, and the
    index of its first row."""
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(wanted, pages)
    return number, pages, (number - 1) * PAGE_SIZE


def _notice(row: dict[str, str]) -> Notice | None:
    if not row:
        return None
    at = row.get("sent_at") or row.get("created_at")
    return Notice(row.get("channel", ""), row.get("status", ""), row.get("delivery_status"),
                  float(at) if at else None)

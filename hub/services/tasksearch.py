"""Searching referrals as the FHIR facade's Task search asks (owner, requester, status,
last updated, ids), one page at a time. Every filter is applied to the reader's Sight
(flowback.py), never to the stored record, so a filter on status or time finds only what
the reader's view shows: a sender from whom the agreement keeps the status cannot find a
referral by a status it may not know, nor by when it was last changed out of its sight."""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable
from dataclasses import dataclass

from hub.api.codes import Codes
from hub.api.fhir import TASK_STATUS
from hub.errors import BadRequest
from hub.store import Span, Store

from .access import can_see
from .flowback import Sight
from .principal import Principal
from .referrals import ReferralService

log = logging.getLogger(__name__)
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le,
    "eq": operator.eq}


@dataclass(frozen=True)
class TaskQuery:
    owner: str | None = None  # an agency id
    requester: str | None = None
    statuses: frozenset[str] | None = None  # FHIR Task statuses, as the Task shows them
    updated: tuple[tuple[str, float], ...] = ()  # (comparator, epoch seconds), all must hold
    ids: tuple[str, ...] | None = None
    count: int = 50
    offset: int = 0

    def span(self, *, upper: bool) -> Span:
        """The change index scores a match can have: the _lastUpdated bounds taken together
        (the upper ones only with ``upper``)."""
        low, high = Span(), Span()
        for op, at in self.updated:
            if op in ("gt", "ge", "eq") and (low.low is None or at > low.low
                                             or (at == low.low and op == "gt")):
                low = Span(low=at, low_open=op == "gt")
            if upper and op in ("lt", "le", "eq") and (high.high is None or at < high.high
                                                       or (at == high.high and op == "lt")):
                high = Span(high=at, high_open=op == "lt")
        return Span(low.low, low.low_open, high.high, high.high_open)

    def matches(self, seen: Sight, task_status: str) -> bool:
        """``task_status``: the status the reader's Task shows (hub/api/fhir.py)."""
        r = seen.referral
        return ((self.owner is None or r.destination == self.owner)
                and (self.requester is None or r.sender_agency == self.requester)
                and (self.statuses is None or task_status in self.statuses)
                and all(COMPARE[op](r.changed_at, at) for op, at in self.updated))


@dataclass(frozen=True)
class Index:
    """Where the referrals of one side of an agency are found: ``submitted``, newest
    submitted first (the order of every answer, which no change moves: a sender kept from
    the status must not learn from the order that the receiver did something), and
    ``changed``, by when each last changed (Referral.changed_at), which narrows a
    search by _lastUpdated. The reader's view is never changed later than the store says
    (flowback.py), so a lower bound always narrows; an upper bound only where the reader
    sees every change (``full``: the receiving agency, a coordinator). One lag: the
    sender's own view shows consent run out from the moment it ends, the store from when
    the engine records it (a tick later); a search by _lastUpdated in between finds that
    Task only once the engine has."""

    submitted: str
    changed: str
    full: bool


DENSE = 8  # a span holding at least 1/DENSE of an index is walked, not listed


class TaskSearch:
    """One page of the referrals ``who`` may see that match a query: those it received,
    then those it sent, each newest submitted first."""

    def __init__(self, *, store: Store, referrals: ReferralService):
        self._store = store
        self._referrals = referrals

    async def prepare(self, now: float) -> None:
        """Fill the change indexes once for referrals stored before they existed."""
        put = await self._store.referrals.index_changes(now)
        if put:
            log.info("the Task search's change indexes now hold %d older referrals", put)

    async def search(self, who: Principal, query: TaskQuery) -> tuple[list[Sight], bool]:
        """(the page, whether more follow)."""
        wanted = query.offset + query.count + 1
        if query.ids is not None:
            hits = await self._by_id(who, query)
        else:
            hits = []
            for index in self._indexes(who, query):
                hits += await self._matches(who, query, index, wanted - len(hits))
                if len(hits) >= wanted:
                    break
        return hits[query.offset:query.offset + query.count], len(hits) >= wanted

    async def _by_id(self, who: Principal, query: TaskQuery) -> list[Sight]:
        found = await self._store.referrals.get_many(list(query.ids or ()))
        seen = await self._referrals.sights(who, [r for r in found if can_see(who, r)])
        return [s for s in seen if query.matches(s, TASK_STATUS[s.status])]

    def _indexes(self, who: Principal, query: TaskQuery) -> list[Index]:
        """The agency indexes that hold every referral the query can find for ``who``."""
        keys = self._store.keys

        def received(agency: str, full: bool = True) -> Index:
            return Index(keys.inbox(agency), keys.changed_in(agency), full)

        def sent(agency: str, full: bool) -> Index:
            return Index(keys.outbox(agency), keys.changed_out(agency), full)

        mine = {query.owner, query.requester} - {None}
        if who.is_coordinator:
            if query.owner:
                return [received(query.owner)]
            if query.requester:
                return [sent(query.requester, True)]
            raise BadRequest("a coordinator's search names an owner or a requester "
                             "(owner=Organization/<agency>)", code=Codes.BAD_QUERY)
        if mine and who.agency not in mine:
            return []  # neither end is the reader's agency: nothing it may see
        indexes = []
        if query.owner in (None, who.agency):
            indexes.append(received(who.agency))
        if query.requester in (None, who.agency):
            indexes.append(sent(who.agency, False))
        return indexes

    async def _matches(self, who: Principal, query: TaskQuery, index: Index, wanted: int
                       ) -> list[Sight]:
        """Up to ``wanted`` matches in ``index``, newest submitted first. With a
        _lastUpdated bound that leaves few candidates, those are listed from the change
        index (ids only) and only they are read; otherwise the index is walked."""
        span = query.span(upper=index.full)
        referrals = self._store.referrals
        if span != Span():
            count = await referrals.count_changed(index.changed, span)
            if count * DENSE < await referrals.count(index.submitted):
                listed = await referrals.changed_newest_first(index.changed, span,
                                                              index.submitted)
                return await self._walk(who, query, wanted, listed.__getitem__)
        return await self._walk(who, query, wanted, None, index.submitted)

    async def _walk(self, who: Principal, query: TaskQuery, wanted: int,
                    listed: Callable[[slice], list[str]] | None, index: str = "") -> list[Sight]:
        """Read ids in batches (from ``listed``, or from ``index`` newest first), keeping
        the matches, until ``wanted`` are found or none are left. Unfiltered, every
        referral read is a hit: no more is read than the page needs; filtered, a quarter
        more (most pass the usual filters), and twice as many each time after."""
        filtered = query.statuses is not None or bool(query.updated)
        hits: list[Sight] = []
        cursor, grow = 0, 1
        while len(hits) < wanted:
            short = wanted - len(hits)
            batch = (short + short // 4 + 8) * grow if filtered else short
            if listed is not None:
                ids = listed(slice(cursor, cursor + batch))
            else:
                ids = await self._store.referrals.page(index, offset=cursor, limit=batch)
            if not ids:
                break
            cursor, grow = cursor + len(ids), min(grow * 2, 16)
            for seen in await self._referrals.sights(
                    who, await self._store.referrals.get_many(ids)):
                if query.matches(seen, TASK_STATUS[seen.status]):
                    hits.append(seen)
        return hits[:wanted]

"""Searching referrals as the FHIR facade's Task search asks (owner, requester, status,
last updated, ids), one page at a time. Every filter is applied to the reader's Sight
(flowback.py), never to the stored record, so a filter on status or time finds only what
the reader's view shows: a sender from whom the agreement keeps the status cannot find a
referral by a status it may not know, nor by when it was last changed out of its sight."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

from hub.api.codes import Codes
from hub.api.fhir import TASK_STATUS
from hub.errors import BadRequest
from hub.store import Store

from .access import can_see
from .flowback import Sight
from .principal import Principal
from .referrals import ReferralService

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

    def matches(self, seen: Sight, task_status: str) -> bool:
        """``task_status``: the status the reader's Task shows (hub/api/fhir.py)."""
        r = seen.referral
        return ((self.owner is None or r.destination == self.owner)
                and (self.requester is None or r.sender_agency == self.requester)
                and (self.statuses is None or task_status in self.statuses)
                and all(COMPARE[op](r.updated_at, at) for op, at in self.updated))


class TaskSearch:
    """One page of the referrals ``who`` may see that match a query, newest first."""

    def __init__(self, *, store: Store, referrals: ReferralService):
        self._store = store
        self._referrals = referrals

    async def search(self, who: Principal, query: TaskQuery) -> tuple[list[Sight], bool]:
        """(the page, whether more follow)."""
        if query.ids is not None:
            found = await self._store.referrals.get_many(list(query.ids))
            seen = await self._referrals.sights(who, [r for r in found if can_see(who, r)])
            hits = [s for s in seen if query.matches(s, TASK_STATUS[s.status])]
            return hits[query.offset:query.offset + query.count], \
                len(hits) > query.offset + query.count
        return await self._scan(who, query, self._indexes(who, query))

    def _indexes(self, who: Principal, query: TaskQuery) -> list[str]:
        """The agency indexes that hold every referral the query can find for ``who``."""
        keys = self._store.keys
        mine = {query.owner, query.requester} - {None}
        if who.is_coordinator:
            if query.owner:
                return [keys.inbox(query.owner)]
            if query.requester:
                return [keys.outbox(query.requester)]
            raise BadRequest("a coordinator's search names an owner or a requester "
                             "(owner=Organization/<agency>)", code=Codes.BAD_QUERY)
        if mine and who.agency not in mine:
            return []  # neither end is the reader's agency: nothing it may see
        indexes = []
        if query.owner in (None, who.agency):
            indexes.append(keys.inbox(who.agency))
        if query.requester in (None, who.agency):
            indexes.append(keys.outbox(who.agency))
        return indexes

    async def _scan(self, who: Principal, query: TaskQuery, indexes: list[str]
                    ) -> tuple[list[Sight], bool]:
        """Walk each index in turn (the agency's inbox, then its outbox), newest submitted
        first, in batches, keeping the matches; one more than the page says whether a next
        page exists."""
        wanted = query.offset + query.count + 1
        filtered = query.statuses is not None or bool(query.updated)
        hits: list[Sight] = []
        for index in indexes:
            cursor = 0
            while len(hits) < wanted:
                # unfiltered, every referral read is a hit: read no more than the page needs;
                # filtered, a quarter more (most pass the usual filters), then again
                short = wanted - len(hits)
                batch = short + short // 4 + 8 if filtered else short
                ids = await self._store.referrals.page(index, offset=cursor, limit=batch)
                if not ids:
                    break
                cursor += len(ids)
                for seen in await self._referrals.sights(
                        who, await self._store.referrals.get_many(ids)):
                    if query.matches(seen, TASK_STATUS[seen.status]):
                        hits.append(seen)
        page = hits[query.offset:query.offset + query.count]
        return page, len(hits) > query.offset + query.count

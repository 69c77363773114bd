"""The stalled-referral queue: the page, its rows alone (what live updates fetch), and the
server-sent events that tell an open page the queue changed."""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import web

from hub.display import gap_words
from hub.services.queue import STATES, QueueFilter
from hub.services.scope import queue_agencies, queue_scope

from ..context import SERVICES, SETTINGS, session_cookie
from .help import start_checklists
from .session import query, render, session, signed_in


def _context(request: web.Request, filters: QueueFilter, page) -> dict[str, object]:
    services = request.app[SERVICES]
    who = session(request).principal
    return {"filters": filters, "queue": page, "states": STATES,
            "agencies": queue_agencies(who, services.ccr.agencies),
            "names": {a.id: a.name for a in services.ccr.agencies},
            "zones": {a.id: a.timezone for a in services.ccr.agencies},
            "types": services.ccr.referral_types, "query": request.query}


@signed_in("dashboard.queue")
async def queue(request: web.Request) -> web.Response:
    filters = query(request, QueueFilter)
    services, who = request.app[SERVICES], session(request).principal
    page = await services.queue.page(who, filters)
    agencies = {a.id: a for a in services.ccr.agencies}
    gaps = [(agencies[g.agency].name,
             gap_words(g.types, g.start, g.end, agencies[g.agency].timezone))
            for g in await services.schedules.upcoming_gaps(who)]
    unreadable = await services.readability.counts(
        [a.id for a in queue_agencies(who, services.ccr.agencies)])
    return render(request, "queue.html", {**_context(request, filters, page), "gaps": gaps,
                                          "unreadable": unreadable,
                                          "checklists": await start_checklists(request)})


@signed_in("dashboard.queue")
async def rows(request: web.Request) -> web.Response:
    """The queue's table alone, with the same filters: an open page swaps it in (an access
    like any other: audited)."""
    filters = query(request, QueueFilter)
    page = await request.app[SERVICES].queue.page(session(request).principal, filters)
    return render(request, "queue_rows.html", _context(request, filters, page))


@signed_in("dashboard.live")
async def events(request: web.Request) -> web.StreamResponse:
    """An event whenever the queue's signature changes; 'signed-out' when the session ends
    (live updates do not count as activity: an unattended page still signs out)."""
    filters = query(request, QueueFilter)
    queue_scope(session(request).principal)  # a 403 page, before the stream starts
    stream = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                         "Cache-Control": "no-store"})
    await stream.prepare(request)
    with contextlib.suppress(ConnectionResetError):  # the page was closed
        await _watch(request, stream, filters.hours)
    return stream


async def _watch(request: web.Request, stream: web.StreamResponse, hours: int) -> None:
    services, every = request.app[SERVICES], request.app[SETTINGS].live_every
    who = session(request).principal
    last, beats = None, 0
    while True:
        sid = request.cookies.get(session_cookie(request))
        if await services.sessions.resolve(sid, touch=False) is None:
            await stream.write(b"event: signed-out\ndata: {}\n\n")
            return
        now = await services.queue.signature(who, hours)  # within the reader's scope
        if now != last:
            await stream.write(f"event: queue\ndata: {json.dumps(now)}\n\n".encode())
            last, beats = now, 0
        elif (beats := beats + 1) * every >= 15:
            await stream.write(b": still here\n\n")
            beats = 0
        await asyncio.sleep(every)

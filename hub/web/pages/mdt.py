"""The team meeting's case review agenda as a printable page and as CSV: the flagged
referrals (past the acknowledgement deadline, gaps, marked for review, open action items),
by reference, agencies, type and codes. Nothing from inside an envelope is known here."""

from __future__ import annotations

from aiohttp import web

from hub.api.mdt import AgendaView, agenda_csv, agenda_page

from ..context import SERVICES
from ..mdt import agenda_view, meeting_day, next_of, paging
from .session import render, session, signed_in


async def _agenda(request: web.Request) -> AgendaView:
    services = request.app[SERVICES]
    day = meeting_day(request, services.clock.now())
    agency = request.query.get("agency") or None
    found = await services.mdt.agenda(session(request).principal, day, agency)
    return agenda_view(found).model_copy(update={"agency": agency})


@signed_in("dashboard.mdt")
async def page(request: web.Request) -> web.Response:
    number, limit = paging(request)
    agenda = agenda_page(await _agenda(request), number, limit, next_of(request))
    ccr = request.app[SERVICES].ccr
    zones = {a.id: a.timezone for a in ccr.agencies}
    return render(request, "mdt.html", {"agenda": agenda, "query": request.query,
                                        "zones": zones, "agencies": ccr.agencies})


@signed_in("dashboard.mdt.csv")
async def export(request: web.Request) -> web.Response:
    agenda = await _agenda(request)  # every row, whatever page the screen shows
    name = f"ccr-case-review-{agenda.date.isoformat()}.csv"
    return web.Response(text=agenda_csv(agenda), content_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})

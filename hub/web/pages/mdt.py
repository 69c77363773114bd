"""The team meeting's case review agenda as a printable page and as CSV: the flagged
referrals (past the acknowledgement deadline, gaps, marked for review, open action items),
by reference, agencies, type and codes. Nothing from inside an envelope is known here."""

from __future__ import annotations

from aiohttp import web

from hub.api.mdt import agenda_csv

from ..context import SERVICES
from ..mdt import agenda_view, meeting_day
from .session import render, session, signed_in


async def _agenda(request: web.Request):
    services = request.app[SERVICES]
    day = meeting_day(request, services.clock.now())
    return agenda_view(await services.mdt.agenda(session(request).principal, day))


@signed_in("dashboard.mdt")
async def page(request: web.Request) -> web.Response:
    agenda = await _agenda(request)
    zones = {a.id: a.timezone for a in request.app[SERVICES].ccr.agencies}
    return render(request, "mdt.html", {"agenda": agenda, "query": request.query,
                                        "zones": zones})


@signed_in("dashboard.mdt.csv")
async def export(request: web.Request) -> web.Response:
    agenda = await _agenda(request)
    name = f"ccr-case-review-{agenda.date.isoformat()}.csv"
    return web.Response(text=agenda_csv(agenda), content_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})

"""Drills on the dashboard (coordinators): the scenarios (each step and the people told, in
words) with a button to start each, the drills under way, and a drill's debrief for the
team meeting (as a page and as CSV) with the button that ends it. Starting here records
the drill; its envelopes are sealed by the coordinator's drill sender device (`hub drill
start SCENARIO --drill ID`), never by the hub. Metadata only."""

from __future__ import annotations

from aiohttp import web

from hub.display import status_name
from hub.i18n import N_, current, gettext

from ..context import SERVICES
from .session import render, session, signed_in

WHAT = {"sent": N_("sent"), "notified": N_("notice sent"), "claimed": N_("claimed"),
        "opened": N_("opened"), "acknowledged": N_("acknowledged"), "replied": N_("replied"),
        "past-rung": N_("the ladder went past a rung"),
        "rung.skipped": N_("no one on duty: the ladder went on at once")}


def what_name(code: str) -> str:
    """A debrief line's step in words (a status change by its status's name)."""
    if code in WHAT:
        return gettext(WHAT[code])
    return status_name(code.removeprefix("status.")) if code.startswith("status.") else code


def _did(request: web.Request) -> str:
    return request.match_info["did"]


@signed_in("dashboard.drills")
async def page(request: web.Request) -> web.Response:
    services, who = request.app[SERVICES], session(request).principal
    under_way = await services.drills.under_way(who)
    return render(request, "drills.html", {
        "scenarios": services.drills.scenarios(who), "under_way": under_way,
        "lang": current(), "done": request.query.get("done", ""),
        "agency_of": {p.id: p.agency for p in services.ccr.people},
        "zone": services.ccr.agency(who.agency).timezone})


@signed_in("dashboard.drill.start", form=True, audit=False)
async def start(request: web.Request) -> web.Response:
    scenario = str((await request.post()).get("scenario", ""))
    record = await request.app[SERVICES].drills.start(session(request).principal, scenario)
    raise web.HTTPSeeOther(f"/dashboard/drills/{record.id}")


@signed_in("dashboard.drill")
async def debrief(request: web.Request) -> web.Response:
    services, who = request.app[SERVICES], session(request).principal
    found = await services.drills.debrief(who, _did(request))
    return render(request, "drill.html", {
        "d": found, "lang": current(), "what_name": what_name,
        "zone": services.ccr.agency(who.agency).timezone})


@signed_in("dashboard.drill.csv")
async def export(request: web.Request) -> web.Response:
    found = await request.app[SERVICES].drills.debrief(session(request).principal,
                                                       _did(request))
    return web.Response(text=found.csv(), content_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="drill-{found.drill.id}.csv"'})


@signed_in("dashboard.drill.end", form=True, audit=False)
async def end(request: web.Request) -> web.Response:
    await request.app[SERVICES].drills.end(session(request).principal, _did(request))
    raise web.HTTPSeeOther("/dashboard/drills?done=ended")

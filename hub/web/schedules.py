"""HTTP handlers for an agency's on-duty schedule: what it is (GET), and the overrides and
away periods its admins add and remove (POST, DELETE). The rules are the schedule
service's; these turn its records into the wire's."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from hub.api import schemas as s
from hub.display import gap_words
from hub.services.schedules import Entry, Gap, ScheduleView

from .context import body, principal, respond, services


def _iso(at: float, zone: str) -> str:
    return datetime.fromtimestamp(at, ZoneInfo(zone)).isoformat(timespec="minutes")


def entry_view(entry: Entry, zone: str) -> s.ScheduleEntry:
    return s.ScheduleEntry.model_validate({
        "id": entry.id, "person": entry.person, "duty": entry.duty or None,
        "from": _iso(entry.start, zone), "until": _iso(entry.end, zone),
        "source": entry.source, "by": entry.by or None})


def schedule_view(view: ScheduleView) -> s.ScheduleView:
    zone = view.agency.timezone
    groups = [s.GroupSchedule(
        types=list(g.types),
        on_duty=s.OnDutyView(point_person=g.now.point_person, backups=list(g.now.backups)),
        layers=[s.LayerView(name=x.name, duty=x.duty, people=list(x.people),
                            turn_days=x.turn_days, starts=x.starts.isoformat(timespec="minutes"),
                            days=list(x.days), from_=x.from_, until=x.until,
                            holidays=x.holidays,
                            left=[p for p in x.people if p in view.left])
                for x in g.schedule.layer])
        for g in view.groups]
    fixed = s.OnDutyView(point_person=view.fixed[0], backups=list(view.fixed[1:])) \
        if view.fixed else None
    return s.ScheduleView(
        agency=view.agency.id, timezone=zone, groups=groups, fixed=fixed,
        overrides=[entry_view(e, zone) for e in view.overrides],
        away=[entry_view(e, zone) for e in view.away],
        gaps=[gap_view(g, zone) for g in view.gaps])


def gap_view(gap: Gap, zone: str) -> s.GapView:
    return s.GapView(types=list(gap.types), from_=_iso(gap.start, zone),
                     until=_iso(gap.end, zone), text=gap_words(gap.types, gap.start, gap.end, zone))


async def show(request: web.Request) -> web.Response:
    view = await services(request).schedules.view(principal(request),
                                                   request.match_info["agency"])
    return respond(schedule_view(view))


async def add_override(request: web.Request) -> web.Response:
    req = await body(request, s.AddOverride)
    agency = request.match_info["agency"]
    schedules = services(request).schedules
    entry = await schedules.add_override(principal(request), agency, req.person, req.from_,
                                         req.until, req.duty)
    return respond(entry_view(entry, services(request).directory.agency(agency).timezone), 201)


async def add_away(request: web.Request) -> web.Response:
    req = await body(request, s.AddAway)
    agency = request.match_info["agency"]
    entry = await services(request).schedules.add_away(principal(request), req.person,
                                                       req.from_, req.until, agency=agency)
    return respond(entry_view(entry, services(request).directory.agency(agency).timezone), 201)


def removing(kind: str):
    """The handler that removes a live entry of ``kind`` (override, away)."""

    async def remove(request: web.Request) -> web.Response:
        entry_id = request.match_info["entry"]
        await services(request).schedules.remove(principal(request),
                                                 request.match_info["agency"], entry_id, kind)
        return respond(s.Removed(removed=entry_id))

    return remove

"""HTTP handlers for drills (services/drills.py): the scenarios, starting one, its
referrals as the coordinator's drill sender device sealed them, its debrief (JSON or CSV)
and its end. Coordinators only; the service says so."""

from __future__ import annotations

from aiohttp import web

from hub.api import schemas as s
from hub.routing.drills import Scenario
from hub.services.drills import Debrief, DrillRecord

from .context import body, principal, request_id, respond, services
from .referrals import view


def scenario_view(scenario: Scenario) -> s.ScenarioView:
    return s.ScenarioView(
        id=scenario.id, title=scenario.title, summary=scenario.summary,
        people=list(scenario.people),
        steps=[s.DrillStepView(from_agency=x.from_agency, sender=x.sender, to=x.to, type=x.type,
                               urgency=x.urgency, story=x.story, needs=list(x.needs),
                               onward_from=x.onward_from, purpose=x.purpose,
                               covers=list(x.covers))
               for x in scenario.steps])


async def drill_view(request: web.Request, record: DrillRecord) -> s.DrillView:
    drills = services(request).drills
    return s.DrillView(id=record.id, scenario=scenario_view(drills.scenario(record.scenario)),
                       started_by=record.started_by, started_at=record.started_at,
                       referrals=await drills.referral_ids(principal(request), record.id))


def debrief_view(debrief: Debrief) -> s.DebriefView:
    return s.DebriefView(
        drill=debrief.drill.id, scenario=debrief.scenario.id,
        moments=[s.DrillMoment(step=m.step, referral=m.referral, what=m.what, who=m.who,
                               at=m.at, after_sent=m.after_sent,
                               after_previous=m.after_previous, detail=m.detail)
                 for m in debrief.moments],
        finishers=list(debrief.finishers), past_rungs=len(debrief.past_rungs))


def _did(request: web.Request) -> str:
    return request.match_info["did"]


async def scenarios(request: web.Request) -> web.Response:
    found = services(request).drills.scenarios(principal(request))
    return respond(s.ScenarioList(scenarios=[scenario_view(x) for x in found]))


async def under_way(request: web.Request) -> web.Response:
    records = await services(request).drills.under_way(principal(request))
    return respond(s.DrillList(drills=[await drill_view(request, r) for r in records]))


async def start(request: web.Request) -> web.Response:
    req = await body(request, s.StartDrill)
    record = await services(request).drills.start(principal(request), req.scenario,
                                                  request_id(request))
    return respond(await drill_view(request, record), 201)


async def show(request: web.Request) -> web.Response:
    record = await services(request).drills.get(principal(request), _did(request))
    return respond(await drill_view(request, record))


async def submit(request: web.Request) -> web.Response:
    req = await body(request, s.SubmitDrillReferral)
    who = principal(request)
    referral = await services(request).drills.submit(who, _did(request), req.envelope,
                                                     request_id(request), parent=req.parent,
                                                     case_link=req.case_link)
    return respond(view(await services(request).referrals.sight(who, referral)), 201)


async def envelope(request: web.Request) -> web.Response:
    data = await services(request).drills.envelope(principal(request), _did(request),
                                                   request.match_info["rid"],
                                                   request_id(request))
    return web.Response(body=data, content_type="application/octet-stream")


async def debrief(request: web.Request) -> web.Response:
    found = await services(request).drills.debrief(principal(request), _did(request))
    return respond(debrief_view(found))


async def debrief_csv(request: web.Request) -> web.Response:
    found = await services(request).drills.debrief(principal(request), _did(request))
    return web.Response(text=found.csv(), content_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="drill-{found.drill.id}.csv"'})


async def end(request: web.Request) -> web.Response:
    found = await services(request).drills.end(principal(request), _did(request),
                                               request_id(request))
    return respond(debrief_view(found))

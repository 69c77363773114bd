"""HTTP handlers for a referral's milestones: record one (the receiving agency), list them."""

from __future__ import annotations

from aiohttp import web

from hub.api.milestones import MilestoneDue, MilestoneList, MilestoneRecord, RecordMilestone
from hub.services.milestones import RecordedMilestone

from .context import body, principal, respond, services


def _record(m: RecordedMilestone) -> MilestoneRecord:
    return MilestoneRecord(code=m.code, at=m.at, by=m.by, in_time=m.in_time)


async def record(request: web.Request) -> web.Response:
    req = await body(request, RecordMilestone)
    created, kept = await services(request).milestones.record(
        principal(request), request.match_info["rid"], req.code)
    return respond(_record(kept), 201 if created else 200)


async def listing(request: web.Request) -> web.Response:
    seen = await services(request).milestones.view(principal(request),
                                                   request.match_info["rid"])
    return respond(MilestoneList(
        configured=[MilestoneDue(code=m.code, label=m.label,
                                 within=str(m.within) if m.within else None,
                                 due_at=seen.due.get(m.code), gap_at=seen.gaps.get(m.code))
                    for m in seen.configured],
        recorded=[_record(m) for m in seen.recorded]))

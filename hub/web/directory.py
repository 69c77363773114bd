"""HTTP handlers for the directory: agencies, their root keys and signed rosters."""

from __future__ import annotations

import base64

from aiohttp import web

from hub.api import schemas as s
from hub.api.codes import Codes
from hub.crypto import SignedRoster
from hub.crypto.rosterlog import LogHead
from hub.errors import BadRequest

from .context import body, principal, respond, services, whole_number
from .schedules import gap_view


async def agencies(request: web.Request) -> web.Response:
    directory = services(request).directory
    views = []
    for agency in directory.ccr.agencies:
        root = await directory.root(agency.id)
        roster = await directory.verified_roster(agency.id)
        views.append(s.AgencyView(
            id=agency.id, name=agency.name, kind=agency.kind, timezone=agency.timezone,
            root_public_key=base64.b64encode(root).decode() if root else None,
            roster_version=roster.version if roster else None))
    return respond(s.AgencyList(agencies=views))


async def me(request: web.Request) -> web.Response:
    who, ccr = principal(request), services(request).directory.ccr
    person, agency = ccr.find_person(who.person), ccr.find_agency(who.agency)
    return respond(s.Me(person=who.person, name=person.display_name if person else who.person,
                        agency=who.agency, agency_name=agency.name if agency else who.agency,
                        timezone=agency.timezone if agency else "UTC",
                        roles=sorted(who.roles)))


async def report_setup(request: web.Request) -> web.Response:
    """The device page's word on its own setup; answered with the person's checklist."""
    req = await body(request, s.SetupReport)
    who, checklists = principal(request), services(request).checklists
    await checklists.report(who, device_made=req.device_made, pinned=req.pinned)
    mine = await checklists.new_staff(who.person)
    return respond(s.ChecklistView(kind=mine.kind, subject=mine.subject, steps=[
        s.StepView(code=step.code, done=step.done) for step in mine.steps]))


def _head(head: LogHead | None) -> s.LogHeadView | None:
    if head is None:
        return None
    return s.LogHeadView(count=head.count, head=head.head.hex(), key=head.key.hex(),
                         signature=head.signature.hex())


async def _view(request: web.Request, agency: str) -> s.RosterView:
    """The published roster, logged first (every roster served is in the roster log)."""
    published = await services(request).directory.published(agency)
    head = await services(request).rosterlog.logged(
        agency, published.version, SignedRoster.from_json(published.signed))
    return s.RosterView(agency=published.agency, version=published.version,
                        **published.signed, log=_head(head))


async def get_roster(request: web.Request) -> web.Response:
    return respond(await _view(request, request.match_info["agency"]))


async def roster_log(request: web.Request) -> web.Response:
    start = whole_number(request.query.get("from", "0"), "'from'", 0, 999_999_999)
    entries, head = await services(request).rosterlog.entries(start)
    return respond(s.RosterLog(entries=[e.decode() for e in entries], log=_head(head)))


async def publish_roster(request: web.Request) -> web.Response:
    req = await body(request, s.PublishRoster)
    agency = request.match_info["agency"]
    version, new = await services(request).directory.publish(principal(request), agency,
                                                             req.model_dump())
    return respond(await _view(request, agency), 201 if new else 200)


async def offboard(request: web.Request) -> web.Response:
    req = await body(request, s.Offboard)
    person = request.match_info["person"]
    agency = request.match_info["agency"]
    done = await services(request).staff.offboard(principal(request), agency, person,
                                                  req.reason)
    zone = services(request).directory.agency(agency).timezone
    return respond(s.Offboarded(person=person, tokens_revoked=done.tokens_revoked,
                                schedule_layers=list(done.layers),
                                schedule_entries=list(done.entries),
                                gaps=[gap_view(g, zone) for g in done.gaps]))


async def offboarded(request: web.Request) -> web.Response:
    people = await services(request).staff.offboarded(principal(request),
                                                      request.match_info["agency"])
    return respond(s.OffboardedList(people=people))


async def unreadable(request: web.Request) -> web.Response:
    agency = request.match_info["agency"]
    by = request.query.get("by", "duty")
    if by not in ("duty", "group"):
        raise BadRequest("'by' is 'duty' (no one on duty now can read it, the default) or "
                         "'group' (no current device of the group can)", code=Codes.BAD_QUERY)
    found = await services(request).readability.listing(principal(request), agency,
                                                        by == "duty")
    return respond(s.UnreadableList(agency=agency, referrals=[
        s.UnreadableView(id=r.id, type=r.type, status=r.status, submitted_at=r.submitted_at)
        for r in found]))

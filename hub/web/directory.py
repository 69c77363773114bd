"""HTTP handlers for the directory: agencies, their root keys and signed rosters."""

from __future__ import annotations

import base64

from aiohttp import web

from hub.api import schemas as s

from .context import body, principal, respond, services


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


async def get_roster(request: web.Request) -> web.Response:
    published = await services(request).directory.published(request.match_info["agency"])
    return respond(s.RosterView(agency=published.agency, version=published.version,
                                **published.signed))


async def publish_roster(request: web.Request) -> web.Response:
    req = await body(request, s.PublishRoster)
    agency = request.match_info["agency"]
    version, new = await services(request).directory.publish(principal(request), agency,
                                                             req.model_dump())
    published = await services(request).directory.published(agency)
    return respond(s.RosterView(agency=agency, version=version, **published.signed),
                   201 if new else 200)

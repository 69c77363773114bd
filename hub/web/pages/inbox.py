"""A person's referrals in the browser: the inbox of their agency (point persons and
backups) with each referral's deadlines, the referrals their agency sent (senders), and a
referral's thread page, where the page itself opens the envelope and the replies
(web/src/pages/thread-page.js). Metadata only on the server's side."""

from __future__ import annotations

from typing import Any, get_args

from aiohttp import web

from hub.build import Services
from hub.models import CancelReason, ConsentMethod, OutcomeCode, RejectReason
from hub.services.principal import Principal

from ..context import SERVICES
from .help import start_checklists
from .milestones import can_record, milestone_rows
from .sealed import render_sealed
from .session import render, session, signed_in


def _names(request: web.Request) -> dict[str, str]:
    return {a.id: a.name for a in request.app[SERVICES].ccr.agencies}


async def _list(request: web.Request, items: list, sent: bool) -> web.Response:
    services, who = request.app[SERVICES], session(request).principal
    agency = services.ccr.find_agency(who.agency)
    return render(request, "inbox.html", {
        "items": items, "names": _names(request), "now": services.worklist.now(),
        "sent": sent, "zone": agency.timezone if agency else "UTC",
        "checklists": await start_checklists(request)})


@signed_in("page.inbox")
async def inbox(request: web.Request) -> web.Response:
    items = await request.app[SERVICES].worklist.inbox(session(request).principal)
    return await _list(request, items, sent=False)


@signed_in("page.sent")
async def sent(request: web.Request) -> web.Response:
    items = await request.app[SERVICES].worklist.sent(session(request).principal)
    return await _list(request, items, sent=True)


@signed_in("page.thread")
async def thread(request: web.Request) -> web.Response:
    services, who = request.app[SERVICES], session(request).principal
    found = await services.worklist.thread(who, request.match_info["rid"])
    referral = found.item.referral
    milestones = milestone_rows(await services.milestones.view(who, referral.id), found)
    return render_sealed(request, "thread.html", {
        "t": found, "r": referral, "names": _names(request), "now": services.worklist.now(),
        "milestones": milestones, "can_record": can_record(who, found),
        "recorded": request.query.get("done") == "milestone",
        "zone": services.ccr.agency(referral.destination).timezone,
        "type_label": _label(services, referral.type),
        "reject_reasons": get_args(RejectReason), "outcomes": get_args(OutcomeCode),
        "cancel_reasons": get_args(CancelReason),
        **_onward(services, session(request).principal, found.side),
        "script_people": {p.id: p.display_name for p in services.ccr.people
                          if p.agency in (referral.sender_agency, referral.destination)}})


@signed_in("page.case")
async def case(request: web.Request) -> web.Response:
    """The survivor's case, put together by the page's script on this device
    (web/src/pages/case-page.js): for the two agencies of the referral, as its thread."""
    services = request.app[SERVICES]
    found = await services.worklist.thread(session(request).principal,
                                           request.match_info["rid"])
    referral = found.item.referral
    return render_sealed(request, "case.html", {
        "t": found, "r": referral, "type_label": _label(services, referral.type),
        "zone": services.ccr.agency(referral.destination).timezone})


def _onward(services: Services, who: Principal, side: str) -> dict[str, Any]:
    """Where the receiving agency may refer the survivor onward (its own agreements), for
    the thread page's "Refer onward" form."""
    if side != "receiving" or not who.has("sender"):
        return {"onward_to": []}
    destinations = services.worklist.destinations(who)
    types = {t.code: t for d in destinations for t in d.types}
    return {"onward_to": destinations, "onward_types": list(types.values()),
            "methods": get_args(ConsentMethod)}


def _label(services: Services, code: str) -> str:
    found = services.ccr.referral_type(code)
    return found.label if found else code

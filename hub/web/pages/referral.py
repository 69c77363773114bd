"""One referral as the dashboard shows it (metadata only), and what a coordinator does
about it: nudge the receiving agency, mark it reviewed at a team meeting."""

from __future__ import annotations

from functools import partial

from aiohttp import web

from hub.api.codes import Codes
from hub.cards import Card
from hub.errors import BadRequest
from hub.i18n import N_, gettext
from hub.services.oversight import REVIEW_CODES

from ..context import SERVICES, SETTINGS
from .session import render, session, signed_in

DONE = {"nudged": N_("Nudge queued: the current step's notices go out again within a "
                    "minute. Anyone who already had %(limit)d notices in the last "
                    "%(minutes)d minutes gets theirs in one combined message as soon as "
                    "that allows, within %(minutes)d minutes."),
        "reviewed": N_("Marked as reviewed.")}


def done(request: web.Request) -> str | None:
    """What the coordinator's last action did, in words (the flood limits named)."""
    said = DONE.get(request.query.get("done", ""))
    settings = request.app[SETTINGS]
    return said and gettext(said) % {"limit": settings.notice_limit_person,
                                     "minutes": round(settings.notice_window / 60)}


@signed_in("page.link", audit=False)
async def link(request: web.Request) -> web.Response:
    """The link in every notice: the referral's page (signing in first if need be). The
    receiving escalation group and the sender open it in the browser (/inbox/{rid});
    coordinators and agency admins see it on the dashboard."""
    rid = request.match_info["rid"]
    if await request.app[SERVICES].worklist.opens_in_inbox(session(request).principal, rid):
        raise web.HTTPSeeOther(f"/inbox/{rid}")
    raise web.HTTPSeeOther(f"/dashboard/referrals/{rid}")


@signed_in("dashboard.referral")
async def dossier(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    found = await services.oversight.dossier(session(request).principal,
                                             request.match_info["rid"])
    return render(request, "referral.html", {
        "d": found, "card": Card.of(found.referral),
        "names": {a.id: a.name for a in services.ccr.agencies},
        "people": {p.id: p.display_name for p in services.ccr.people},
        "now": services.clock.now(),
        "zone": services.ccr.agency(found.referral.destination).timezone,
        "review_codes": REVIEW_CODES, "done": partial(done, request)})


@signed_in("dashboard.nudge", form=True, audit=False)
async def nudge(request: web.Request) -> web.Response:
    rid = request.match_info["rid"]
    timer = str((await request.post()).get("timer", "ack"))
    if timer != "ack" and not timer.startswith(("fu:", "ms:")):
        raise BadRequest("choose the acknowledgement or one of its follow-ups or milestones "
                         "to nudge", code=Codes.BAD_TIMER)
    await request.app[SERVICES].oversight.nudge(session(request).principal, rid, timer)
    raise web.HTTPSeeOther(f"/dashboard/referrals/{rid}?done=nudged")


@signed_in("dashboard.review", form=True, audit=False)
async def review(request: web.Request) -> web.Response:
    rid = request.match_info["rid"]
    code = str((await request.post()).get("code", ""))
    if code not in REVIEW_CODES:
        raise BadRequest(f"choose a reason: one of {', '.join(REVIEW_CODES)}", code=Codes.BAD_CODE)
    await request.app[SERVICES].oversight.review(session(request).principal, rid,
                                                 code)  # type: ignore[arg-type]
    raise web.HTTPSeeOther(f"/dashboard/referrals/{rid}?done=reviewed")


"""A referral's milestones on its thread page: those of its type, each recorded (when, in
time or late), pending with its deadline or missed (a gap), in the receiving agency's time
zone and the reader's language; and the receiving agency's form to record one (a code from
milestones.toml, posted with the session's CSRF token, as every page form)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from hub.routing.milestones import Milestone
from hub.services.milestones import RECORDS, MilestoneView
from hub.services.principal import Principal
from hub.services.worklist import Thread

from ..context import SERVICES
from .session import session, signed_in


@dataclass(frozen=True)
class MilestoneRow:
    milestone: Milestone  # its code and labels (the page says ``label_in(lang)``)
    state: str  # recorded, late, missed, pending, none (a code without a deadline)
    due: float | None  # its deadline, while one is owed
    within: str | None  # its deadline from acceptance, as configured
    at: float | None  # when it was recorded, or became a gap


def milestone_rows(view: MilestoneView, thread: Thread) -> list[MilestoneRow]:
    """One row per milestone of the referral's type, in the file's order."""
    recorded = {m.code: m for m in view.recorded}
    owed = {o.timer: o.due for o in thread.item.owed}
    rows = []
    for m in view.configured:
        done, gap, due = recorded.get(m.code), view.gaps.get(m.code), owed.get(m.timer)
        if done is not None:
            state, at = ("recorded" if done.in_time else "late"), done.at
        elif gap is not None:
            state, at = "missed", gap
        else:
            state, at = ("pending" if m.within else "none"), None
        rows.append(MilestoneRow(m, state, due,
                                 str(m.within) if m.within else None, at))
    return rows


def can_record(who: Principal, thread: Thread) -> bool:
    """Whether ``who`` records this referral's milestones (once it is accepted: the form
    is on the page, shown while it is accepted or in progress, as the page's script
    shows each action in the statuses it is for)."""
    return who.agency == thread.item.referral.destination and who.has(*RECORDS)


@signed_in("page.milestone.record", form=True, audit=False)
async def record(request: web.Request) -> web.Response:
    """Record the chosen milestone (audited by the service), back to the thread."""
    rid = request.match_info["rid"]
    code = str((await request.post()).get("code", ""))
    await request.app[SERVICES].milestones.record(session(request).principal, rid, code)
    raise web.HTTPSeeOther(f"/inbox/{rid}?done=milestone#milestones")

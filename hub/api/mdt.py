"""The team meeting's case review on the wire: marks, action items and the agenda (JSON,
and its CSV form, written here once for the hub's page and the CLI). Codes, agency ids,
references and times only: nothing from inside an envelope."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
MarkCode = Literal["safety-concern", "stalled-handoff", "missed-milestones", "agency-request",
                   "other"]
ActionStatus = Literal["open", "done", "closed"]
ActionCode = Literal["contact-agency", "reschedule-exam", "compensation-claim",
                     "safety-plan-review", "supervisor-review", "other"]


class Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MarkForReview(Body):
    code: MarkCode = Field(description="why it should come to the case review")


class Marked(BaseModel):
    referral: str
    marked: MarkCode | None = Field(description="the mark's code; null once taken off")


class AddAction(Body):
    referral: str = Field(pattern=r"^[0-9a-f]{32}$")
    owner: str = Field(pattern=SLUG, description="the agency that owes it")
    code: ActionCode
    due: date = Field(description="the day it is due (YYYY-MM-DD): by 17:00 in the owner "
                      "agency's time zone")


class ActionView(BaseModel):
    id: str
    referral: str
    owner: str
    code: str
    due: float
    status: ActionStatus = Field(
        description="closed: the referral closed while it was open")
    created_by: str
    created_at: float
    done_at: float | None = None


class AgendaRow(BaseModel):
    reference: str
    referral: str
    from_agency: str
    to_agency: str
    type: str
    urgency: str
    status: str
    submitted_at: float
    reasons: list[str] = Field(description="breached, gap, marked, action")
    gaps: list[str] = Field(description="the milestone codes past their deadline")
    marked: str | None
    actions: list[ActionView]


class AgendaView(BaseModel):
    date: date
    made_at: float
    items: list[AgendaRow]
    agency: str | None = Field(None, description="the agency it is filtered by: referrals "
                               "it sent or received, or owes an action item on")
    total: int = Field(0, description="the referrals on the agenda, on every page")
    page: int = 1
    pages: int = 1
    next: str | None = Field(None, description="the address of the next page, if any")


LIMIT, MAX_LIMIT = 50, 200  # an agenda page's rows: by default, at most


def agenda_page(agenda: AgendaView, page: int, limit: int, next_of: str) -> AgendaView:
    """Page ``page`` of ``limit`` rows (none past the last); ``next_of`` is the address
    the next page's query is put after (the page's own, with ``page`` left to add)."""
    total = len(agenda.items)
    pages = max(1, -(-total // limit))
    start = (page - 1) * limit
    more = f"{next_of}page={page + 1}" if page < pages else None
    return agenda.model_copy(update={"items": agenda.items[start:start + limit],
                                     "total": total, "page": page, "pages": pages,
                                     "next": more})


CSV_COLUMNS = ("meeting_date", "reference", "referral", "from_agency", "to_agency", "type",
               "urgency", "status", "submitted_utc", "reasons", "gaps", "marked", "actions")


def _utc(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M")


def agenda_csv(agenda: AgendaView) -> str:
    """The agenda as CSV, one row per referral; action items as ``owner:code:due``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in agenda.items:
        writer.writerow([agenda.date.isoformat(), r.reference, r.referral, r.from_agency,
                         r.to_agency, r.type, r.urgency, r.status, _utc(r.submitted_at),
                         " ".join(r.reasons), " ".join(r.gaps), r.marked or "",
                         "; ".join(f"{a.owner}:{a.code}:{_utc(a.due)}" for a in r.actions)])
    return out.getvalue()

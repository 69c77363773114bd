"""HTTP handlers for the team meeting's case review: mark a referral for it, record and
finish action items, and the agenda (JSON here; the printable page and CSV in pages/)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import cast
from urllib.parse import urlencode

from aiohttp import web

from hub.api.codes import Codes
from hub.api.mdt import (
    LIMIT,
    MAX_LIMIT,
    ActionStatus,
    ActionView,
    AddAction,
    AgendaRow,
    AgendaView,
    Marked,
    MarkForReview,
    agenda_page,
)
from hub.errors import BadRequest
from hub.services.mdt import ActionItem, Agenda

from .context import body, principal, respond, services

DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def action_view(a: ActionItem) -> ActionView:
    return ActionView(id=a.id, referral=a.referral, owner=a.owner, code=a.code, due=a.due,
                      status=cast(ActionStatus, a.status),
                      created_by=a.created_by, created_at=a.created_at, done_at=a.done_at)


def agenda_view(agenda: Agenda) -> AgendaView:
    return AgendaView(date=agenda.day, made_at=agenda.made_at, items=[AgendaRow(
        reference=i.reference, referral=i.rid, from_agency=i.card.sender,
        to_agency=i.card.destination, type=i.card.type, urgency=i.card.urgency,
        status=i.status, submitted_at=i.card.submitted_at, reasons=list(i.reasons),
        gaps=list(i.gaps), marked=i.mark.code if i.mark else None,
        actions=[action_view(a) for a in i.actions]) for i in agenda.items])


def meeting_day(request: web.Request, today: float) -> date:
    """The ``date`` query value (YYYY-MM-DD), today (UTC) when there is none."""
    raw = request.query.get("date")
    if raw is None:
        return datetime.fromtimestamp(today, UTC).date()
    try:
        if not DAY.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest("'date' must be a day written YYYY-MM-DD, e.g. 2026-12-08",
                         code=Codes.BAD_QUERY) from None


async def mark(request: web.Request) -> web.Response:
    req = await body(request, MarkForReview)
    rid = request.match_info["rid"]
    await services(request).mdt.mark(principal(request), rid, req.code)
    return respond(Marked(referral=rid, marked=req.code))


async def unmark(request: web.Request) -> web.Response:
    rid = request.match_info["rid"]
    await services(request).mdt.mark(principal(request), rid, None)
    return respond(Marked(referral=rid, marked=None))


async def add_action(request: web.Request) -> web.Response:
    req = await body(request, AddAction)
    item = await services(request).mdt.add_action(principal(request), req.referral,
                                                  req.owner, req.code, req.due)
    return respond(action_view(item), 201)


async def finish_action(request: web.Request) -> web.Response:
    item = await services(request).mdt.finish_action(principal(request),
                                                     request.match_info["aid"])
    return respond(action_view(item))


def _number(request: web.Request, name: str, default: int, most: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise BadRequest(f"'{name}' must be a whole number from 1 to {most}",
                         code=Codes.BAD_QUERY)
    return int(raw)


def paging(request: web.Request) -> tuple[int, int]:
    """The ``page`` (from 1) and ``limit`` (rows on it) query values."""
    return _number(request, "page", 1, 10_000), _number(request, "limit", LIMIT, MAX_LIMIT)


def next_of(request: web.Request) -> str:
    """The request's address with its query but ``page``, ready for ``page=N``."""
    kept = urlencode([(k, v) for k, v in request.query.items() if k != "page"])
    return f"{request.path}?{kept}&" if kept else f"{request.path}?"


async def whole_agenda(request: web.Request) -> AgendaView:
    """The agenda the request asks for (``date``, ``agency``), every row."""
    found = services(request)
    day = meeting_day(request, found.clock.now())
    agenda = await found.mdt.agenda(principal(request), day, request.query.get("agency") or None)
    return agenda_view(agenda).model_copy(update={"agency": request.query.get("agency") or None})


async def agenda(request: web.Request) -> web.Response:
    page, limit = paging(request)
    return respond(agenda_page(await whole_agenda(request), page, limit, next_of(request)))

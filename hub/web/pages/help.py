"""The quick guides (/help, /help/{role}): one page per role for a person's first day,
in the reader's language, printable; open to anyone, signed in or not (they hold nothing
about any referral). And the checklists a person's start page shows until each is done
(services/checklists.py)."""

from __future__ import annotations

from aiohttp import web

from hub.errors import NotFound
from hub.services.checklists import Checklist
from hub.services.scope import GUIDES, landing

from ..context import SERVICES, session_cookie
from .session import SESSION, error_page, render, session


async def _known(request: web.Request) -> None:
    """The reader's session, if they have one, for the header (it is not extended)."""
    sid = request.cookies.get(session_cookie(request))
    if sid:
        current = await request.app[SERVICES].sessions.resolve(sid, touch=False)
        if current is not None:
            request[SESSION] = current


async def index(request: web.Request) -> web.Response:
    await _known(request)
    return render(request, "help/index.html", {"guides": list(GUIDES), "role": ""})


async def guide(request: web.Request) -> web.Response:
    await _known(request)
    role = request.match_info["role"]
    if role not in GUIDES:
        return error_page(request, NotFound(
            f"no quick guide for '{role}': the guides are "
            f"{', '.join(f'/help/{g}' for g in GUIDES)}"))
    return render(request, f"help/{role}.html", {"role": role, "guides": list(GUIDES)})


async def start_checklists(request: web.Request) -> list[Checklist]:
    """The checklists to show on this page: only on the person's own start page."""
    who = session(request).principal
    if request.path != landing(who):
        return []
    return await request.app[SERVICES].checklists.for_person(who)

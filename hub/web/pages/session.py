"""What every page handler shares: the signed-in session behind the cookie, the CSRF check
on forms that change something, the audit event of each view, and errors shown as pages
(a HubError keeps its status and its message: what was wrong, how to fix it)."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web
from pydantic import BaseModel, ValidationError

from hub.api.codes import Codes
from hub.display import moment
from hub.errors import BadRequest, Forbidden, HubError, TooManyRequests
from hub.i18n import LANGUAGES, speaking
from hub.services.principal import Principal
from hub.services.scope import guide
from hub.services.sessions import Session

from ..context import (
    REQUEST_ID,
    SERVICES,
    SESSION_COOKIE,
    SETTINGS,
    WATCH,
    describe,
    session_cookie,
)
from .language import language_of

COOKIE = SESSION_COOKIE  # its name in dev mode; session_cookie(request) in any
SESSION = web.RequestKey("session", Session)
PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def set_cookie(request: web.Request, response: web.StreamResponse, sid: str) -> None:
    response.set_cookie(session_cookie(request), sid, httponly=True, samesite="Strict", path="/",
                        secure=request.app[SETTINGS].mode != "dev")


def session(request: web.Request) -> Session:
    return request[SESSION]


def render(request: web.Request, template: str, context: dict[str, Any],
           status: int = 200) -> web.Response:
    who = request.get(SESSION) and request[SESSION].principal
    lang = language_of(request, who or None)
    with speaking(lang):
        base = {"who": who, "csrf": request[SESSION].csrf if request.get(SESSION) else "",
                "path": request.path, "path_qs": request.path_qs, "lang": lang,
                "languages": LANGUAGES, "engine_stopped": engine_stopped(request, who),
                "guide": guide(who or None),
                **display_names(request)}
        return aiohttp_jinja2.render_template(template, request, base | context,
                                              status=status)


def display_names(request: web.Request) -> dict[str, dict[str, str]]:
    """Every page names agencies, people and referral types by name, never by id."""
    ccr = request.app[SERVICES].ccr
    return {"names": {a.id: a.name for a in ccr.agencies},
            "people": {p.id: p.display_name for p in ccr.people},
            "type_names": {t.code: t.label for t in ccr.referral_types}}


def engine_stopped(request: web.Request, who: Principal | None) -> str | None:
    """Since when escalation has not run, in the signed-in reader's own time zone, while
    this process's dead man's switch finds it stopped; None while it runs."""
    watch = request.app.get(WATCH)
    if who is None or watch is None or not watch.seen.stopped:
        return None
    ran_at = watch.seen.ran_at
    if ran_at is None:  # never the case: a sighting is stale or alert only after a run
        return None
    services = request.app[SERVICES]
    agency = services.ccr.find_agency(who.agency)
    return moment(ran_at, agency.timezone if agency else "UTC",
                  services.clock.now())


def error_page(request: web.Request, error: HubError) -> web.Response:
    page = render(request, "error.html", {"error": error}, status=error.status)
    page.headers.update(error.headers)
    return page


def signed_in(action: str, *, form: bool = False, audit: bool = True
              ) -> Callable[[PageHandler], PageHandler]:
    """Wrap a page handler: no session sends the browser to sign in (and back); a form
    must carry the session's CSRF token; each view leaves an audit event named
    ``action``; the handler's server time goes out as a Server-Timing header."""
    def wrap(handler: PageHandler) -> PageHandler:
        @functools.wraps(handler)
        async def page(request: web.Request) -> web.StreamResponse:
            started = time.perf_counter()
            services = request.app[SERVICES]
            current = await services.sessions.resolve(
                request.cookies.get(session_cookie(request)))
            if current is None:
                return _to_sign_in(request, form)
            request[SESSION] = current
            try:
                await services.limits.admit(current.principal)
            except TooManyRequests as e:  # tallied (limits.py), not audited one by one
                return error_page(request, e)
            rid = request.match_info.get("rid")
            try:
                if form:
                    data = await request.post()
                    if not current.csrf_ok(str(data.get("csrf", ""))):
                        raise Forbidden("this form has expired; reload the page and try again",
                                        code=Codes.BAD_CSRF)
                response = await handler(request)
            except HubError as e:
                await services.auditor.record(current.principal, action, referral=rid,
                                              outcome=e.code, request_id=request[REQUEST_ID])
                return error_page(request, e)
            if audit:
                await services.auditor.record(current.principal, action, referral=rid,
                                              request_id=request[REQUEST_ID])
            response.headers["Server-Timing"] = \
                f"app;dur={1000 * (time.perf_counter() - started):.1f}"
            return response
        return page
    return wrap


def _to_sign_in(request: web.Request, form: bool) -> web.Response:
    if request.headers.get("Accept") == "text/event-stream":
        return web.Response(status=401, text="signed out")
    target = "/signin" if form else f"/signin?next={quote(request.path_qs, safe='')}"
    raise web.HTTPSeeOther(target)


def query(request: web.Request, model: type[BaseModel]) -> Any:
    """The query string as ``model``; a bad value is a 400 that says which and why."""
    values = {k: v for k, v in request.query.items() if v != ""}
    try:
        return model.model_validate(values)
    except ValidationError as e:
        raise BadRequest(f"this page's address has a bad value: {describe(e)}",
                         code=Codes.BAD_QUERY) from None

"""Signing in with a personal API token (it becomes a session cookie), and signing out."""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web

from hub.errors import HubError
from hub.services.scope import landing

from ..context import SERVICES, SETTINGS, client_address, session_cookie
from .language import local_path
from .session import render, session, set_cookie, signed_in

FORM_COOKIE = "ccr_signin"  # the sign-in form's CSRF token (there is no session yet)


@signed_in("page.home", audit=False)
async def home(request: web.Request) -> web.Response:
    """Each person's own start: the queue, the inbox, or what they sent."""
    raise web.HTTPSeeOther(landing(session(request).principal))


async def form(request: web.Request, *, message: str | None = None,
               status: int = 200) -> web.Response:
    csrf = secrets.token_urlsafe(24)
    response = render(request, "signin.html", {
        "csrf": csrf, "message": message, "next": local_path(request.query.get("next"))},
        status=status)
    response.set_cookie(FORM_COOKIE, csrf, httponly=True, samesite="Strict", path="/signin",
                        secure=request.app[SETTINGS].mode != "dev")
    return response


async def submit(request: web.Request) -> web.Response:
    data = await request.post()
    offered, expected = str(data.get("csrf", "")), request.cookies.get(FORM_COOKIE, "")
    if not expected or not hmac.compare_digest(offered, expected):
        return await form(request, message="This sign-in form expired. Paste your token "
                          "again.", status=403)
    token = str(data.get("token", ""))
    try:
        sid, _ = await request.app[SERVICES].sessions.sign_in(token, client_address(request))
    except HubError as e:
        message = ("Too many failed sign-ins from here. Wait five minutes and try again."
                   if e.status == 429 else "That token was not accepted. Paste the whole "
                   "token your agency admin gave you (it starts with ccr_).")
        return await form(request, message=message, status=e.status)
    response = web.HTTPSeeOther(local_path(str(data.get("next", ""))))
    set_cookie(request, response, sid)
    response.del_cookie(FORM_COOKIE, path="/signin")
    raise response


@signed_in("session.sign_out", form=True, audit=False)
async def sign_out(request: web.Request) -> web.Response:
    await request.app[SERVICES].sessions.sign_out(request.cookies[session_cookie(request)],
                                                  session(request).principal)
    response = web.HTTPSeeOther("/signin")
    response.del_cookie(session_cookie(request), path="/")
    raise response

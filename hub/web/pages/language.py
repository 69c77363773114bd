"""Which language a page speaks: the one its reader chose on the page (a cookie), else a
signed-in person's own (people.toml, as their notices), else what the browser asks for
(Accept-Language), else English. POST /language is the switch every page offers: it sets
only that cookie (no session, nothing stored), so it takes no CSRF token."""

from __future__ import annotations

from aiohttp import web

from hub.i18n import LANGUAGES, SOURCE, negotiate
from hub.services.principal import Principal

from ..context import SERVICES, SETTINGS

CHOSEN = "ccr_lang"  # the cookie a reader's choice is kept in (a year, this hub only)


def local_path(value: str | None) -> str:
    """Where to go back to: only a path on this hub (browsers drop tabs and newlines from
    a URL, so '/<tab>/evil' would be '//evil': no control characters)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value \
            and value.isprintable():
        return value
    return "/"


def language_of(request: web.Request, who: Principal | None) -> str:
    chosen = request.cookies.get(CHOSEN, "")
    if chosen in LANGUAGES:
        return chosen
    person = who and request.app[SERVICES].ccr.find_person(who.person)
    if person:
        return person.language
    return negotiate(request.headers.get("Accept-Language", "")) or SOURCE


async def choose(request: web.Request) -> web.StreamResponse:
    """Switch the pages to a language and go back where the reader was."""
    form = await request.post()
    language = str(form.get("language", ""))
    if language not in LANGUAGES:
        return web.Response(status=400, text=f"no pages in '{language}': choose one of "
                            f"{', '.join(LANGUAGES)}")
    response = web.HTTPSeeOther(local_path(str(form.get("next", "")) or None))
    response.set_cookie(CHOSEN, language, max_age=365 * 86400, path="/", samesite="Lax",
                        httponly=True, secure=request.app[SETTINGS].mode != "dev")
    raise response

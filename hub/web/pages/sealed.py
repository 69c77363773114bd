"""The pages that seal and open envelopes in the browser (device set-up, send, a referral's
thread) load the crypto bundle, whose libsodium compiles WebAssembly: only these pages get
'wasm-unsafe-eval' in their Content-Security-Policy, still without inline script, eval or
any other origin. The script's words come with the page, as JSON it does not run."""

from __future__ import annotations

from functools import partial
from typing import Any

from aiohttp import web

from hub.display import actor_name, names_for_script
from hub.i18n import browser_catalog, current

from ..context import CONTENT_SECURITY_POLICY, SERVICES
from .session import render, session

# every page's policy with 'wasm-unsafe-eval' added to script-src only
SEALED_PAGE_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self';", "script-src 'self' 'wasm-unsafe-eval';")


def script_words(zone: str, people: dict[str, str], agencies: dict[str, str]
                 ) -> dict[str, Any]:
    """What the page's script says things with, in the page's language: the catalog (the
    same .po as the pages', hub/i18n.py), the names of statuses and codes, and the zone
    it shows times in (the receiving agency's, as the page's own), and the names of the
    people its history may name (a thread's two agencies)."""
    return {"lang": current(), "catalog": browser_catalog(current()), "zone": zone,
            "people": people, "hub": actor_name(None, {}), "agencies": agencies,
            **names_for_script()}


def render_sealed(request: web.Request, template: str, context: dict[str, Any]) -> web.Response:
    zone = context.get("zone") or _own_zone(request)
    agencies = {a.id: a.name for a in request.app[SERVICES].ccr.agencies}
    words = partial(script_words, zone, context.pop("script_people", {}), agencies)
    response = render(request, template, {"words": words} | context)
    response.headers["Content-Security-Policy"] = SEALED_PAGE_POLICY
    return response


def _own_zone(request: web.Request) -> str:
    """The signed-in person's agency's zone (their device and send pages)."""
    agency = request.app[SERVICES].ccr.find_agency(session(request).principal.agency)
    return agency.timezone if agency else "UTC"

"""The pages that seal and open envelopes in the browser (device set-up, send, a referral's
thread) load the crypto bundle, whose libsodium compiles WebAssembly: only these pages get
'wasm-unsafe-eval' in their Content-Security-Policy, still without inline script, eval or
any other origin. The script's words come with the page, as JSON it does not run."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.display import names_for_script
from hub.i18n import browser_catalog, current

from ..context import CONTENT_SECURITY_POLICY
from .session import render

# every page's policy with 'wasm-unsafe-eval' added to script-src only
SEALED_PAGE_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self';", "script-src 'self' 'wasm-unsafe-eval';")


def script_words() -> dict[str, Any]:
    """What the page's script says things with, in the page's language: the catalog (the
    same .po as the pages', hub/i18n.py) and the names of statuses and codes."""
    return {"lang": current(), "catalog": browser_catalog(current()), **names_for_script()}


def render_sealed(request: web.Request, template: str, context: dict[str, Any]) -> web.Response:
    response = render(request, template, {"words": script_words} | context)
    response.headers["Content-Security-Policy"] = SEALED_PAGE_POLICY
    return response

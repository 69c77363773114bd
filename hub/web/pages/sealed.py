"""The pages that seal and open envelopes in the browser (device set-up, send, a referral's
thread) load the crypto bundle, whose libsodium compiles WebAssembly: only these pages get
'wasm-unsafe-eval' in their Content-Security-Policy, still without inline script, eval or
any other origin."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..context import CONTENT_SECURITY_POLICY
from .session import render

# every page's policy with 'wasm-unsafe-eval' added to script-src only
SEALED_PAGE_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self';", "script-src 'self' 'wasm-unsafe-eval';")


def render_sealed(request: web.Request, template: str, context: dict[str, Any]) -> web.Response:
    response = render(request, template, context)
    response.headers["Content-Security-Policy"] = SEALED_PAGE_POLICY
    return response

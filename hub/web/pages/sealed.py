"""The pages that seal and open envelopes in the browser (device set-up, send, a referral's
thread) load the crypto bundle, whose libsodium compiles WebAssembly: only these pages get
'wasm-unsafe-eval' in their Content-Security-Policy, still without inline script, eval or
any other origin."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .session import render

# hub/web/app.py CONTENT_SECURITY_POLICY with 'wasm-unsafe-eval' added to script-src only
SEALED_PAGE_POLICY = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
                      "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
                      "object-src 'none'; base-uri 'none'; form-action 'self'; "
                      "frame-ancestors 'none'")
DEVICE_ROLES = ("sender", "point_person", "backup")


def render_sealed(request: web.Request, template: str, context: dict[str, Any]) -> web.Response:
    response = render(request, template, context)
    response.headers["Content-Security-Policy"] = SEALED_PAGE_POLICY
    return response

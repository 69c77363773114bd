"""The JSON Schema of every kind of content that travels sealed (hub/api/contents.py):
discharge handoffs, replies, and each of the CCR's other referral types, each as its form
in referral_types.toml says (hub/api/forms.py), for every client: the SDK, the CLI and the
browser's send form build from it (docs/clients.md). The hub never reads content; it only says
what clients agree to write."""

from __future__ import annotations

from aiohttp import web

from hub.api.contents import json_schema
from hub.errors import NotFound

from .context import SETTINGS, services


def kinds(request: web.Request) -> list[str]:
    """Every kind of content this CCR's clients exchange."""
    codes = [t.code for t in services(request).ccr.referral_types]
    return [*codes, "reply"]


async def schema_list(request: web.Request) -> web.Response:
    base = request.app[SETTINGS].public_base_url.rstrip("/")
    return web.json_response({"kinds": {k: f"{base}/v1/schemas/{k}.json"
                                        for k in kinds(request)}})


async def schema(request: web.Request) -> web.Response:
    kind = request.match_info["kind"]
    if kind not in kinds(request):
        raise NotFound(f"no content kind '{kind}'; the kinds are "
                       f"{', '.join(kinds(request))} (see /v1/schemas)")
    found = services(request).ccr.referral_type(kind)
    doc = found.content_schema() if found is not None else json_schema(kind)
    doc["$id"] = f"{request.app[SETTINGS].public_base_url.rstrip('/')}/v1/schemas/{kind}.json"
    return web.json_response(doc, content_type="application/schema+json")

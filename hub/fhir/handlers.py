"""Task read, search and update: each authorised by the FHIR middleware, calling one
service method and answering a Task (or a searchset Bundle of them) made from the reader's
Sight."""

from __future__ import annotations

from aiohttp import web

from hub.web.context import SERVICES

from . import search as params
from .answers import answer, base, grant, resource
from .tasks import task
from .writes import change


async def read(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    seen = await services.referrals.read(grant(request).principal, request.match_info["id"])
    body = task(seen, services.ccr)
    return answer(body, ETag=f'W/"{seen.referral.generation}"')


async def search(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    q = params.query(request.query)
    page, more = await services.tasks.search(grant(request).principal, q)
    root = base(request)
    bundle: dict[str, object] = {"resourceType": "Bundle", "type": "searchset",
              "link": params.links(root, request.query, q, more),
              "entry": [{"fullUrl": f"{root}/Task/{seen.referral.id}",
                         "resource": task(seen, services.ccr), "search": {"mode": "match"}}
                        for seen in page]}
    if not more:
        bundle["total"] = q.offset + len(page)
    return answer(bundle)


async def update(request: web.Request) -> web.Response:
    """A status change written as the whole Task (PUT), as the IG's performer does it."""
    services = request.app[SERVICES]
    body = await resource(request, "Task")
    seen = await change(services, grant(request).principal, request.match_info["id"], body,
                        request.headers.get("If-Match"))
    return answer(task(seen, services.ccr), ETag=f'W/"{seen.referral.generation}"')



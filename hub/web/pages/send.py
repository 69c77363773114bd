"""/send: the form a sender writes a referral in. The page (web/src/pages/send-page.js)
checks it as the SDK's models do, seals it in the browser and submits only the sealed
envelope with its consent metadata; this handler only lists where the sender may send."""

from __future__ import annotations

from typing import get_args

from aiohttp import web

from hub.api.contents import Need, SafeChannel
from hub.models import ConsentMethod

from ..context import SERVICES, SETTINGS
from .sealed import render_sealed
from .session import session, signed_in

NEED_LABELS = {"medical-follow-up": "Medical follow-up", "protective-order": "Protective order",
               "language-access": "Language access"}
CHANNEL_LABELS = {"sms": "Text message (SMS)", "in-person": "In person",
                  "through-advocate": "Only through an advocate", "phone": "Phone call"}


def _options(values: tuple[str, ...], labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(v, labels.get(v, v.replace("-", " ").capitalize())) for v in values]


@signed_in("page.send")
async def form(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    destinations = services.worklist.destinations(session(request).principal)
    types = {t.code: t for d in destinations for t in d.types}
    return render_sealed(request, "send.html", {
        "destinations": destinations, "types": list(types.values()),
        "needs": _options(get_args(Need), NEED_LABELS),
        "channels": _options(get_args(SafeChannel), CHANNEL_LABELS),
        "methods": get_args(ConsentMethod),
        "schemas": {t.code: t.content_schema() for t in types.values()},
        "max_body": request.app[SETTINGS].max_body_bytes})

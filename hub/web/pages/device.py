"""/device: this browser as the signed-in person's device. Everything happens in the page
(web/src/pages/device-page.js): keys are made there and kept encrypted in IndexedDB; the
hub serves the page and, as ever, the public directory."""

from __future__ import annotations

from aiohttp import web

from hub.errors import Forbidden

from .sealed import DEVICE_ROLES, render_sealed
from .session import session, signed_in


@signed_in("page.device")
async def page(request: web.Request) -> web.Response:
    if not session(request).principal.has(*DEVICE_ROLES):
        raise Forbidden("devices are for people who send or receive referrals",
                        code="not_allowed")
    return render_sealed(request, "device.html", {})

"""/device: this browser as the signed-in person's device. Everything happens in the page
(web/src/pages/device-page.js): keys are made there and kept encrypted in IndexedDB; the
hub serves the page and, as ever, the public directory."""

from __future__ import annotations

from aiohttp import web

from hub.services.scope import require_device_role

from .sealed import render_sealed
from .session import session, signed_in


@signed_in("page.device")
async def page(request: web.Request) -> web.Response:
    require_device_role(session(request).principal)
    return render_sealed(request, "device.html", {})

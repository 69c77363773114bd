"""A synthetic EHR: the FHIR it sends a bridge (a transaction Bundle with a ServiceRequest,
Patient, Consent, the safe-contact QuestionnaireResponse and a C-CDA DocumentReference),
and a loopback FHIR server that takes the Task updates written back to it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.api import fhir
from hub.bridge import example

CANARY = "CANARY-7c1e9f"
CCDA = example.ccda(CANARY)


def handoff_bundle(now: float, **given: Any) -> dict[str, Any]:
    """The example handoff with the canary in the Patient's name, the C-CDA and the
    ServiceRequest's note."""
    return example.handoff_bundle(now, family=CANARY, note=f"Needs a bed tonight ({CANARY})",
                                  document=CCDA, **given)


class Ehr:
    """The EHR's FHIR server: keeps every Task written to it, in order, and every
    notification a hub's Subscription sent it."""

    def __init__(self) -> None:
        self.tasks: list[dict[str, Any]] = []
        self.notifications: list[tuple[dict[str, str], bytes]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_put("/fhir/Task/{id}", self._put_task)
        app.router.add_post("/hooks/tasks", self._notified)
        return app

    async def _put_task(self, request: web.Request) -> web.Response:
        self.tasks.append(fhir.checked(await request.json(), "Task"))
        return web.json_response(self.tasks[-1])

    async def _notified(self, request: web.Request) -> web.Response:
        self.notifications.append((dict(request.headers), await request.read()))
        return web.Response(status=200)

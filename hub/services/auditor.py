"""The Auditor writes audit events: who did what to which referral, and how it ended.
Never anything from inside an envelope, never a token. An event made while a request is
served carries the hub's id of that request and the id the client sent, if any
(hub/logs.py). Events go into the intake stream, in the same atomic step as their change or
on their own; the sealed log they are moved into is services/auditlog.py's."""

from __future__ import annotations

from hub.clock import Clock
from hub.logs import client_request_id_var, request_id_var
from hub.models import AuditEvent
from hub.store import Store

from .principal import ANONYMOUS, Principal


class Auditor:
    def __init__(self, *, store: Store, clock: Clock):
        self._store = store
        self._clock = clock

    def event(self, who: Principal | None, action: str, *, referral: str | None = None,
              outcome: str = "ok", request_id: str | None = None,
              subject: str | None = None) -> AuditEvent:
        serving = request_id_var.get()
        return AuditEvent(at=self._clock.now(), actor=who.person if who else ANONYMOUS,
                          agency=who.agency if who else None, action=action, referral=referral,
                          outcome=outcome,
                          request_id=request_id or (serving if serving != "-" else None),
                          client_request_id=client_request_id_var.get(), subject=subject)

    async def record(self, who: Principal | None, action: str, *, referral: str | None = None,
                     outcome: str = "ok", request_id: str | None = None) -> None:
        await self._store.audit.append(
            self.event(who, action, referral=referral, outcome=outcome, request_id=request_id))

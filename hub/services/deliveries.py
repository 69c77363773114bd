"""Delivery reports from the providers (the SMS gateway): authenticated by the provider's
signature (a bad one is refused and audited), matched to the notice by the provider's
message id, applied only when further along than the last one; a message the carrier could
not deliver sends the escalation on to the person's next channel. How each provider signs
and words its reports is its adapter's (hub/adapters, given here as receivers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hub.api.codes import Codes
from hub.clock import Clock
from hub.errors import NotFound, Unauthorized
from hub.reports import PROGRESS, UNDELIVERED, Received, Receiver
from hub.store import Store

from .auditor import Auditor


@dataclass
class DeliveryReports:
    store: Store
    clock: Clock
    auditor: Auditor
    receivers: Mapping[str, Receiver] = field(default_factory=dict)  # by route

    def receiver(self, route: str) -> Receiver:
        """The receiver of ``route``'s reports; 404 when this hub does not take them."""
        receiver = self.receivers[route]
        if not receiver.configured:
            raise NotFound(receiver.missing, code=Codes.REPORTS_NOT_CONFIGURED)
        return receiver

    async def check(self, route: str, received: Received) -> None:
        """Refuse (and audit) a report unless its provider's signature matches."""
        if not self.receiver(route).signed(received):
            await self.auditor.record(None, "notice.report", outcome="bad_signature")
            raise Unauthorized("the report's signature does not match: sign it with the "
                               "shared secret", code=Codes.BAD_SIGNATURE)

    async def apply(self, provider_id: str, status: str, error: str = "") -> str:
        """Apply a report to every notice the message carried (a digest carries several);
        the outcome for the first."""
        carried = [(nid, await self.store.notices.get(nid))
                   for nid in await self.store.notices.sent_as(provider_id)]
        found = [(nid, notice) for nid, notice in carried if notice is not None]
        if not found:
            raise NotFound("no notice was sent with that message id (reports are matched for "
                           "14 days after sending)", code=Codes.UNKNOWN_MESSAGE)
        outcomes = [await self.store.notices.apply_report(
            nid, status, progress=PROGRESS[status], undelivered=status in UNDELIVERED,
            now=self.clock.now(), error=error,
            audit=self.auditor.event(None, f"notice.report.{status}",
                                     referral=notice.referral)) for nid, notice in found]
        return outcomes[0]

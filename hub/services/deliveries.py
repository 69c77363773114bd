"""Delivery reports from the SMS gateway: matched to the notice by the gateway's message id,
applied only when further along than the last one, and a message the carrier could not
deliver sends the escalation on to the person's next channel."""

from __future__ import annotations

from dataclasses import dataclass

from hub.clock import Clock
from hub.errors import NotFound
from hub.notify.sms import PROGRESS, UNDELIVERED
from hub.store import Store

from .audit import Auditor


@dataclass
class DeliveryReports:
    store: Store
    clock: Clock
    auditor: Auditor

    async def apply(self, provider_id: str, status: str, error: str = "") -> str:
        nid = await self.store.notices.sent_as(provider_id)
        notice = await self.store.notices.get(nid) if nid else None
        if nid is None or notice is None:
            raise NotFound("no notice was sent with that message id (reports are matched for "
                           "14 days after sending)", code="unknown_message")
        return await self.store.notices.apply_report(
            nid, status, progress=PROGRESS[status], undelivered=status in UNDELIVERED,
            now=self.clock.now(), error=error,
            audit=self.auditor.event(None, f"notice.report.{status}",
                                     referral=notice["referral"]))

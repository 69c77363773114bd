"""Delivery reports from the SMS gateway: authenticated by the gateway's signature (a bad
one is refused and audited), matched to the notice by the gateway's message id, applied
only when further along than the last one; a message the carrier could not deliver sends
the escalation on to the person's next channel."""

from __future__ import annotations

from dataclasses import dataclass

from hub.adapters.sms import (
    PROGRESS,
    UNDELIVERED,
    verify_twilio_signature,
    verify_webhook_signature,
)
from hub.clock import Clock
from hub.errors import NotFound, Unauthorized
from hub.store import Store

from .audit import Auditor


@dataclass
class DeliveryReports:
    store: Store
    clock: Clock
    auditor: Auditor
    provider: str = "webhook"  # "webhook" or "twilio": which gateway's reports are taken
    secret: str | None = None  # what signs them (None: this hub takes no reports)

    def _secret_for(self, provider: str) -> str:
        if self.provider != provider or not self.secret:
            raise NotFound(f"this hub takes no delivery reports from a {provider} gateway: "
                           "set HUB_SMS_PROVIDER and its secret file",
                           code="reports_not_configured")
        return self.secret

    async def _refuse(self) -> None:
        await self.auditor.record(None, "notice.report", outcome="bad_signature")
        raise Unauthorized("the report's signature does not match: sign it with the shared "
                           "secret", code="bad_signature")

    async def check_webhook(self, body: bytes, signature: str) -> None:
        """Refuse (and audit) a generic gateway's report unless its HMAC-SHA256 matches."""
        if not verify_webhook_signature(self._secret_for("webhook"), body, signature):
            await self._refuse()

    async def check_twilio(self, url: str, form: dict[str, str], signature: str) -> None:
        """Refuse (and audit) a Twilio status callback unless its signature matches."""
        if not verify_twilio_signature(self._secret_for("twilio"), url, form, signature):
            await self._refuse()

    async def apply(self, provider_id: str, status: str, error: str = "") -> str:
        """Apply a report to every notice the message carried (a digest carries several);
        the outcome for the first."""
        found = [(nid, await self.store.notices.get(nid))
                 for nid in await self.store.notices.sent_as(provider_id)]
        found = [(nid, notice) for nid, notice in found if notice is not None]
        if not found:
            raise NotFound("no notice was sent with that message id (reports are matched for "
                           "14 days after sending)", code="unknown_message")
        outcomes = [await self.store.notices.apply_report(
            nid, status, progress=PROGRESS[status], undelivered=status in UNDELIVERED,
            now=self.clock.now(), error=error,
            audit=self.auditor.event(None, f"notice.report.{status}",
                                     referral=notice["referral"])) for nid, notice in found]
        return outcomes[0]

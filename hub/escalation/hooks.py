"""Sending the FHIR Subscriptions' rest-hook notifications the deliveries queue holds
(``hook-{nid}``), as notices are sent (delivery.py): retried with the same backoff until
the notification's send-by time, then dead-lettered; a dead letter puts its Subscription
in status 'error' ($status says why), and the subscriber catches up by searching."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from hub.adapters.base import PermanentSendError, TransientSendError
from hub.adapters.resthook import RestHook
from hub.api import fhir
from hub.clock import Clock
from hub.store import Store
from hub.store.subscriptions import HOOK

from .delivery import backoff

TOPIC = f"{fhir.BASE}/SubscriptionTopic/task-changes"


def notification(base: str, sid: str, event: int, rid: str, *, status: str = "active"
                 ) -> dict[str, Any]:
    """The R4 backport's id-only event notification: a history Bundle of the status
    Parameters and the changed Task's address (no resource)."""
    parameters = {"resourceType": "Parameters", "parameter": [
        {"name": "subscription", "valueReference": {"reference": f"Subscription/{sid}"}},
        {"name": "topic", "valueCanonical": TOPIC},
        {"name": "status", "valueCode": status},
        {"name": "type", "valueCode": "event-notification"},
        {"name": "events-since-subscription-start", "valueString": str(event)},
        {"name": "notification-event", "part": [
            {"name": "event-number", "valueString": str(event)},
            {"name": "focus", "valueReference": {"reference": f"Task/{rid}"}}]}]}
    return {"resourceType": "Bundle", "type": "history", "entry": [
        {"fullUrl": f"urn:uuid:{sid}-{event}", "resource": parameters,
         "request": {"method": "GET", "url": f"Subscription/{sid}/$status"},
         "response": {"status": "200"}},
        {"fullUrl": f"{base}/Task/{rid}", "request": {"method": "PUT", "url": f"Task/{rid}"},
         "response": {"status": "200"}}]}


@dataclass
class HookDelivery:
    store: Store
    clock: Clock
    poster: RestHook
    secrets: Mapping[str, bytes]  # client id -> its webhook secret (the operator's config)
    base_url: str
    rand: random.Random = random.Random()  # noqa: B008 - jitter only, never security

    async def deliver(self, member: str) -> str:
        nid, queue = member.removeprefix(HOOK), self.store.keys.deliveries()
        hook = await self.store.subscriptions.hook(nid)
        sub = await self.store.subscriptions.get(hook["subscription"]) if hook else None
        if hook is None or sub is None or hook.get("status") in ("sent", "dead"):
            await self.store.timers.release(queue, member)
            return "done"
        secret = self.secrets.get(sub["client"])
        if secret is None:
            return await self._dead(member, hook, "no webhook secret for this client")
        body = orjson.dumps(fhir.checked(notification(
            f"{self.base_url.rstrip('/')}/fhir/R4", hook["subscription"], int(hook["event"]),
            hook["task"])))
        attempts = int(hook.get("attempts", "0")) + 1
        try:
            await self.poster.post(sub["endpoint"], body, secret=secret,
                                   timestamp=str(int(self.clock.now())))
        except PermanentSendError as e:
            return await self._dead(member, hook, f"refused: {e}")
        except TransientSendError as e:
            retry_at = self.clock.now() + max(backoff(attempts, self.rand),
                                              e.retry_after or 0.0)
            if retry_at >= float(hook["send_by"]):
                return await self._dead(member, hook, f"gave up: {e}")
            await self.store.subscriptions.update_hook(nid, {"attempts": str(attempts),
                                                             "last_error": str(e)[:200]})
            await self.store.timers.requeue(queue, member, retry_at)
            return "retry"
        await self.store.subscriptions.update_hook(nid, {"status": "sent",
                                                         "attempts": str(attempts)})
        await self.store.subscriptions.mark(hook["subscription"], {"status": "active",
                                                                   "error": ""})
        await self.store.timers.release(queue, member)
        return "sent"

    async def _dead(self, member: str, hook: dict[str, str], why: str) -> str:
        await self.store.subscriptions.update_hook(member.removeprefix(HOOK), {
            "status": "dead", "last_error": why[:200]})
        await self.store.subscriptions.mark(hook["subscription"], {"status": "error",
                                                                   "error": why[:200]})
        await self.store.timers.release(self.store.keys.deliveries(), member)
        return "dead"

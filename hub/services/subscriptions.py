"""FHIR Subscriptions (the R4 backport): an agency's system subscribes to changes of the
Tasks it may see, filtered by owner, requester and status, and is told by rest-hook, id
only. Each change is judged by the subscriber's own view (flowback.py): a Task whose view
did not change for it (a sender kept from the status) sends it nothing, so a notification
tells no more than a search would.

A notification is queued after the change it tells of has been written, in the notice
deliveries queue (hub/escalation/hooks.py sends it). It is not in the change's atomic
step: a process that stops between the two loses the notification, which the subscriber
sees as a gap in events-since-subscription-start (docs/fhir.md: search to catch up)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from hub.api import fhir
from hub.api.codes import Codes
from hub.clock import Clock
from hub.errors import BadRequest, Forbidden, NotFound
from hub.models import Referral
from hub.routing.ccr import Ccr
from hub.store import REDIS_ERRORS, Store

from .principal import Principal
from .referrals import ReferralService

log = logging.getLogger(__name__)
TOPIC = f"{fhir.BASE}/SubscriptionTopic/task-changes"
BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition"
FILTER = f"{BACKPORT}/backport-filter-criteria"
PAYLOAD = f"{BACKPORT}/backport-payload-content"
FILTERS = ("owner", "requester", "status")
SEND_FOR = 24 * 3600.0  # seconds a notification is retried before it is dead-lettered


@dataclass(frozen=True)
class Criteria:
    owner: str | None = None
    requester: str | None = None
    statuses: frozenset[str] | None = None

    def matches(self, r: Referral) -> bool:
        return ((self.owner is None or r.destination == self.owner)
                and (self.requester is None or r.sender_agency == self.requester)
                and (self.statuses is None or fhir.TASK_STATUS[r.status] in self.statuses))


def criteria(text: str) -> Criteria:
    """'Task?owner=Organization/x&status=a,b' as the filter criteria extension writes it."""
    from urllib.parse import parse_qsl

    if not text.startswith("Task?"):
        raise BadRequest("the filter criteria start 'Task?', e.g. "
                         "Task?owner=Organization/harbor-house&status=completed",
                         code=Codes.NOT_FHIR)
    found: dict[str, Any] = {}
    for name, value in parse_qsl(text[5:], keep_blank_values=True):
        if name not in FILTERS:
            raise BadRequest(f"a Task subscription filters by {', '.join(FILTERS)}; not "
                             f"{name}", code=Codes.NOT_FHIR)
        if name == "status":
            found["statuses"] = frozenset(value.split(","))
            if not found["statuses"] <= set(fhir.TASK_STATUSES):
                raise BadRequest(f"unknown status in '{value}'", code=Codes.NOT_FHIR)
        else:
            found[name] = value.removeprefix("Organization/")
    return Criteria(**found)


def _extension(element: dict[str, Any], url: str) -> Any:
    for ext in element.get("extension") or ():
        if ext.get("url") == url:
            return next((v for k, v in ext.items() if k.startswith("value")), None)
    return None


class SubscriptionService:
    def __init__(self, *, store: Store, clock: Clock, ccr: Ccr, referrals: ReferralService,
                 clients_with_secrets: frozenset[str], dev: bool):
        self._store = store
        self._clock = clock
        self._ccr = ccr
        self._referrals = referrals
        self._clients = clients_with_secrets  # SMART clients the operator gave a secret
        self._dev = dev  # plain http endpoints allowed (dev mode)

    async def create(self, who: Principal, client: str, body: dict[str, Any]) -> dict[str, Any]:
        if client not in self._clients:
            raise Forbidden("only a SMART client the operator registered with a webhook "
                            "secret may subscribe (docs/fhir.md)", code=Codes.BAD_SCOPE)
        if body.get("criteria") != TOPIC:
            raise BadRequest(f"criteria must be the topic {TOPIC}", code=Codes.NOT_FHIR)
        channel = body.get("channel") or {}
        endpoint = channel.get("endpoint") or ""
        if channel.get("type") != "rest-hook" or not endpoint.startswith(
                ("https://", "http://") if self._dev else "https://"):
            raise BadRequest("channel must be a rest-hook to an https endpoint",
                             code=Codes.NOT_FHIR)
        if _extension(channel.get("_payload") or {}, PAYLOAD) not in (None, "id-only"):
            raise BadRequest("the payload is id-only: the hub sends no resource content",
                             code=Codes.NOT_FHIR)
        text = _extension(body.get("_criteria") or {}, FILTER) or "Task?"
        criteria(text)  # refuse bad filters before storing anything
        sid = secrets.token_hex(16)
        await self._store.subscriptions.put(sid, who.agency, {
            "client": client, "person": who.person, "agency": who.agency,
            "endpoint": endpoint, "filter": text, "status": "active", "events": "0",
            "created_at": str(self._clock.now()), "error": ""})
        return await self.read(who, sid)

    async def _mine(self, who: Principal, sid: str) -> dict[str, str]:
        found = await self._store.subscriptions.get(sid)
        if found is None or found["agency"] != who.agency:
            raise NotFound(f"no Subscription {sid} of your agency")
        return found

    async def read(self, who: Principal, sid: str) -> dict[str, Any]:
        s = await self._mine(who, sid)
        status = "active" if s["status"] == "active" else "error"
        resource: dict[str, Any] = {
            "resourceType": "Subscription", "id": sid, "status": status,
            "reason": "Task changes for an EHR integration", "criteria": TOPIC,
            "_criteria": {"extension": [{"url": FILTER, "valueString": s["filter"]}]},
            "channel": {"type": "rest-hook", "endpoint": s["endpoint"],
                        "payload": fhir.FHIR_JSON,
                        "_payload": {"extension": [{"url": PAYLOAD, "valueCode": "id-only"}]}}}
        if s.get("error"):
            resource["error"] = s["error"]
        return resource

    async def delete(self, who: Principal, sid: str) -> None:
        await self._mine(who, sid)
        await self._store.subscriptions.delete(sid, who.agency)

    async def status(self, who: Principal, sid: str) -> dict[str, Any]:
        """The backport's $status: a SubscriptionStatus as Parameters."""
        s = await self._mine(who, sid)
        return {"resourceType": "Parameters", "parameter": [
            {"name": "subscription", "valueReference": {"reference": f"Subscription/{sid}"}},
            {"name": "topic", "valueCanonical": TOPIC},
            {"name": "status", "valueCode": "active" if s["status"] == "active" else "error"},
            {"name": "type", "valueCode": "query-status"},
            {"name": "events-since-subscription-start", "valueString": s.get("events", "0")},
            *([{"name": "error", "valueCodeableConcept": {"text": s["error"]}}]
              if s.get("error") else [])]}

    async def changed(self, referral: Referral) -> None:
        """Queue a notification for each Subscription whose subscriber's view of
        ``referral`` changed now and matches its filter. Never fails the change it follows:
        a failure is logged (ids only) and seen by the subscriber as a gap. A drill's
        referral notifies no system: a drill reaches only the people its scenario names."""
        if referral.drill:
            return
        try:
            await self._changed(referral)
        except REDIS_ERRORS as e:
            log.warning("could not queue Subscription notifications for %s (%s)", referral.id,
                        type(e).__name__)

    async def _changed(self, referral: Referral) -> None:
        now = self._clock.now()
        subs = await self._store.subscriptions.of_agencies(
            (referral.sender_agency, referral.destination))
        for sid, s in subs:
            who = Principal(s["person"], s["agency"], self._roles(s["person"]), "")
            seen = await self._referrals.sight(who, referral)
            if seen.referral.changed_at != referral.changed_at:
                continue  # the subscriber's view did not change: nothing to tell
            if not criteria(s["filter"]).matches(seen.referral):
                continue
            await self._store.subscriptions.notify(sid, secrets.token_hex(16), {
                "subscription": sid, "task": referral.id, "status": "queued",
                "attempts": "0", "send_by": str(now + SEND_FOR)}, now)

    def _roles(self, person: str) -> frozenset[str]:
        found = self._ccr.find_person(person)
        return frozenset(found.roles) if found else frozenset()

"""Web push subscriptions: a person turns push notices on for one of their devices (a
browser, a phone's included) from the device page, and off again. A subscription is kept per
person and device, only for a current device of theirs in their agency's signed roster; it
goes when the device leaves the roster (DirectoryService.publish prunes them) or when a push
service says it is gone (404 or 410: the push adapter drops it, through this book)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hub.api.codes import Codes
from hub.api.schemas import PushSettings, PushSubscription
from hub.clock import Clock
from hub.errors import BadRequest, NotFound
from hub.store import Store

from .auditor import Auditor
from .directory import DirectoryService
from .principal import Principal

DEVICE = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class PushService:
    store: Store
    clock: Clock
    directory: DirectoryService
    auditor: Auditor
    public_key: str | None  # the VAPID public key browsers subscribe with (None: no push)

    async def settings(self, who: Principal, device: str) -> PushSettings:
        await self._own_device(who, device)
        return PushSettings(public_key=self.public_key,
                            subscribed=device in await self.store.push.of(who.person))

    async def subscribe(self, who: Principal, device: str, subscription: PushSubscription
                        ) -> bool:
        """Keep the device's subscription (replacing its last); True when it is new."""
        if self.public_key is None:
            raise NotFound("this hub sends no web push: its operator sets "
                           "HUB_VAPID_PRIVATE_KEY_FILE", code=Codes.PUSH_NOT_CONFIGURED)
        await self._own_device(who, device)
        created = await self.store.push.put(who.person, device,
                                            subscription.model_dump(exclude_none=True))
        await self.auditor.record(who, "push.subscribe")
        return created

    async def unsubscribe(self, who: Principal, device: str) -> bool:
        if not DEVICE.match(device):
            raise BadRequest("a device id is 32 hex digits", code=Codes.BAD_REQUEST)
        removed = await self.store.push.remove(who.person, device)
        await self.auditor.record(who, "push.unsubscribe",
                                  outcome="ok" if removed else "not_found")
        return removed

    async def of(self, person: str) -> dict[str, dict[str, Any]]:
        """The SubscriptionBook the push adapter sends through."""
        return await self.store.push.of(person)

    async def drop(self, person: str, device: str) -> None:
        if await self.store.push.remove(person, device):
            await self.auditor.record(None, "push.dropped", outcome="gone")

    async def _own_device(self, who: Principal, device: str) -> None:
        if not DEVICE.match(device):
            raise BadRequest("a device id is 32 hex digits", code=Codes.BAD_REQUEST)
        roster = await self.directory.verified_roster(who.agency)
        cert = roster.devices.get(bytes.fromhex(device)) if roster else None
        if roster is None or cert is None or cert.person != who.person or \
                not roster.current_device(cert, int(self.clock.now())):
            raise NotFound(f"no current device {device} of yours is in your agency's roster; "
                           "ask your agency admin to add it", code=Codes.NOT_YOUR_DEVICE)

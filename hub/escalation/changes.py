"""What the engine changes of a Task (a rung fired: its escalation level; consent ran out:
its status; content purged: its lastModified) is told like the lifecycle's changes, to
the FHIR Subscriptions (services/subscriptions.py), with the referral as it is now."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hub.models import Referral
from hub.store import Store

Changed = Callable[[Referral], Awaitable[None]]


async def tell(store: Store, changed: Changed | None, rid: str) -> None:
    """``changed`` told of ``rid`` as stored now (nothing when it is gone)."""
    if changed is None:
        return
    fresh = await store.referrals.get(rid)
    if fresh is not None:
        await changed(fresh)

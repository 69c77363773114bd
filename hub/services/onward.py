"""Onward referrals: an agency that received a referral forwards the survivor's case to the
next agency. The new referral names its parent; this module holds what the hub checks of
that name and who learns of an onward referral afterwards.

- Only the parent's receiving agency may forward it, and only while the survivor's consent
  for it stands. A parent that does not exist and one of another agency are refused alike,
  so the refusal reveals nothing (docs/api.md, ``unknown_parent``).
- The consent for the new agency is checked as for every referral (services/consent.py).
- The forwarding agency sees its onward referrals with their status, as its own outbox.
- The parent's sender learns that an onward referral was made (to whom, which type, when),
  and only where the parent's agreement lets status flow back (flowback.py): otherwise the
  answer is the same empty list as for a referral never forwarded.
- Coordinators and the onward referral's receiver do not see the link: they are not party
  to the parent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.api.codes import Codes
from hub.errors import Gone, Unprocessable
from hub.models import Referral
from hub.store import Store

from .directory import DirectoryService
from .flowback import CONSENT_ENDED, Reach, Sight, reach
from .principal import Principal

if TYPE_CHECKING:
    from .referrals import ReferralService


async def check_parent(store: Store, who: Principal, parent: str, now: float) -> Referral:
    """The parent an onward referral names, when ``who``'s agency may forward it."""
    found = await store.referrals.get(parent)
    if found is None or found.destination != who.agency:
        raise Unprocessable(f"referral {parent} is not one your agency received; an onward "
                            "referral names the referral it forwards", code=Codes.UNKNOWN_PARENT)
    if found.status in CONSENT_ENDED or now >= found.consent.expires_at:
        raise Gone(f"the survivor's consent for referral {parent} has ended, so its record "
                   "cannot go onward", code=Codes.PARENT_CONSENT_ENDED)
    return found


class OnwardService:
    def __init__(self, *, store: Store, directory: DirectoryService,
                 referrals: ReferralService):
        self._store = store
        self._directory = directory
        self._referrals = referrals

    async def onward(self, who: Principal, rid: str) -> list[Onward]:
        """The onward referrals made from ``rid`` that ``who`` may know of: with their
        Sight for the agency that made them, without (only their routing is shown) for the
        parent's sender where status flows back, none for anyone else."""
        parent = await self._referrals.get(who, rid)
        if who.is_coordinator:
            return []
        if who.agency == parent.sender_agency and \
                reach(who, parent, self._directory.ccr) is Reach.OWN:
            return []
        children = await self._store.referrals.get_many(await self._store.referrals.onward(rid))
        if who.agency == parent.destination:
            seen = await self._referrals.sights(who, children)
            return [Onward(c, s) for c, s in zip(children, seen, strict=True)]
        return [Onward(c, None) for c in children]


@dataclass(frozen=True)
class Onward:
    referral: Referral  # only its routing is ever shown without a sight
    sight: Sight | None

"""Flood control: when many referrals stall together for one person, they get one digest,
not dozens of messages. Each person (per channel) and each agency has a sliding window of
notices sent; a notice that finds its window full is held in the person's digest, which
goes out as one message as soon as the window has room again. The first notice of an
urgent or emergent referral is never held: it takes its slot past the person's limit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from hub.models import Referral
from hub.routing.ccr import Ccr
from hub.store import Store
from hub.store.outbox import NoticeRecord

UNLIMITED = 2**31  # a window no count reaches


@dataclass(frozen=True)
class FloodLimits:
    person: int = 3  # notices to one person on one channel per window
    agency: int = 20  # notices to one agency's people per window
    window: float = 600.0  # seconds


def digest_id(notice: NoticeRecord) -> str:
    """A person's digest on one channel (the same id for every notice held for them)."""
    return hashlib.sha256(f"{notice.person}|{notice.channel}".encode()).hexdigest()[:32]


def pressing(referral: Referral, notice: NoticeRecord) -> bool:
    """The first notice of an urgent or emergent referral: never held for a digest."""
    return referral.urgency != "routine" and notice.timer == "ack" and notice.level == 1


def digest_meta(notice: NoticeRecord) -> dict[str, str]:
    return {"person": notice.person, "channel": notice.channel, "to": notice.to}


@dataclass
class Flood:
    store: Store
    ccr: Ccr
    limits: FloodLimits = FloodLimits()

    def _agency(self, notice: NoticeRecord) -> str:
        person = self.ccr.find_person(notice.person)
        return person.agency if person else notice.agency

    async def take(self, member: str, notice: NoticeRecord, now: float, *,
                   pressing: bool = False) -> float:
        """0 when ``member`` may be sent to the notice's person now; else when it may. A
        ``pressing`` notice is sent now whatever the windows hold, and counts in them."""
        return await self.store.flood.take(
            member, person=notice.person, channel=notice.channel,
            agency=self._agency(notice), now=now, window=self.limits.window,
            person_limit=UNLIMITED if pressing else self.limits.person,
            agency_limit=UNLIMITED if pressing else self.limits.agency)

    async def give_back(self, member: str, notice: NoticeRecord) -> None:
        """A send that failed does not count against the person's window."""
        await self.store.flood.give_back(member, person=notice.person,
                                         channel=notice.channel, agency=self._agency(notice))

"""The figures each change adds to: counted in the same atomic step as the change, per
receiving agency and UTC day of submission (a cohort: of the referrals an agency received
that day, how many were acknowledged, in time, closed, declined and why), plus how many
each agency has open now. Pure arithmetic over the referral; the Lua scripts apply it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from hub.models import OPEN_STATUSES, Referral, Status

from .codec import packed

RECEIVED, ACKED, IN_TIME, CLOSED, COMPLETED = ("received", "acked", "acked_in_time", "closed",
                                               "completed")
DECLINED = "declined:"  # + the reason code
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def day_of(at: float) -> str:
    return _day(int(at // 86400))


@lru_cache(maxsize=64)
def _day(days_since_epoch: int) -> str:
    return (EPOCH + timedelta(days=days_since_epoch)).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Tally:
    agency: str
    day: str
    counts: dict[str, int] = field(default_factory=dict)
    ack_seconds: float | None = None
    open: int = 0

    def to_json(self) -> bytes:
        doc: dict[str, object] = {"agency": self.agency, "counts": self.counts,
                                  "open": self.open}
        if self.ack_seconds is not None:
            doc["ack"] = f"{self.ack_seconds:.3f}"
        return packed(doc)


def on_create(referral: Referral) -> Tally:
    if referral.drill:
        return Tally(referral.destination, day_of(referral.submitted_at))  # never counted
    return Tally(referral.destination, day_of(referral.submitted_at), {RECEIVED: 1}, open=1)


def on_change(referral: Referral, to: Status | None, now: float,
              reason: str | None = None) -> Tally:
    """What moving ``referral`` to ``to`` (None: it keeps its status) adds: nothing for
    a drill's."""
    if referral.drill:
        return Tally(referral.destination, day_of(referral.submitted_at))
    counts: dict[str, int] = {}
    ack = None
    if to is Status.RECEIVED:
        ack = max(0.0, now - referral.submitted_at)
        counts[ACKED] = 1
        if referral.ack_due_at is None or now <= referral.ack_due_at:
            counts[IN_TIME] = 1
    if to in (Status.COMPLETED, Status.REJECTED):
        counts[CLOSED] = 1
    if to is Status.COMPLETED:
        counts[COMPLETED] = 1
    if to is Status.REJECTED:
        counts[DECLINED + (reason or "other")] = 1
    closes = to is not None and referral.status in OPEN_STATUSES and to not in OPEN_STATUSES
    return Tally(referral.destination, day_of(referral.submitted_at), counts, ack,
                 open=-1 if closes else 0)

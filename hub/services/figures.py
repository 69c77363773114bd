"""Figures per receiving agency over a period, for the team meeting: referrals received,
median and 90th-percentile time to acknowledge, the share acknowledged within the deadline,
the share with the loop closed (completed, or declined with a reason), decline reasons, how
many are open now, and milestones met in time and missed per referral type. Aggregates only,
counted per day as each change happened (store/tallies.py): nothing here is about one
survivor."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from pydantic import Field, model_validator

from hub.api.codes import Codes
from hub.clock import Clock
from hub.errors import Unprocessable
from hub.models import Frozen
from hub.routing.ccr import Ccr
from hub.store import Store
from hub.store.milestones import MET, MISSED
from hub.store.tallies import ACKED, CLOSED, DECLINED, IN_TIME, RECEIVED, day_of

from .principal import Principal
from .scope import figure_scope, in_scope

MAX_DAYS = 366


class Period(Frozen):
    """The days counted: the last ``days`` days up to today, or ``start``..``end``."""

    days: int = Field(30, ge=1, le=MAX_DAYS)
    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> Period:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both 'start' and 'end', or neither")
        return self

    def dates(self, today: date) -> list[str]:
        start, end = self.start, self.end
        if start is None or end is None:
            start, end = today - timedelta(days=self.days - 1), today
        if end < start:
            raise Unprocessable("the period ends before it starts", code=Codes.BAD_PERIOD)
        if (end - start).days >= MAX_DAYS:
            raise Unprocessable(f"a period is at most {MAX_DAYS} days", code=Codes.BAD_PERIOD)
        return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


@dataclass(frozen=True)
class AgencyFigures:
    agency: str
    name: str
    received: int
    acknowledged: int
    ack_median_s: float | None
    ack_p90_s: float | None
    in_time: float | None  # shares of those received, 0..1
    loop_closed: float | None
    declined: dict[str, int]
    open_now: int
    milestones: dict[str, tuple[int, int]] = field(default_factory=dict)  # type: met, missed


@dataclass(frozen=True)
class Figures:
    first_day: str
    last_day: str
    agencies: list[AgencyFigures]


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return None
    return values[max(0, math.ceil(p * len(values)) - 1)]


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


class FiguresService:
    def __init__(self, *, store: Store, clock: Clock, ccr: Ccr):
        self._store = store
        self._clock = clock
        self._ccr = ccr

    async def figures(self, who: Principal, period: Period) -> Figures:
        scope = figure_scope(who)
        days = period.dates(date.fromisoformat(day_of(self._clock.now())))
        agencies = [a for a in self._ccr.agencies if in_scope(scope, a.id)]
        by_day = await self._store.oversight.figures([a.id for a in agencies], days)
        open_now = await self._store.oversight.open_counts()
        return Figures(days[0], days[-1], [
            self._one(a.id, a.name, by_day[a.id], open_now.get(a.id, 0)) for a in agencies])

    @staticmethod
    def _one(agency: str, name: str, days, open_now: int) -> AgencyFigures:
        counts: dict[str, int] = {}
        times: list[float] = []
        for day in days:
            for counter, n in day.counts.items():
                counts[counter] = counts.get(counter, 0) + n
            times += day.ack_seconds
        times.sort()
        received = counts.get(RECEIVED, 0)
        declined = {f.removeprefix(DECLINED): n for f, n in sorted(counts.items())
                    if f.startswith(DECLINED) and n}
        return AgencyFigures(agency, name, received, counts.get(ACKED, 0),
                             percentile(times, 0.5), percentile(times, 0.9),
                             share(counts.get(IN_TIME, 0), received),
                             share(counts.get(CLOSED, 0), received), declined, open_now,
                             milestones_of(counts))


def milestones_of(counts: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Milestones met in time and missed, per referral type, from a period's counters."""
    types = sorted({f.partition(":")[2] for f in counts if f.startswith((MET, MISSED))})
    return {t: (counts.get(MET + t, 0), counts.get(MISSED + t, 0)) for t in types}


CSV_COLUMNS = ("agency", "first_day", "last_day", "received", "acknowledged",
               "ack_median_hours", "ack_p90_hours", "acknowledged_in_time_pct",
               "loop_closed_pct", "declined", "open_now", "milestones_met",
               "milestones_missed")


def to_csv(figures: Figures) -> str:
    """The same aggregates as the page, one row per agency (nothing per referral)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for a in figures.agencies:
        writer.writerow([a.agency, figures.first_day, figures.last_day, a.received,
                         a.acknowledged, _hours(a.ack_median_s), _hours(a.ack_p90_s),
                         _pct(a.in_time), _pct(a.loop_closed),
                         "; ".join(f"{k}={v}" for k, v in a.declined.items()), a.open_now,
                         "; ".join(f"{t}={met}" for t, (met, _) in a.milestones.items()),
                         "; ".join(f"{t}={missed}" for t, (_, missed) in
                                   a.milestones.items())])
    return out.getvalue()


def _hours(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"

"""Who is on duty at a moment, and when no one is: pure arithmetic over a schedule
(schedules.py), the overrides and away periods in force, and the agency's calendar.

Layers are read on the agency's wall clock, so a turn handed over at 08:00 is handed over
at 08:00 local on both sides of a daylight-saving change (a turn that meets a change is an
hour shorter or longer), and a holiday is the agency's local date. At a moment:

- the point person is the first of: overrides for that duty (latest first), then each
  ``point_person`` layer's person on turn (later layers first);
- the backups are the other point person candidates, then the ``backup`` overrides and
  layers in the same order;
- someone away is never on duty, nor is someone who left the agency (offboarded: their
  turns on a layer stay theirs, uncovered, until schedules.toml changes), and (when the
  group's signed roster is known) nor is someone with no current device in the group:
  they could not open the referral.

A gap is a stretch where no one at all is on duty."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .schedules import Layer, Period, Schedule, clock

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Span:
    """A dated override or away period, in epoch seconds (``duty`` '' for away)."""

    id: str
    person: str
    start: float
    end: float
    duty: str = ""

    def covers(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class OnDuty:
    point_person: str | None
    backups: tuple[str, ...]

    @property
    def nobody(self) -> bool:
        return self.point_person is None and not self.backups

    def of(self, notify: str) -> tuple[str, ...]:
        """The people a rung notifying ``notify`` (point_person or backups) reaches."""
        if notify == "point_person":
            return (self.point_person,) if self.point_person else ()
        return self.backups


def instant(moment: datetime, zone: ZoneInfo) -> float:
    """A config's date and time as epoch seconds (a naive one is the agency's local time)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).timestamp()


def span(entry_id: str, period: Period, zone: ZoneInfo, duty: str = "") -> Span:
    return Span(entry_id, period.person, instant(period.from_, zone),
                instant(period.until, zone), duty)


class LayerClock:
    """One layer on its agency's wall clock."""

    def __init__(self, layer: Layer, holidays: frozenset[date]):
        self.layer = layer
        self._holidays = holidays
        self._from = clock(layer.from_)
        self._until = clock(layer.until)
        self._overnight = layer.until != "24:00" and layer.until <= layer.from_
        self._turn = timedelta(days=layer.turn_days)

    def _works(self, day: date) -> bool:
        if day.weekday() not in self.layer.days:
            return False
        holiday = day in self._holidays
        mode = self.layer.holidays
        return not holiday if mode == "off" else holiday if mode == "only" else True

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The local stretch the layer covers from ``day``'s start time."""
        start = datetime.combine(day, self._from)
        end = datetime.combine(day + DAY if self._overnight or self.layer.until == "24:00"
                               else day, self._until)
        return start, end

    def covers(self, local: datetime) -> bool:
        for day in (local.date(), local.date() - DAY):
            start, end = self.window(day)
            if start <= local < end and self._works(day):
                return True
        return False

    def person(self, local: datetime) -> str | None:
        """Whose turn it is at the wall-clock ``local`` (None: the layer is off then)."""
        if not self.covers(local):
            return None
        turns = (local - self.layer.starts) // self._turn
        return self.layer.people[turns % len(self.layer.people)]

    def edges(self, day: date) -> Iterable[datetime]:
        """The wall-clock moments of ``day`` at which this layer may change hands."""
        start, end = self.window(day)
        handoff = datetime.combine(day, self.layer.starts.time())
        return (start, end, handoff, datetime.combine(day, datetime.min.time()))


class Coverage:
    """Who is on duty for one schedule, with the overrides and away periods in force."""

    def __init__(self, schedule: Schedule, timezone: str, holidays: Iterable[date],
                 overrides: Sequence[Span] = (), away: Sequence[Span] = (),
                 eligible: frozenset[str] | None = None, left: frozenset[str] = frozenset()):
        self.schedule = schedule
        self.zone = ZoneInfo(timezone)
        days = frozenset(holidays)
        self._layers = [LayerClock(layer, days) for layer in reversed(schedule.layer)]
        self._overrides = sorted(overrides, key=lambda s: s.start, reverse=True)
        self._away = list(away)
        self._eligible = eligible
        self._left = left

    def local(self, t: float) -> datetime:
        return datetime.fromtimestamp(t, self.zone).replace(tzinfo=None)

    def at(self, t: float) -> OnDuty:
        local = self.local(t)
        away = {s.person for s in self._away if s.covers(t)} | self._left
        points: list[str | None] = []
        backups: list[str | None] = []
        for duty, found in (("point_person", points), ("backup", backups)):
            found += [s.person for s in self._overrides if s.duty == duty and s.covers(t)]
            found += [c.person(local) for c in self._layers
                      if c.layer.duty == duty]
        ready = [p for p in dict.fromkeys(points + backups) if p and p not in away
                 and (self._eligible is None or p in self._eligible)]
        lead = next((p for p in ready if p in points), None)
        return OnDuty(lead, tuple(p for p in ready if p != lead))

    def edges(self, start: float, end: float) -> list[float]:
        """Every moment in [start, end) at which who is on duty may change."""
        found = {start}
        day = self.local(start).date() - DAY
        last = self.local(end).date() + DAY
        while day <= last:
            for layer in self._layers:
                for moment in layer.edges(day):
                    found.add(instant(moment, self.zone))
                    found.add(moment.replace(tzinfo=self.zone, fold=1).timestamp())
            found.update(self._shifts(day))
            day += DAY
        for s in (*self._overrides, *self._away):
            found.update((s.start, s.end))
        return sorted(t for t in found if start <= t < end)

    def _shifts(self, day: date) -> list[float]:
        """The moment the clocks change on ``day`` (a wall time skipped by a change takes
        effect then), found to the second."""
        first = instant(datetime.combine(day, datetime.min.time()), self.zone)
        offset = datetime.fromtimestamp(first, self.zone).utcoffset()
        lo, hi = first, first + 26 * 3600
        if datetime.fromtimestamp(hi, self.zone).utcoffset() == offset:
            return []
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, self.zone).utcoffset() == offset:
                lo = mid
            else:
                hi = mid
        return [float(hi)]

    def gaps(self, start: float, end: float) -> list[tuple[float, float]]:
        """The stretches within [start, end) where no one is on duty, merged."""
        edges = self.edges(start, end)
        out: list[tuple[float, float]] = []
        for i, t in enumerate(edges):
            if not self.at(t).nobody:
                continue
            until = edges[i + 1] if i + 1 < len(edges) else end
            if out and out[-1][1] == t:
                out[-1] = (out[-1][0], until)
            else:
                out.append((t, until))
        return out

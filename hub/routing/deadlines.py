"""Deadline arithmetic: "2h" is wall-clock time; "4 business hours" and "2 business days"
count only the receiving agency's open hours, in its own time zone, skipping its holidays,
across daylight-saving changes.

A business day lands at the same local time on the Nth next open day (clamped to closing);
asked outside open hours, counting starts at the next opening."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .ccr import Agency, Ccr
from .durations import Duration

PLAIN_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}
HORIZON_DAYS = 800  # far beyond any policy; a calendar with no open day fails loudly


def _clock(text: str) -> tuple[time, int]:
    """A wall-clock time and the days to add ('24:00' is midnight of the next day)."""
    if text == "24:00":
        return time(0, 0), 1
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes)), 0


class BusinessCalendar:
    """One agency's open hours as UTC windows."""

    def __init__(self, agency: Agency):
        self._zone = ZoneInfo(agency.timezone)
        self._days = frozenset(agency.business_hours.days)
        self._holidays = frozenset(agency.holidays)
        self._open = _clock(agency.business_hours.start)
        self._close = _clock(agency.business_hours.end)

    def _at(self, day: date, clock: tuple[time, int]) -> int:
        moment = datetime.combine(day + timedelta(days=clock[1]), clock[0], self._zone)
        return int(moment.timestamp())

    def windows(self, after: int) -> Iterator[tuple[int, int]]:
        """Open windows (start, end) in time order, the first one ending after ``after``."""
        day = datetime.fromtimestamp(after, self._zone).date() - timedelta(days=1)
        for _ in range(HORIZON_DAYS):
            if day.weekday() in self._days and day not in self._holidays:
                start, end = self._at(day, self._open), self._at(day, self._close)
                if end > after:
                    yield start, end
            day += timedelta(days=1)
        raise ValueError("this agency has no business hours within the horizon")

    def add_hours(self, start: int, seconds: int) -> int:
        for opens, closes in self.windows(start):
            begin = max(opens, start)
            if seconds <= closes - begin:
                return begin + seconds
            seconds -= closes - begin
        raise AssertionError("unreachable")  # pragma: no cover - windows() raises first

    def add_days(self, start: int, days: int) -> int:
        windows = self.windows(start)
        first, _ = next(windows)
        if not days:
            return max(first, start)
        for _ in range(days):
            opens, closes = next(windows)
        if start <= first:  # asked outside open hours: count from the opening
            return opens
        wall = datetime.fromtimestamp(start, self._zone).time()  # the same local time
        day = datetime.fromtimestamp(opens, self._zone).date()
        return min(max(int(datetime.combine(day, wall, self._zone).timestamp()), opens), closes)


class DeadlineCalculator:
    """Deadlines for one CCR, each computed in the calendar of the agency that owes it."""

    def __init__(self, ccr: Ccr):
        self._ccr = ccr
        self._calendars = {a.id: BusinessCalendar(a) for a in ccr.agencies}

    def add(self, agency: str, start: int, duration: Duration) -> int:
        if duration.unit in PLAIN_SECONDS:
            return start + duration.amount * PLAIN_SECONDS[duration.unit]
        calendar = self._calendars[agency]
        if duration.unit == "business_hours":
            return calendar.add_hours(start, duration.amount * 3600)
        return calendar.add_days(start, duration.amount)

    def ack_due(self, referral_type: str, urgency: str, agency: str, submitted_at: float
                ) -> int | None:
        """When the receiving agency must acknowledge; None when no policy covers the type
        and urgency (the referral is then never overdue, and the coordinator sees it)."""
        policy = self._ccr.policy(referral_type, urgency)
        if policy is None:
            return None
        return self.add(agency, int(submitted_at), policy.ack_within)

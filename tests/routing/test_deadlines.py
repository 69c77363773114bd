"""Deadline arithmetic in the owing agency's calendar (the example CCR, America/Chicago):
clock durations are exact elapsed time, even across daylight-saving changes; business
hours count only open time, skipping evenings, weekends and holidays; a business day lands
at the same local time on the Nth next open day, counting from the next opening when asked
after hours. Properties: never before the start, inside open hours, exact, monotonic.

Every start is a fixed instant; nothing reads the real clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.routing.ccr import Agency, load_ccr
from hub.routing.deadlines import DeadlineCalculator
from hub.routing.durations import Duration

CHICAGO = ZoneInfo("America/Chicago")
CCR = load_ccr(Path(__file__).resolve().parents[2] / "config" / "example")
CALC = DeadlineCalculator(CCR)
SLOT = 900  # seconds; every opening and closing in the example falls on a quarter hour


def add(agency: str, start: int, duration: Duration | str) -> int:
    if isinstance(duration, str):
        duration = Duration.parse(duration)
    return CALC.add(agency, start, duration)


def instant(text: str) -> int:
    """An ISO local time with its UTC offset, e.g. '2027-11-07T01:30-05:00'."""
    return int(datetime.fromisoformat(text).timestamp())


def in_chicago(moment: int) -> str:
    return datetime.fromtimestamp(moment, CHICAGO).isoformat()


def case(id: str, agency: str, start: str, text: str, expected: str):
    return pytest.param(agency, start, text, expected, id=id)


def check(agency: str, start: str, text: str, expected: str) -> None:
    assert in_chicago(add(agency, instant(start), text)) == expected


CLOCK_CASES = [
    case("30m", "bridge-advocacy", "2027-03-10T10:00-06:00", "30m", "2027-03-10T10:30:00-06:00"),
    case("2h-ignores-closing-and-weekend", "bridge-advocacy", "2027-03-12T23:00-06:00", "2h",
         "2027-03-13T01:00:00-06:00"),
    case("2h-across-spring-forward", "harbor-house", "2027-03-14T01:30-06:00", "2h",
         "2027-03-14T04:30:00-05:00"),
    case("2h-across-fall-back", "harbor-house", "2027-11-07T00:30-05:00", "2h",
         "2027-11-07T01:30:00-06:00"),
    case("1h-inside-the-repeated-hour", "mercy-hospital", "2027-11-07T01:30-05:00", "1h",
         "2027-11-07T01:30:00-06:00"),
    case("1-day-is-24-elapsed-hours", "bridge-advocacy", "2027-03-13T09:00-06:00", "1 day",
         "2027-03-14T10:00:00-05:00"),
]


@pytest.mark.parametrize(("agency", "start", "text", "expected"), CLOCK_CASES)
def test_clock_durations(agency: str, start: str, text: str, expected: str) -> None:
    check(agency, start, text, expected)


BUSINESS_HOUR_CASES = [
    case("within-the-day", "bridge-advocacy", "2027-03-10T10:00-06:00", "4 business hours",
         "2027-03-10T14:00:00-06:00"),
    case("ends-at-closing-not-next-morning", "bridge-advocacy", "2027-03-10T13:00-06:00",
         "4 business hours", "2027-03-10T17:00:00-06:00"),
    case("spills-into-next-morning", "bridge-advocacy", "2027-03-11T15:00-06:00",
         "4 business hours", "2027-03-12T11:00:00-06:00"),
    case("police-8-to-18", "riverside-pd", "2027-03-11T16:00-06:00", "4 business hours",
         "2027-03-12T10:00:00-06:00"),
    case("counseling-half-past", "northside-counseling", "2027-03-11T16:00-06:00",
         "4 business hours", "2027-03-12T11:00:00-06:00"),
    case("friday-spill-over-weekend-and-spring-forward", "bridge-advocacy",
         "2027-03-12T15:00-06:00", "4 business hours", "2027-03-15T11:00:00-05:00"),
    case("friday-spill-over-weekend-and-fall-back", "bridge-advocacy", "2027-11-05T15:00-05:00",
         "4 business hours", "2027-11-08T11:00:00-06:00"),
    case("friday-evening-counts-from-monday", "bridge-advocacy", "2027-03-05T19:00-06:00",
         "8 business hours", "2027-03-08T17:00:00-06:00"),
    case("zero-on-saturday-is-next-opening", "bridge-advocacy", "2027-03-06T11:00-06:00",
         "0 business hours", "2027-03-08T09:00:00-06:00"),
    case("christmas-skipped", "bridge-advocacy", "2026-12-24T15:00-06:00", "4 business hours",
         "2026-12-28T11:00:00-06:00"),
    case("police-works-christmas", "riverside-pd", "2026-12-24T16:00-06:00",
         "4 business hours", "2026-12-25T10:00:00-06:00"),
    case("always-open-across-spring-forward", "harbor-house", "2027-03-13T23:00-06:00",
         "4 business hours", "2027-03-14T04:00:00-05:00"),
    case("always-open-across-fall-back", "harbor-house", "2027-11-06T23:00-05:00",
         "4 business hours", "2027-11-07T02:00:00-06:00"),
]


@pytest.mark.parametrize(("agency", "start", "text", "expected"), BUSINESS_HOUR_CASES)
def test_business_hours(agency: str, start: str, text: str, expected: str) -> None:
    check(agency, start, text, expected)


BUSINESS_DAY_CASES = [
    case("wednesday-to-thursday", "bridge-advocacy", "2027-03-10T10:00-06:00", "1 business day",
         "2027-03-11T10:00:00-06:00"),
    case("friday-in-hours-to-monday", "bridge-advocacy", "2027-03-05T10:00-06:00",
         "1 business day", "2027-03-08T10:00:00-06:00"),
    case("friday-evening-to-tuesday-opening", "bridge-advocacy", "2027-03-05T19:00-06:00",
         "1 business day", "2027-03-09T09:00:00-06:00"),
    case("friday-at-closing-is-after-hours", "bridge-advocacy", "2027-03-05T17:00-06:00",
         "1 business day", "2027-03-09T09:00:00-06:00"),
    case("friday-before-opening-to-monday", "bridge-advocacy", "2027-03-05T07:00-06:00",
         "1 business day", "2027-03-08T09:00:00-06:00"),
    case("saturday-to-tuesday-opening", "bridge-advocacy", "2027-03-06T12:00-06:00",
         "1 business day", "2027-03-09T09:00:00-06:00"),
    case("police-friday-evening", "riverside-pd", "2027-03-05T19:00-06:00", "1 business day",
         "2027-03-09T08:00:00-06:00"),
    case("christmas-skipped", "bridge-advocacy", "2026-12-24T10:00-06:00", "1 business day",
         "2026-12-28T10:00:00-06:00"),
    case("new-year-skipped", "bridge-advocacy", "2026-12-30T14:00-06:00", "2 business days",
         "2027-01-04T14:00:00-06:00"),
    case("police-works-christmas", "riverside-pd", "2026-12-24T10:00-06:00", "1 business day",
         "2026-12-25T10:00:00-06:00"),
    case("across-spring-forward", "bridge-advocacy", "2027-03-12T10:00-06:00", "1 business day",
         "2027-03-15T10:00:00-05:00"),
    case("across-fall-back", "bridge-advocacy", "2027-11-05T10:00-05:00", "1 business day",
         "2027-11-08T10:00:00-06:00"),
    case("zero-in-hours-is-now", "bridge-advocacy", "2027-03-10T10:00-06:00", "0 business days",
         "2027-03-10T10:00:00-06:00"),
    case("always-open-weekday", "harbor-house", "2027-03-10T03:00-06:00", "2 business days",
         "2027-03-12T03:00:00-06:00"),
]


@pytest.mark.parametrize(("agency", "start", "text", "expected"), BUSINESS_DAY_CASES)
def test_business_days(agency: str, start: str, text: str, expected: str) -> None:
    check(agency, start, text, expected)


@pytest.mark.parametrize(("submitted", "expected"), [
    ("2027-03-13T12:00-06:00", "2027-03-14T12:00:00-05:00"),
    ("2027-11-06T12:00-05:00", "2027-11-07T12:00:00-06:00"),
], ids=["spring-forward", "fall-back"])
def test_always_open_business_day_keeps_local_time_across_dst(submitted: str,
                                                              expected: str) -> None:
    """A routine discharge handoff to the shelter is due '1 business day' later."""
    due = CALC.ack_due("discharge-handoff", "routine", "harbor-house", instant(submitted))
    assert due is not None
    assert in_chicago(due) == expected


def test_ack_due_follows_the_policy_for_type_and_urgency() -> None:
    submitted = instant("2027-03-12T16:00-06:00")
    urgent = CALC.ack_due("discharge-handoff", "urgent", "bridge-advocacy", submitted)
    routine = CALC.ack_due("counseling-referral", "routine", "northside-counseling", submitted)
    assert urgent is not None and in_chicago(urgent) == "2027-03-12T18:00:00-06:00"
    assert routine is not None and in_chicago(routine) == "2027-03-16T16:00:00-05:00"
    assert CALC.ack_due("shelter-request", "routine", "harbor-house", submitted) is None


# Properties. An independent model of "open": the agency's local clock, weekdays, holidays.

AGENCIES = {a.id: a for a in CCR.agencies}
OFFICES = sorted(a.id for a in CCR.agencies if a.business_hours.end != "24:00")
FIRST, LAST = instant("2026-12-01T00:00-06:00"), instant("2027-12-31T00:00-06:00")
DST = [instant("2027-03-14T02:00-06:00"), instant("2027-11-07T01:00-06:00")]
DAY = 86400
PLAIN = ["minutes", "hours", "days"]
SECONDS = {"minutes": 60, "hours": 3600, "days": DAY}
BUSINESS = ["business_hours", "business_days"]
PROPERTY = settings(max_examples=150, deadline=None)

starts = st.one_of(st.integers(FIRST, LAST),
                   st.sampled_from(DST).flatmap(lambda t: st.integers(t - 3 * DAY, t + 3 * DAY)))
agencies = st.sampled_from(sorted(AGENCIES))
offices = st.sampled_from(OFFICES)


def durations(units: list[str], most: int = 40) -> st.SearchStrategy[Duration]:
    return st.builds(Duration, amount=st.integers(0, most), unit=st.sampled_from(units))


def open_day(agency: Agency, day: date) -> bool:
    return day.weekday() in agency.business_hours.days and day not in agency.holidays


def open_at(agency: Agency, moment: int, *, closing_counts: bool = False) -> bool:
    """Open at ``moment``; with ``closing_counts``, the closing instant counts as open."""
    here = datetime.fromtimestamp(moment, ZoneInfo(agency.timezone))
    now, hours = here.strftime("%H:%M:%S"), agency.business_hours
    opens, closes = f"{hours.start}:00", f"{hours.end}:00"
    before_closing = now <= closes if closing_counts else now < closes
    if open_day(agency, here.date()) and opens <= now and before_closing:
        return True
    yesterday = here.date() - timedelta(days=1)
    return (closing_counts and closes == "24:00:00" and now == "00:00:00"
            and open_day(agency, yesterday))


def open_seconds(agency: Agency, start: int, end: int) -> int:
    """Open time in [start, end), counted in quarter hours (both ends on a quarter hour)."""
    return sum(SLOT for t in range(start, end, SLOT) if open_at(agency, t))


def next_open_day(agency: Agency, day: date) -> date:
    day += timedelta(days=1)
    while not open_day(agency, day):
        day += timedelta(days=1)
    return day


def business_days_model(agency: Agency, start: int, days: int) -> int:
    """Same local time on the Nth next open day; from the next opening when closed."""
    zone = ZoneInfo(agency.timezone)
    here, opening = datetime.fromtimestamp(start, zone), time.fromisoformat(
        agency.business_hours.start)
    day, clock = here.date(), here.time()
    if not open_at(agency, start):
        clock = opening
        if not (open_day(agency, day) and here.time() < opening):
            day = next_open_day(agency, day)
    for _ in range(days):
        day = next_open_day(agency, day)
    return int(datetime.combine(day, clock, zone).timestamp())


@PROPERTY
@given(agencies, starts, durations(PLAIN + BUSINESS))
def test_a_deadline_is_never_before_its_start(agency: str, start: int,
                                              duration: Duration) -> None:
    assert add(agency, start, duration) >= start


@PROPERTY
@given(agencies, starts, durations(PLAIN, most=100_000))
def test_clock_durations_are_exact_elapsed_time(agency: str, start: int,
                                                duration: Duration) -> None:
    assert add(agency, start, duration) - start == duration.amount * SECONDS[duration.unit]


@PROPERTY
@given(agencies, starts, durations(BUSINESS))
def test_business_deadlines_land_in_open_hours(agency: str, start: int,
                                               duration: Duration) -> None:
    assert open_at(AGENCIES[agency], add(agency, start, duration), closing_counts=True)


@PROPERTY
@given(agencies, starts.map(lambda t: t - t % SLOT), st.integers(0, 30))
def test_business_hours_count_exactly_the_open_time(agency: str, start: int,
                                                    hours: int) -> None:
    """Exactly the asked open time passes, and the deadline is the earliest such instant:
    the quarter hour just before it is open."""
    due = add(agency, start, Duration(amount=hours, unit="business_hours"))
    assert open_seconds(AGENCIES[agency], start, due) == hours * 3600
    assert hours == 0 or open_at(AGENCIES[agency], due - SLOT)


@PROPERTY
@given(offices, starts, st.integers(0, 15))
def test_business_days_keep_the_local_time(agency: str, start: int, days: int) -> None:
    due = add(agency, start, Duration(amount=days, unit="business_days"))
    assert due == business_days_model(AGENCIES[agency], start, days)


@PROPERTY
@given(agencies, starts, starts, durations(PLAIN + BUSINESS))
def test_a_later_start_is_never_due_sooner(agency: str, a: int, b: int,
                                           duration: Duration) -> None:
    early, late = sorted((a, b))
    assert add(agency, early, duration) <= add(agency, late, duration)


@PROPERTY
@given(agencies, starts, st.sampled_from(PLAIN + BUSINESS), st.integers(0, 40),
       st.integers(0, 40))
def test_a_longer_duration_is_never_due_sooner(agency: str, start: int, unit: str, m: int,
                                               n: int) -> None:
    short, long = (Duration(amount=k, unit=unit) for k in sorted((m, n)))
    assert add(agency, start, short) <= add(agency, start, long)

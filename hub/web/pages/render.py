"""How the pages write times, durations and shares (jinja2 filters)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo


def span(seconds: float) -> str:
    """A duration a person reads at a glance: '3 d 4 h', '2 h 05 min', '12 min'."""
    minutes = int(abs(seconds) // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


def relative(due: float, now: float) -> str:
    return f"{span(now - due)} overdue" if due <= now else f"in {span(due - now)}"


def when(at: float | None, zone: str = "UTC") -> str:
    if at is None:
        return "–"
    return datetime.fromtimestamp(float(at), ZoneInfo(zone)).strftime("%a %d %b %Y %H:%M %Z")


def moment(at: float, zone: str, now: float) -> str:
    """A moment in a person's own time zone, named: '14:02 CST' the same day, else with
    the day: 'Tue 03 Dec 14:02 CST'."""
    local, today = (datetime.fromtimestamp(float(t), ZoneInfo(zone)) for t in (at, now))
    return local.strftime("%H:%M %Z" if local.date() == today.date() else "%a %d %b %H:%M %Z")


def hours(seconds: float | None) -> str:
    return "no data" if seconds is None else f"{seconds / 3600:.1f} h"


def percent(share: float | None) -> str:
    return "no data" if share is None else f"{100 * share:.0f}%"


def timer_label(timer: str) -> str:
    return "acknowledgement" if timer == "ack" else f"follow-up: {timer.removeprefix('fu:')}"


FILTERS = {"span": span, "relative": relative, "when": when, "hours": hours,
           "percent": percent, "timer_label": timer_label}


def request_query(query, **overrides: object) -> str:
    """The page's query string with ``overrides`` (empty values dropped)."""
    values = {k: v for k, v in query.items() if v != "" and k not in overrides}
    values.update({k: str(v) for k, v in overrides.items()})
    return urlencode(values)

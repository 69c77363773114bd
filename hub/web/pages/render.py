"""How the pages write times, durations and shares (jinja2 filters)."""

from __future__ import annotations

from urllib.parse import urlencode

from hub.display import local_time


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
    return local_time(at, zone)


# How a measured time reads, by its size: below what, its symbol, seconds in one, places
UNITS = ((120, "s", 1, 0), (3600, "min", 60, 0), (float("inf"), "h", 3600, 1))


def duration(seconds: float | None) -> str:
    """A measured time in the unit its size calls for: '40 s' under two minutes, '25 min'
    under an hour, '3.0 h' from there; 'no data' for none."""
    if seconds is None:
        return "no data"
    _, symbol, size, places = next(u for u in UNITS if abs(seconds) < u[0])
    return f"{seconds / size:.{places}f} {symbol}"


def percent(share: float | None) -> str:
    return "no data" if share is None else f"{100 * share:.0f}%"


def timer_label(timer: str) -> str:
    return "acknowledgement" if timer == "ack" else f"follow-up: {timer.removeprefix('fu:')}"


FILTERS = {"span": span, "relative": relative, "when": when, "duration": duration,
           "percent": percent, "timer_label": timer_label}


def request_query(query, **overrides: object) -> str:
    """The page's query string with ``overrides`` (empty values dropped)."""
    values = {k: v for k, v in query.items() if v != "" and k not in overrides}
    values.update({k: str(v) for k, v in overrides.items()})
    return urlencode(values)

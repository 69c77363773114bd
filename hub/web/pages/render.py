"""How the pages write times, durations and shares (jinja2 filters)."""

from __future__ import annotations

from urllib.parse import urlencode

from hub.display import (
    actor_name,
    audit_name,
    channel_name,
    code_name,
    delivery_name,
    event_name,
    language_name,
    local_time,
    notice_state,
    outcome_name,
    status_name,
)
from hub.i18n import gettext, ngettext


def span(seconds: float) -> str:
    """A duration a person reads at a glance: '3 d 4 h', '2 h 05 min', '12 min'."""
    minutes = int(abs(seconds) // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)d h %(mins)02d min") % {"hours": hours, "mins": mins}
    return gettext("%(mins)d min") % {"mins": mins}


def relative(due: float, now: float) -> str:
    if due <= now:
        return gettext("%(span)s overdue") % {"span": span(now - due)}
    return gettext("in %(span)s") % {"span": span(due - now)}


def when(at: float | None, zone: str = "UTC") -> str:
    return local_time(at, zone)


# How a measured time reads, by its size: below what, its symbol, seconds in one, places
UNITS = ((120, "s", 1, 0), (3600, "min", 60, 0), (float("inf"), "h", 3600, 1))


def duration(seconds: float | None) -> str:
    """A measured time in the unit its size calls for: '40 s' under two minutes, '25 min'
    under an hour, '3.0 h' from there; 'no data' for none."""
    if seconds is None:
        return gettext("no data")
    _, symbol, size, places = next(u for u in UNITS if abs(seconds) < u[0])
    return f"{seconds / size:.{places}f} {symbol}"


def percent(share: float | None) -> str:
    return gettext("no data") if share is None else f"{100 * share:.0f}%"


def timer_label(timer: str) -> str:
    if timer == "ack":
        return gettext("acknowledgement")
    if timer.startswith("act:"):
        return gettext("action item from the case review")
    if timer.startswith("ms:"):
        return gettext("milestone: %(name)s") % {"name": timer.removeprefix("ms:").replace(
            "-", " ")}
    return gettext("follow-up: %(name)s") % {"name": timer.removeprefix("fu:").replace("-", " ")}


def attempts(n: int) -> str:
    return ngettext("%(num)d attempt", "%(num)d attempts", n) % {"num": n}


FILTERS = {"span": span, "relative": relative, "when": when, "duration": duration,
           "percent": percent, "timer_label": timer_label, "attempts": attempts,
           "status": status_name, "code": code_name, "event": event_name,
           "audit": audit_name, "outcome": outcome_name, "actor": actor_name,
           "language": language_name, "notice_state": notice_state,
           "delivery": delivery_name, "channel": channel_name,
           "t": gettext}  # a message named elsewhere (N_), as is: no %-formatting


def request_query(query, **overrides: object) -> str:
    """The page's query string with ``overrides`` (empty values dropped)."""
    values = {k: v for k, v in query.items() if v != "" and k not in overrides}
    values.update({k: str(v) for k, v in overrides.items()})
    return urlencode(values)

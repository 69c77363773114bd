"""How the hub's codes and times read to a person, in one place for the command line, the
pages and the notices: a time in the receiving agency's zone with the zone named, one name
per status, and plain words for reason, outcome and history codes. Wire formats (--json,
the API) keep the codes themselves."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hub.models import Status

# One name per status, everywhere a person reads one (the API keeps FHIR's codes).
STATUS_NAMES: dict[str, str] = {
    Status.REQUESTED: "waiting for acknowledgement",
    Status.RECEIVED: "acknowledged",
    Status.ACCEPTED: "accepted",
    Status.REJECTED: "declined",
    Status.IN_PROGRESS: "in progress",
    Status.COMPLETED: "completed",
    Status.CANCELLED: "cancelled",
    Status.REVOKED: "consent withdrawn",
    Status.EXPIRED: "consent ran out",
}

CODE_NAMES: dict[str, str] = {
    # why a referral was declined
    "capacity": "no capacity", "not-eligible": "not eligible", "duplicate": "a duplicate",
    "survivor-declined": "the survivor declined", "unable-to-contact": "could not reach the "
    "survivor", "outside-service-area": "outside the service area", "other": "other",
    # how it ended
    "services-provided": "services provided", "referred-elsewhere": "referred elsewhere",
    # why it was cancelled or consent withdrawn
    "sent-in-error": "sent in error", "survivor-request": "at the survivor's request",
    "survivor-withdrew": "the survivor withdrew consent",
    "survivor-safety": "for the survivor's safety",
    # urgencies
    "routine": "routine", "urgent": "urgent", "emergent": "emergent",
    # whom a step of the ladder notifies (a step passed over names it)
    "point_person": "point person", "backups": "backups", "coordinator": "coordinator",
}

LANGUAGE_NAMES: dict[str, str] = {"en": "English", "es": "Spanish (español)"}

EVENT_NAMES: dict[str, str] = {
    "submitted": "sent", "opened": "opened", "notified": "notice sent", "reply": "reply posted",
    "reviewed": "marked for team review", "consent.narrowed": "consent narrowed",
    "rung.skipped": "no one on duty: went on to the next step at once",
}


def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status)


def code_name(code: str | None) -> str:
    return "" if not code else CODE_NAMES.get(code, code.replace("-", " "))


def event_name(action: str, to_status: str | None = None) -> str:
    """A history event as a person reads it: 'acknowledged', 'reply posted'."""
    if action.startswith("status.") and to_status:
        return status_name(to_status)
    return EVENT_NAMES.get(action, action.replace(".", " ").replace("-", " "))


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def local_time(at: float | None, zone: str, *, year: bool = True) -> str:
    """``at`` (seconds since 1970) as the clock on the wall in ``zone`` reads it, the zone
    named: 'Tue 15 Dec 2026 14:06 CST'. '–' for no time."""
    if at is None:
        return "–"
    local = datetime.fromtimestamp(float(at), ZoneInfo(zone))
    return local.strftime("%a %d %b %Y %H:%M %Z" if year else "%a %d %b %H:%M %Z")


def moment(at: float, zone: str, now: float) -> str:
    """A moment in a person's own time zone, named: '14:02 CST' the same day, else with
    the day: 'Tue 03 Dec 14:02 CST'."""
    local, today = (datetime.fromtimestamp(float(t), ZoneInfo(zone)) for t in (at, now))
    return local.strftime("%H:%M %Z" if local.date() == today.date() else "%a %d %b %H:%M %Z")


def span(start: float, end: float, zone: str) -> str:
    """A stretch of time on the wall in ``zone``: 'Sat 12 Dec 02:00–06:00 CST', or with
    both days when it crosses midnight: 'Sat 12 Dec 22:00 – Sun 13 Dec 06:00 CST'."""
    a, b = (datetime.fromtimestamp(float(t), ZoneInfo(zone)) for t in (start, end))
    if a.date() == b.date() or (b - a).total_seconds() <= 0:
        return f"{a:%a %d %b %H:%M}–{b:%H:%M %Z}"
    return f"{a:%a %d %b %H:%M} – {b:%a %d %b %H:%M %Z}"


def gap_words(types: tuple[str, ...], start: float, end: float, zone: str) -> str:
    """A coverage gap as an agency admin reads it: 'no one on duty for shelter-request,
    Sat 12 Dec 02:00–06:00 CST'."""
    return f"no one on duty for {', '.join(types)}, {span(start, end, zone)}"

"""How the hub's codes and times read to a person, in one place for the command line, the
pages (and their script, which gets these names from the page) and the notices: a time in
the receiving agency's zone with the zone named, one name per status, and plain words for
reason, outcome, history, audit and language codes, in the language of the moment
(hub/i18n.py: English unless a page asked for another). Wire formats (--json, the API)
keep the codes themselves."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hub.i18n import N_, SOURCE, current, gettext
from hub.models import Status

# One name per status, everywhere a person reads one (the API keeps FHIR's codes).
STATUS_NAMES: dict[str, str] = {
    Status.REQUESTED: N_("waiting for acknowledgement"),
    Status.RECEIVED: N_("acknowledged"),
    Status.ACCEPTED: N_("accepted"),
    Status.REJECTED: N_("declined"),
    Status.IN_PROGRESS: N_("in progress"),
    Status.COMPLETED: N_("completed"),
    Status.CANCELLED: N_("cancelled"),
    Status.REVOKED: N_("consent withdrawn"),
    Status.EXPIRED: N_("consent ran out"),
}

CODE_NAMES: dict[str, str] = {
    # why a referral was declined
    "capacity": N_("no capacity"), "not-eligible": N_("not eligible"),
    "duplicate": N_("a duplicate"), "survivor-declined": N_("the survivor declined"),
    "unable-to-contact": N_("could not reach the survivor"),
    "outside-service-area": N_("outside the service area"), "other": N_("other"),
    # how it ended
    "services-provided": N_("services provided"), "referred-elsewhere": N_("referred elsewhere"),
    # why it was cancelled or consent withdrawn
    "sent-in-error": N_("sent in error"), "survivor-request": N_("at the survivor's request"),
    "survivor-withdrew": N_("the survivor withdrew consent"),
    "survivor-safety": N_("for the survivor's safety"),
    # urgencies
    "routine": N_("routine"), "urgent": N_("urgent"), "emergent": N_("emergent"),
    # whom a step of the ladder notifies (a step passed over names it)
    "point_person": N_("point person"), "backups": N_("backups"),
    "coordinator": N_("coordinator"),
    # how consent was given
    "written": N_("written"), "electronic-signature": N_("electronic signature"),
    "verbal-documented": N_("verbal, documented"),
    # why a coordinator marked a referral reviewed
    "discussed": N_("discussed at the meeting"),
    "agency-followed-up": N_("the agency followed up"), "systemic-issue": N_("a systemic issue"),
    "resolved": N_("resolved"),
    # why a referral is marked for the case review, and its action items
    "safety-concern": N_("a safety concern"), "stalled-handoff": N_("a stalled handoff"),
    "missed-milestones": N_("missed milestones"), "agency-request": N_("an agency asked"),
    "contact-agency": N_("contact the agency"), "reschedule-exam": N_("reschedule the exam"),
    "compensation-claim": N_("help with the compensation claim"),
    "safety-plan-review": N_("review the safety plan"),
    "supervisor-review": N_("a supervisor reviews it"),
}

LANGUAGE_NAMES: dict[str, str] = {"en": N_("English"), "es": N_("Spanish (español)")}

EVENT_NAMES: dict[str, str] = {
    "submitted": N_("sent"), "opened": N_("opened"), "notified": N_("notice sent"),
    "reply": N_("reply posted"), "reviewed": N_("marked for team review"),
    "consent.narrowed": N_("consent narrowed"),
    "narrative.purged": N_("narrative purged; the codes are kept"),
    "rung.skipped": N_("no one on duty: went on to the next step at once"),
    "claimed": N_("claimed from a notice (escalation held; not yet acknowledged)"),
    "milestone.recorded": N_("milestone recorded"),
    "milestone.missed": N_("milestone missed: not recorded by its deadline"),
    "mdt.marked": N_("marked for the case review"),
    "mdt.unmarked": N_("taken off the case review"),
    "mdt.action": N_("action item from the case review"),
    "mdt.action.done": N_("action item done"),
    "mdt.action.closed": N_("open action items closed with the referral"),
}

# What an audit event says was done (the actions that touch one referral).
AUDIT_NAMES: dict[str, str] = {
    "referral.submit": N_("sent it"), "referral.get": N_("looked at its status"),
    "referral.envelope": N_("fetched the sealed envelope"),
    "referral.download": N_("fetched the sealed envelope"),
    "referral.history": N_("read its history"), "referral.audit": N_("read its audit trail"),
    "referral.acknowledge": N_("acknowledged it"), "referral.accept": N_("accepted it"),
    "referral.reject": N_("declined it"), "referral.progress": N_("recorded that work started"),
    "referral.complete": N_("closed it with an outcome"), "referral.cancel": N_("cancelled it"),
    "referral.cancelled": N_("cancelled it"), "referral.revoke": N_("withdrew consent"),
    "referral.revoked": N_("consent withdrawn: content deleted"),
    "referral.expired": N_("consent ran out: content deleted"),
    "referral.purged": N_("content deleted"),
    "consent.narrow": N_("narrowed consent"), "consent.narrowed": N_("narrowed consent"),
    "referral.purge_narrative": N_("purged the narrative"),
    "referral.narrative_purged": N_("purged the narrative"),
    "reply.post": N_("sealed a reply"), "reply.list": N_("listed the replies"),
    "reply.envelope": N_("fetched a reply"), "reply.download": N_("fetched a reply"),
    "attachment.upload": N_("added an attachment"), "attachment.put": N_("added an attachment"),
    "attachment.get": N_("fetched an attachment"),
    "attachment.download": N_("fetched an attachment"),
    "notice.email": N_("emailed a notice"), "notice.sms": N_("texted a notice"),
    "notice.report": N_("took a delivery report"),
    "page.thread": N_("opened its page"), "page.link": N_("followed a notice's link"),
    "dashboard.referral": N_("viewed it on the dashboard"),
    "dashboard.nudge": N_("nudged the receiving agency"),
    "dashboard.review": N_("marked it reviewed"),
    "milestone.recorded": N_("recorded a milestone"),
    "milestone.missed": N_("a milestone was missed"),
    "milestone.list": N_("listed its milestones"),
    "mdt.marked": N_("marked it for the case review"),
    "mdt.unmarked": N_("took it off the case review"),
    "mdt.action": N_("recorded an action item"),
    "mdt.action.done": N_("marked an action item done"),
    "mdt.action.closed": N_("closed its open action items with the referral"),
}

OUTCOME_NAMES: dict[str, str] = {"ok": N_("done"), "denied": N_("not allowed"),
                                 "not_found": N_("not found"), "refused": N_("refused")}

# A notice's own state (hub/store/outbox.py), and how far its provider says it got
NOTICE_STATES: dict[str, str] = {
    "queued": N_("waiting to go out"), "sent": N_("sent"),
    "held": N_("held for one combined message"), "dead": N_("could not be delivered"),
    "cancelled": N_("not sent: no longer needed"),
}
DELIVERY_NAMES: dict[str, str] = {
    "accepted": N_("accepted by the provider"), "scheduled": N_("accepted by the provider"),
    "queued": N_("accepted by the provider"), "sending": N_("on its way"),
    "sent": N_("on its way"), "delivered": N_("delivered"),
    "undelivered": N_("not delivered"), "failed": N_("not delivered"),
    "canceled": N_("not delivered"), "read": N_("read"),
}
CHANNEL_NAMES: dict[str, str] = {"email": N_("email"), "sms": N_("text message")}

ACTORS: dict[str, str] = {"anonymous": N_("CCR Hub (automatic)"),
                          "hub": N_("CCR Hub (automatic)"), "": N_("CCR Hub (automatic)")}


def _named(names: dict[str, str], code: str, fallback: str) -> str:
    return gettext(names[code]) if code in names else fallback


def status_name(status: str) -> str:
    return _named(STATUS_NAMES, status, status)


def code_name(code: str | None) -> str:
    return "" if not code else _named(CODE_NAMES, code, code.replace("-", " "))


def event_name(action: str, to_status: str | None = None) -> str:
    """A history event as a person reads it: 'acknowledged', 'reply posted'."""
    if action.startswith("status.") and to_status:
        return status_name(to_status)
    return _named(EVENT_NAMES, action, action.replace(".", " ").replace("-", " "))


def audit_name(action: str) -> str:
    """What an audit event says was done: 'looked at its status', not 'referral.get'."""
    return _named(AUDIT_NAMES, action, action.replace(".", " ").replace("_", " "))


def outcome_name(outcome: str) -> str:
    return _named(OUTCOME_NAMES, outcome, outcome.replace("_", " "))


def actor_name(actor: str | None, people: dict[str, str]) -> str:
    """Who did it, by name: a person's display name (``people``: id to name); the hub
    itself for what no person did (a notice, a deadline)."""
    if not actor or actor in ACTORS:
        return gettext(ACTORS[actor or ""])
    return people.get(actor, actor)


def notice_state(state: str) -> str:
    return _named(NOTICE_STATES, state, state)


def delivery_name(status: str) -> str:
    return _named(DELIVERY_NAMES, status, status)


def channel_name(kind: str) -> str:
    return _named(CHANNEL_NAMES, kind, kind)


def language_name(code: str) -> str:
    return _named(LANGUAGE_NAMES, code, code)


def names_for_script() -> dict[str, dict[str, str]]:
    """The names the browser's script shows, in the language of the moment: the same as
    the pages' (one vocabulary), handed to it by the page."""
    return {"statuses": {k: status_name(k) for k in STATUS_NAMES},
            "codes": {k: code_name(k) for k in CODE_NAMES},
            "events": {k: event_name(k) for k in EVENT_NAMES},
            "languages": {k: language_name(k) for k in LANGUAGE_NAMES}}


def _local(at: float, zone: str, pattern: str, english: str) -> str:
    """``at`` in ``zone``: strftime's ``english`` in English; in another language, the
    day and month names of its own (Babel's ``pattern``), the zone's abbreviation kept."""
    local = datetime.fromtimestamp(float(at), ZoneInfo(zone))
    if current() == SOURCE:
        return local.strftime(english)
    from babel.dates import format_datetime  # pages in another language only

    return f"{format_datetime(local, pattern, locale=current())} {local:%Z}"


def local_time(at: float | None, zone: str, *, year: bool = True) -> str:
    """``at`` (seconds since 1970) as the clock on the wall in ``zone`` reads it, the zone
    named: 'Tue 15 Dec 2026 14:06 CST'. '–' for no time."""
    if at is None:
        return "–"
    if year:
        return _local(at, zone, "EEE dd MMM yyyy HH:mm", "%a %d %b %Y %H:%M %Z")
    return _local(at, zone, "EEE dd MMM HH:mm", "%a %d %b %H:%M %Z")


def moment(at: float, zone: str, now: float) -> str:
    """A moment in a person's own time zone, named: '14:02 CST' the same day, else with
    the day: 'Tue 03 Dec 14:02 CST'."""
    local, today = (datetime.fromtimestamp(float(t), ZoneInfo(zone)) for t in (at, now))
    if local.date() == today.date():
        return local.strftime("%H:%M %Z")
    return local_time(at, zone, year=False)


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

"""Rendering notices from the jinja2 templates in hub/templates/notices/{language}/:
a subject, plain text and HTML for email, one SMS segment. The context holds only what a
notice may say: an opaque reference, the agency, the deadline, the level and a link."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hub.display import span

LANGUAGES = ("en", "es")

_env = Environment(loader=PackageLoader("hub.templates", "notices"),
                   autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                   trim_blocks=True, keep_trailing_newline=False)


@dataclass(frozen=True)
class NoticeFacts:
    """Everything a notice may say. Nothing here comes from inside an envelope."""

    referral: str
    agency: str  # the receiving agency's name
    timer: str  # "ack", "fu:NAME", "ms:CODE" (a milestone owed), "gap:CODE" (one missed),
    # "act:ID" (a case review's action item), "withdrawn" or "expired"
    due: float
    level: int  # 1 for the first notice, then one more per rung
    timezone: str  # the recipient agency's, for the deadline's wall-clock time
    code: str = ""  # the claim code's place (services/claims.py CODE_MARK), if it has one
    now: float = 0.0  # when it is written: past the deadline, it says overdue
    reads: bool = True  # False for a coordinator, who sees a referral's status, not it
    drill: bool = False  # a drill's: the notice says so first ("DRILL:")
    milestone: str = ""  # a milestone's label from milestones.toml (else its code, in words)


@dataclass(frozen=True)
class Rendered:
    """A notice's parts in one language. Each channel sends some of them (its Sender's
    ``words``); a channel with a part of its own (a voice call's script) renders its
    template from the same folder and facts with ``part``."""

    subject: str
    text: str
    html: str
    sms: str
    folder: str = field(default="", compare=False, repr=False)
    context: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)

    def part(self, name: str) -> str:
        """The notice's part from the template ``name`` (e.g. "voice.txt")."""
        return _part(self.folder, name, self.context)


_ES_DAYS = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
_ES_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")


def _when(local: datetime, lang: str) -> tuple[str, str]:
    """The deadline in full (for email) and short (for an SMS: GSM-7 characters only)."""
    if lang == "es":
        return (f"{_ES_DAYS[local.weekday()]} {local.day} {_ES_MONTHS[local.month - 1]} "
                f"{local:%H:%M %Z}", f"{local:%d/%m %H:%M}")
    return local.strftime("%a %d %b %H:%M %Z"), local.strftime("%a %H:%M")


def _item(facts: NoticeFacts, lang: str, base_url: str) -> dict[str, object]:
    due, due_short = _when(datetime.fromtimestamp(facts.due, ZoneInfo(facts.timezone)), lang)
    code = facts.timer.partition(":")[2] if _kind(facts.timer) in ("milestone", "gap") else ""
    return {"ref": facts.referral[:8], "agency": facts.agency,
            "timer": _kind(facts.timer), "milestone_code": code[:SMS_CODE],
            "milestone": facts.milestone or code.replace("-", " "),
            "level": facts.level, "code": facts.code, "spoken_ref": " ".join(facts.referral[:8]),
            "overdue": facts.now >= facts.due, "reads": facts.reads, "drill": facts.drill,
            "due": due, "due_short": due_short,
            "link": f"{base_url.rstrip('/')}/r/{facts.referral}"}


SMS_CODE = 28  # a milestone's code in an SMS, cut to keep it in one segment with any level
KINDS = {"ms": "milestone", "gap": "gap", "act": "action", "fu": "follow-up"}


def _kind(timer: str) -> str:
    """What a notice is about, as its templates tell them apart: ack, withdrawn, expired,
    follow-up, milestone (one owed by the receiving agency), gap (one missed, told to the
    sender) or action (a case review's action item)."""
    if timer in ("ack", "withdrawn", "expired"):
        return timer
    return KINDS.get(timer.partition(":")[0], "follow-up")


def _language(language: str) -> str:
    return language if language in LANGUAGES else "en"


def _part(folder: str, name: str, ctx: Mapping[str, object]) -> str:
    return _env.get_template(f"{folder}/{name}").render(ctx).strip()


def _render(folder: str, ctx: dict[str, object]) -> Rendered:
    return Rendered(_part(folder, "subject.txt", ctx), _part(folder, "email.txt", ctx) + "\n",
                    _part(folder, "email.html", ctx), _part(folder, "sms.txt", ctx),
                    folder=folder, context=ctx)


def render(facts: NoticeFacts, language: str, base_url: str) -> Rendered:
    lang = _language(language)
    return _render(lang, {"digest": False, "base": base_url, "lang": lang,
                          **_item(facts, lang, base_url)})


def render_digest(items: Sequence[NoticeFacts], language: str, base_url: str) -> Rendered:
    """One message for many notices to one person (flood control): each referral's
    reference, deadline and level, and one link to the hub."""
    lang = _language(language)
    rows = [_item(f, lang, base_url) for f in sorted(items, key=lambda f: f.due)]
    return _render(lang, {"digest": True, "count": len(rows), "items": rows, "lang": lang,
                          "agency": rows[0]["agency"], "reads": rows[0]["reads"],
                          "drill": all(r["drill"] for r in rows), "base": base_url})


@dataclass(frozen=True)
class EngineFacts:
    """Everything an alert about the escalation engine may say: whether it stopped or runs
    again, since when it had not run, and the recipient's time zone."""

    stopped: bool
    since: float
    timezone: str


def render_engine(facts: EngineFacts, language: str, base_url: str) -> Rendered:
    """The alert to operators and coordinators that escalation stopped, or runs again."""
    lang = _language(language)
    local = datetime.fromtimestamp(facts.since, ZoneInfo(facts.timezone))
    since, _ = _when(local, lang)
    return _render(f"{lang}/engine", {
        "stopped": facts.stopped, "since": since, "since_short": f"{local:%H:%M %Z}",
        "link": f"{base_url.rstrip('/')}/healthz/engine"})


@dataclass(frozen=True)
class RecoveryFacts:
    """Everything the coordinators' notice of a recovery key's use may say: which agency
    and when, in the recipient's time zone. No referral, no count."""

    agency: str
    at: float
    timezone: str


def render_recovery(facts: RecoveryFacts, language: str, base_url: str) -> Rendered:
    lang = _language(language)
    local = datetime.fromtimestamp(facts.at, ZoneInfo(facts.timezone))
    when, _ = _when(local, lang)
    return _render(f"{lang}/recovery", {
        "agency": facts.agency, "when": when,
        "when_short": f"{local:%H:%M %Z}", "link": f"{base_url.rstrip('/')}/queue"})


@dataclass(frozen=True)
class GapFacts:
    """Everything a notice of a coverage gap may say: the agency, the referral types of its
    groups with no one on duty, when (in the agency's time zone) and a link."""

    agency: str  # the agency's name
    groups: tuple[str, ...]
    start: float
    end: float
    timezone: str


def render_gap(facts: GapFacts, language: str, base_url: str) -> Rendered:
    """The notice to an agency's admins that no one is on duty for a while."""
    lang = _language(language)
    zone = ZoneInfo(facts.timezone)
    start, _ = _when(datetime.fromtimestamp(facts.start, zone), lang)
    end, _ = _when(datetime.fromtimestamp(facts.end, zone), lang)
    return _render(f"{lang}/gap", {
        "agency": facts.agency, "groups": ", ".join(facts.groups), "start": start,
        "end": end, "when_short": span(facts.start, facts.end, facts.timezone).replace("–", "-"),
        "link": f"{base_url.rstrip('/')}/dashboard"})


def render_claim(outcome: str, language: str, facts: Mapping[str, str]) -> str:
    """The answer to a claim by text reply or keypress (claim.txt): what happened, the
    reference and until when escalation waits; nothing from the referral."""
    return _part(_language(language), "claim.txt", {"outcome": outcome, **facts})

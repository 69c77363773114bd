"""Rendering notices from the jinja2 templates in hub/templates/notices/{language}/:
a subject, plain text and HTML for email, one SMS segment. The context holds only what a
notice may say: an opaque reference, the agency, the deadline, the level and a link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

LANGUAGES = ("en", "es")

_env = Environment(loader=PackageLoader("hub", "templates/notices"),
                   autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                   trim_blocks=True, keep_trailing_newline=False)


@dataclass(frozen=True)
class NoticeFacts:
    """Everything a notice may say. Nothing here comes from inside an envelope."""

    referral: str
    agency: str  # the receiving agency's name
    timer: str  # "ack" or "fu:NAME"
    due: float
    level: int  # 1 for the first notice, then one more per rung
    timezone: str  # the recipient agency's, for the deadline's wall-clock time


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


def _context(facts: NoticeFacts, base_url: str) -> dict[str, object]:
    local = datetime.fromtimestamp(facts.due, ZoneInfo(facts.timezone))
    return {"digest": False, "ref": facts.referral[:8], "agency": facts.agency,
            "timer": "ack" if facts.timer == "ack" else "follow-up", "level": facts.level,
            "due": local.strftime("%a %d %b %H:%M %Z"), "due_short": local.strftime("%a %H:%M"),
            "link": f"{base_url.rstrip('/')}/r/{facts.referral}", "base": base_url}


def render(facts: NoticeFacts, language: str, base_url: str) -> Rendered:
    lang = language if language in LANGUAGES else "en"
    ctx = _context(facts, base_url)

    def one(name: str) -> str:
        return _env.get_template(f"{lang}/{name}").render(ctx).strip()

    return Rendered(one("subject.txt"), one("email.txt") + "\n", one("email.html"),
                    one("sms.txt"))

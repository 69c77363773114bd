"""What a drill's envelope holds: content generated from the scenario's story, every name,
number and address made up and marked, and the check that refuses real-looking content in
a drill (a drill must never reach a real survivor's contact). Client-side: the SDK, the CLI
and the browser's send and reply forms (web/src/pages/drills.js, the same rules) run it
before sealing; the hub never sees content."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from .contents import (
    ConsentDetails,
    DischargeHandoff,
    GenericReferral,
    Need,
    Person,
    Reply,
    SafeContact,
)

MARK = "DRILL"
NAME = "DRILL Practice Person"
PHONE = "+1 555 0100"  # 555-0100 to 555-0199: reserved for fiction in North America
EMAIL = "drill@example.org"  # example.org/.com/.net and .test/.invalid: never delivered

_PHONE = re.compile(r"\+?\d[\d ().-]{6,}\d")
_FICTIONAL_PHONE = re.compile(r"^(\+?1)?555(01\d\d)$")
_DATE = re.compile(r"\d{4}-\d\d-\d\d(T[\d:.]+)?([+-]\d\d:?\d\d|Z)?")  # not a phone
_EMAIL = re.compile(r"[\w.+-]+@([\w-]+\.)+[\w-]+")
_FICTIONAL_DOMAIN = re.compile(r"(^|\.)(example\.(org|com|net)|[\w-]+\.(test|invalid))$")


def drill_content(referral_type: str, story: str, needs: Sequence[Need], *, sender: str,
                  now: int) -> bytes:
    """The made-up document a drill's step seals: its kind's model, marked DRILL."""
    text = story if story.startswith(MARK) else f"{MARK}: {story}"
    if referral_type != "discharge-handoff":
        return GenericReferral(kind=referral_type, text=text).model_dump_json().encode()
    at = datetime.fromtimestamp(now, UTC).isoformat(timespec="minutes")
    handoff = DischargeHandoff(
        survivor=Person(name=NAME, preferred_name=MARK), needs=tuple(needs), discharge_at=at,
        safe_contact=SafeContact(channels=("phone",), phone=PHONE, email=EMAIL,
                                 notes=f"{MARK}: a made-up contact; do not call"),
        consent=ConsentDetails(method="written", given_at=at, documented_by=sender,
                               scope=f"{MARK}: practice only, no survivor"),
        summary=text)
    return handoff.model_dump_json(exclude_none=True).encode()


def drill_reply(text: str) -> bytes:
    return Reply(text=text if text.startswith(MARK) else f"{MARK}: {text}").model_dump_json(
    ).encode()


class RealLooking(ValueError):
    """Content that could reach a real person: a drill refuses it before sealing."""


def refuse_real_looking(content: bytes, *, marked: bool = True) -> None:
    why = real_looking(content, marked=marked)
    if why:
        raise RealLooking(f"refused for a drill: {why}")


def real_looking(content: bytes, *, marked: bool = True) -> str | None:
    """Why ``content`` looks real (a phone number or email address that could reach
    someone, or, when it must be ``marked``, no DRILL mark), or None when it is fit for a
    drill. A reply written in a drill need not say DRILL itself."""
    try:
        strings = list(_strings(json.loads(content)))
    except (ValueError, UnicodeDecodeError):
        return "a drill's content is a JSON document marked DRILL"
    for s in strings:
        for found in _PHONE.findall(_DATE.sub(" ", s)):
            digits = re.sub(r"\D", "", found)
            if len(digits) >= 7 and not _FICTIONAL_PHONE.match(digits):
                return (f"'{found}' looks like a real phone number: a drill uses only "
                        "555-0100 to 555-0199")
        for found in _EMAIL.finditer(s):
            if not _FICTIONAL_DOMAIN.search(found.group(0).split("@")[1]):
                return (f"'{found.group(0)}' looks like a real email address: a drill uses "
                        "only example.org or a .test address")
    if marked and not any(MARK in s for s in strings):
        return f"a drill's content says {MARK} (in the name, story or text)"
    return None


def _strings(doc: object) -> Iterator[str]:
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for value in doc.values():
            yield from _strings(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _strings(value)

"""Opened content as a person reads it, the way the referral page shows it: how to reach
the survivor safely first (no voicemail? may the caller name the agency? safe channels and
times), then who, what they need, and the consent."""

from __future__ import annotations

import json

from hub.api.contents import DischargeHandoff, GenericReferral, Reply, SafeContact
from hub.display import language_name


def _safety(c: SafeContact) -> list[str]:
    times = "; ".join(f"{t.days} {t.start}-{t.end}" for t in c.safe_times)
    lines = ["SAFETY FIRST",
             "  A voicemail may be left." if c.voicemail_ok else "  Do NOT leave a voicemail.",
             "  You may say which agency is calling." if c.may_name_agency
             else "  Do NOT say which agency is calling.",
             f"  Safe channels: {', '.join(c.channels)}",
             f"  Safe times: {times}" if times else "  Safe times: none given; ask when it is "
             "safe to talk"]
    lines += [f"  {label}: {value}" for label, value in (("Phone", c.phone),
                                                          ("Email", c.email)) if value]
    language = language_name(c.language) + (", interpreter needed" if c.interpreter_needed
                                            else "")
    lines.append(f"  Language: {language}")
    if c.notes:
        lines.append(f"  Notes: {c.notes}")
    return lines


def _handoff(h: DischargeHandoff) -> list[str]:
    s, c = h.survivor, h.consent
    who = s.name + "".join(f", {v}" for v in (
        s.pronouns, s.preferred_name and f"goes by {s.preferred_name}",
        s.date_of_birth and f"born {s.date_of_birth}") if v)
    lines = [*_safety(h.safe_contact), "", f"Survivor: {who}", f"Needs: {', '.join(h.needs)}",
             f"Discharge: {h.discharge_at}",
             f"Children: {h.children}; pets: {'yes' if h.pets else 'no'}"]
    lines += [f"{label}: {value}" for label, value in (("Accessibility", h.accessibility),
                                                       ("Summary", h.summary)) if value]
    consent = (f"Consent: {c.method}, given {c.given_at}, documented by {c.documented_by}; "
               f"scope: {c.scope}") + (f"; NOT to be shared: {c.limits}" if c.limits else "")
    return [*lines, consent]


def _label(name: str, schema: dict | None) -> str:
    """A field's name as its type's form calls it (the schema's title), else in words."""
    field = (schema or {}).get("properties", {}).get(name, {})
    return field.get("title") or name.replace("_", " ").capitalize()


def _inner(name: str, schema: dict | None) -> dict | None:
    field = (schema or {}).get("properties", {}).get(name, {})
    return next((a for a in field.get("anyOf", ()) if a.get("type") == "object"), field)


def _fields(doc: dict, schema: dict | None, indent: str = "") -> list[str]:
    """Any document, field by field, each under its form's name."""
    lines = []
    for name, value in doc.items():
        if name == "kind" or value in (None, [], ""):
            continue
        label = f"{indent}{_label(name, schema)}"
        if isinstance(value, dict):
            lines += [f"{label}:", *_fields(value, _inner(name, schema), indent + "  ")]
        elif isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
            lines.append(f"{label}: {', '.join(map(str, value))}")
        elif isinstance(value, list):
            lines.append(f"{label}: {json.dumps(value, ensure_ascii=False)}")
        else:
            shown = ("yes" if value else "no") if isinstance(value, bool) else value
            lines.append(f"{label}: {shown}")
    return lines


def _document(doc: dict, schema: dict | None = None) -> list[str]:
    """A document of any type (a form of the CCR's own, or JSON of no known kind), read
    generically: the safe-contact preferences first, then every field by its form's name."""
    lines = []
    if isinstance(doc.get("safe_contact"), dict):
        try:
            lines = [*_safety(SafeContact.model_validate(doc["safe_contact"])), ""]
        except ValueError:
            lines = ["SAFE CONTACT (as sent; check it with the sender)",
                     json.dumps(doc["safe_contact"], indent=2, ensure_ascii=False), ""]
    rest = {k: v for k, v in doc.items() if k != "safe_contact" or not lines}
    return [*lines, *_fields(rest, schema)]


def as_text(parsed: object, schema: dict | None = None) -> str:
    """``parsed`` (parse_content's answer) in plain lines; a document of a type with a form
    of its own is read by its ``schema``'s names."""
    if isinstance(parsed, DischargeHandoff):
        return "\n".join(_handoff(parsed))
    if isinstance(parsed, GenericReferral | Reply):
        return parsed.text
    if isinstance(parsed, dict):
        return "\n".join(_document(parsed, schema))
    if isinstance(parsed, bytes):
        return parsed.decode(errors="replace")
    return json.dumps(parsed, indent=2, ensure_ascii=False)


def attachment_names(parsed: object) -> tuple[str, ...]:
    names = getattr(parsed, "attachment_names", None)
    return tuple(names or ())

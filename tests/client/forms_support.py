"""A CCR like the example, whose shelter request is a form of its own: the discharge
handoff's fields with the survivor's date of birth and the pets hidden, the summary renamed
and the discharge time optional (the Safety Net vendor checklist's three changes)."""

from __future__ import annotations

import shutil
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example"
FORM_TYPE = "shelter-request"
RENAMED = "What the shelter needs to know"
FORM = f'''
[type.form]
base = "discharge-handoff"

[type.form.fields]
"survivor.date_of_birth" = {{ hidden = true }}
pets = {{ hidden = true }}
summary = {{ label = "{RENAMED}" }}
discharge_at = {{ optional = true }}
'''


def ccr_with_form(directory: Path) -> Path:
    """A copy of the example CCR with the shelter request's form configured."""
    shutil.copytree(EXAMPLE, directory)
    types = directory / "referral_types.toml"
    text = types.read_text()
    start = text.index(f'code = "{FORM_TYPE}"')
    end = text.index("[[type]]", start)
    types.write_text(text[:end] + FORM.lstrip() + "\n" + text[end:])
    return directory


def shelter_document(narrative: str) -> dict:
    return {"kind": FORM_TYPE, "survivor": {"name": "Test Survivor"},
            "needs": ["shelter", "childcare"],
            "safe_contact": {"channels": ["sms"], "phone": "+15555550123"},
            "consent": {"method": "written", "given_at": "2027-01-15T10:00:00-06:00",
                        "documented_by": "mercy-nurse-1", "scope": "shelter intake"},
            "children": 2, "summary": narrative}

"""The browser's send form checks a discharge handoff as hub/client/contents.py does: the
same documents are valid and invalid for web/src/pages/contents.js (run under Node through
web/test/contents-cli.mjs) and for the pydantic models, with the same error locations and
types, and a valid one is written as the same bytes as `Content.to_bytes()`."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from hub.client.contents import DischargeHandoff, Reply

CLI = Path(__file__).resolve().parents[2] / "web" / "test" / "contents-cli.mjs"
MODELS: dict[str, type[BaseModel]] = {"handoff": DischargeHandoff, "reply": Reply}

FULL: dict[str, Any] = {
    "survivor": {"name": "Alex Rivera", "preferred_name": "Alex", "pronouns": "she/her",
                 "date_of_birth": "1990-04-01"},
    "needs": ["shelter", "advocacy", "protective-order"],
    "discharge_at": "2026-11-26T16:00:00Z",
    "safe_contact": {"channels": ["phone", "sms"], "phone": "+1 555 0100",
                     "safe_times": [{"days": "weekdays", "start": "09:00", "end": "12:00"}],
                     "voicemail_ok": False, "may_name_agency": False, "language": "es",
                     "interpreter_needed": True, "notes": "partner checks the phone after 6pm"},
    "consent": {"method": "written", "given_at": "2026-11-25T14:00:00Z",
                "documented_by": "mercy-nurse-1", "scope": "shelter intake",
                "limits": "not the medical details"},
    "children": 2, "pets": True, "accessibility": "wheelchair", "summary": "ground floor",
}
MINIMAL: dict[str, Any] = {
    "survivor": {"name": "A"}, "needs": ["other"], "discharge_at": "today",
    "safe_contact": {"channels": ["through-advocate"]},
    "consent": {"method": "verbal-documented", "given_at": "x", "documented_by": "y",
                "scope": "z"},
}


def changed(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``base`` with the field at ``path`` (dots; a number indexes a list) set to ``value``,
    or removed when ``value`` is ``...``."""
    doc = copy.deepcopy(base)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    at: Any = doc
    for p in parents:
        at = at[p]
    if value is ...:
        del at[last]
    else:
        at[last] = value
    return doc


CASES: list[tuple[str, dict[str, Any]]] = [
    ("handoff", FULL), ("handoff", MINIMAL),
    ("handoff", changed(FULL, "summary", 'quotes " \\ é 🦉 \u2028 \x01 </script>')),
    ("handoff", changed(FULL, "safe_contact.phone", None)),
    ("handoff", changed(FULL, "kind", "discharge-handoff")),
    ("handoff", changed(FULL, "kind", "reply")),
    ("handoff", changed(FULL, "survivor", ...)),
    ("handoff", changed(FULL, "survivor.name", ...)),
    ("handoff", changed(FULL, "survivor", "Alex")),
    ("handoff", changed(FULL, "survivor.nickname", "Al")),
    ("handoff", changed(FULL, "needs", [])),
    ("handoff", changed(FULL, "needs", ["shelter", "spa"])),
    ("handoff", changed(FULL, "needs", "shelter")),
    ("handoff", changed(FULL, "discharge_at", 5)),
    ("handoff", changed(FULL, "safe_contact.channels", [])),
    ("handoff", changed(FULL, "safe_contact.channels", ["fax"])),
    ("handoff", changed(FULL, "safe_contact.safe_times.0.start", "9:00")),
    ("handoff", changed(FULL, "safe_contact.safe_times.0.end", "24:00")),
    ("handoff", changed(FULL, "safe_contact.safe_times.0.end", "23:60")),
    ("handoff", changed(FULL, "safe_contact.safe_times.0.days", ...)),
    ("handoff", changed(FULL, "safe_contact.safe_times", None)),
    ("handoff", changed(FULL, "safe_contact.language", None)),
    ("handoff", changed(FULL, "consent.method", "nod")),
    ("handoff", changed(FULL, "consent.scope", ...)),
    ("handoff", changed(FULL, "children", -1)),
    ("handoff", changed(FULL, "children", "two")),
    ("handoff", changed(FULL, "children", 1.5)),
    ("handoff", changed(FULL, "children", " 3 ")),
    ("handoff", changed(FULL, "children", 3.0)),
    ("handoff", changed(FULL, "pets", None)),
    ("handoff", changed(FULL, "extra", 1)),
    ("handoff", changed(changed(FULL, "needs", []), "safe_contact.channels", [])),
    ("handoff", changed(FULL, "attachment_names", ["scan.pdf", "notes.txt"])),
    ("handoff", changed(FULL, "attachment_names", "scan.pdf")),
    ("handoff", changed(FULL, "attachment_names", [1])),
    ("reply", {"text": "bed held until 6pm"}), ("reply", {"kind": "reply", "text": "ok"}),
    ("reply", {"text": ""}), ("reply", {"text": "a", "extra": 1}), ("reply", {}),
]


def pydantic_verdict(model: type[BaseModel], doc: dict[str, Any]) -> dict[str, Any]:
    try:
        value = model.model_validate(doc)
    except ValidationError as e:
        return {"errors": sorted([list(err["loc"]), err["type"]] for err in e.errors()),
                "json": None}
    return {"errors": [], "json": value.to_bytes().decode()}  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def answers() -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None or not (CLI.parents[1] / "node_modules").is_dir():
        pytest.skip("node or web/node_modules is missing (make web-test)")
    done = subprocess.run([node, str(CLI)], input=json.dumps(
        {"cases": [{"model": m, "doc": d} for m, d in CASES]}), capture_output=True, text=True,
        timeout=60, check=False, env={**os.environ, "NODE_NO_WARNINGS": "1"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["answers"]


@pytest.mark.parametrize("index", range(len(CASES)))
def test_the_browser_and_pydantic_agree(index: int, answers: list[dict[str, Any]]) -> None:
    model, doc = CASES[index]
    expected = pydantic_verdict(MODELS[model], doc)
    got = answers[index]
    assert sorted(got["errors"]) == expected["errors"], doc
    assert got["json"] == expected["json"]

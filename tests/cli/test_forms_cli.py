"""The shelter request with a form of its own (two fields hidden, one renamed) from the
command line: the nurse's `hub send` checks the document against the schema the hub serves
(a hidden field is refused, by name), the shelter's `hub open` reads it safety first under
the form's names, and `hub purge-narrative` keeps the codes and lets the narrative go."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.client.forms_support import FORM_TYPE, RENAMED, ccr_with_form, shelter_document

NURSE, INTAKE = "mercy-nurse-1", "harbor-intake"


@pytest.fixture
def ccr_dir(tmp_path: Path) -> Path:
    return ccr_with_form(tmp_path / "ccr")


def send(demo, doc: dict):
    path = demo.var / "shelter.json"
    path.write_text(json.dumps(doc))
    return demo.hub("send", "--to", "harbor-house", "--type", FORM_TYPE, "--content",
                    str(path), "--consent-by", NURSE, "--json", who=NURSE)


def test_a_form_type_is_sent_opened_and_purged_from_the_command_line(demo) -> None:
    refused = send(demo, {**shelter_document("x"), "pets": True})
    assert refused.code == 2 and "pets: Extra inputs are not permitted" in refused.out
    done = send(demo, shelter_document("she asked for a room near the stairs"))
    assert done.code == 0, done.err
    rid = json.loads(done.out)["id"]

    text = demo.ok("open", rid, who=INTAKE)
    assert text.index("Do NOT leave a voicemail") < text.index("Survivor:")
    assert f"{RENAMED}: she asked for a room near the stairs" in text
    assert "Children: 2" in text and "Needs: shelter, childcare" in text

    demo.ok("purge-narrative", rid, "--yes", who=INTAKE)
    after = demo.ok("open", rid, who=INTAKE)
    assert f"narrative purged by {INTAKE}@harbor-house" in after
    assert "room near the stairs" not in after and "Needs: shelter, childcare" in after
    kept = json.loads(demo.ok("open", rid, "--json", who=INTAKE))
    assert kept["narrative_purged_by"] == f"{INTAKE}@harbor-house"
    assert "summary" not in kept["content"] and kept["content"]["children"] == 2
    nurse_try = demo.hub("purge-narrative", rid, "--yes", who=NURSE)  # she cannot open it
    assert nurse_try.code == 4 and "receiving agency's escalation group" in nurse_try.err

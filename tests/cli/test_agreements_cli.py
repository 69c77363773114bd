"""`hub agreements check` answers from the CCR's configuration what routing will allow."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT


def check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hub.cli", "agreements", "check", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_an_agreed_type_is_allowed_with_its_terms() -> None:
    done = check("--json", "mercy-hospital", "harbor-house", "discharge-handoff")
    assert done.returncode == 0
    assert json.loads(done.stdout) == {
        "allowed": True, "from": "mercy-hospital", "to": "harbor-house",
        "type": "discharge-handoff", "status_flows_back": True, "outcome_flows_back": True,
        "retain_after_close": "7 days"}


def test_a_type_no_agreement_covers_is_refused_naming_what_is_missing() -> None:
    done = check("mercy-hospital", "riverside-pd", "police-report-followup")
    assert done.returncode == 4
    assert "no sharing agreement lets mercy-hospital send 'police-report-followup' to " \
           "riverside-pd" in done.stderr and "Traceback" not in done.stderr


def test_an_unknown_agency_is_named() -> None:
    done = check("mercy-hospital", "harbour-house", "discharge-handoff")
    assert done.returncode == 7 and "no agency 'harbour-house'" in done.stderr

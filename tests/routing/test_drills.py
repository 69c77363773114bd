"""Drill scenarios (config/<ccr>/drills/*.toml) are checked at start-up like every CCR
file: a broken one names its file, key and fault."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.routing.ccr import load_ccr
from tests.conftest import EXAMPLE

FILE = "discharge-2am.toml"


def load(tmp_path: Path, old: str, new: str, file: str = FILE):
    shutil.copytree(EXAMPLE, tmp_path / "ccr")
    path = tmp_path / "ccr" / "drills" / file
    path.write_text(path.read_text().replace(old, new, 1))
    return load_ccr(tmp_path / "ccr")


def test_the_example_ships_three_scenarios_each_telling_only_its_people() -> None:
    ccr = load_ccr(EXAMPLE)
    assert [s.id for s in ccr.drills] == ["discharge-2am", "police-advocate",
                                          "shelter-counseling"]
    night = ccr.drill("discharge-2am")
    assert night is not None and night.steps[0].urgency == "emergent"
    assert "mercy-nurse-1" not in night.people and "harbor-intake" in night.people


@pytest.mark.parametrize(("old", "new", "key", "what"), [
    ('"harbor-night", ', '"harbor-nite", ', "people[1]", "unknown person 'harbor-nite'"),
    ('sender = "mercy-nurse-1"', 'sender = "mercy-admin"', "step[0]",
     "'mercy-admin' is not a sender of mercy-hospital"),
    ('to = "harbor-house"', 'to = "county-prosecutor"', "step[0]",
     "no sharing agreement lets mercy-hospital send 'discharge-handoff'"),
    ('urgency = "emergent"', 'urgency = "now"', "step.0.urgency", "'routine', 'urgent'"),
    ('id = "discharge-2am"', 'id = "night-drill"', "id", "its file's name"),
    ('title = ', 'colour = "red"\ntitle = ', "colour", "Extra inputs are not permitted"),
    ('needs = ["shelter", "transport"]', 'needs = ["shelter", "transport"]\nstory = "x"\n'
     '[[step]]\nfrom = "mercy-hospital"\nsender = "mercy-nurse-1"\nto = "harbor-house"\n'
     'type = "discharge-handoff"\nurgency = "emergent"', "step[1]",
     "the hub tells a drill's steps apart"),
])
def test_a_broken_scenario_names_its_file_key_and_fault(tmp_path, old, new, key, what) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, old, new)
    assert caught.value.path.endswith(FILE)
    assert caught.value.key == key and what in str(caught.value), str(caught.value)


def test_a_step_without_an_escalation_policy_is_refused_as_it_would_reach_nobody(
        tmp_path) -> None:
    with pytest.raises(ConfigError) as caught:  # advocacy requests have an urgent policy only
        load(tmp_path, 'urgency = "urgent"', 'urgency = "emergent"', "police-advocate.toml")
    assert caught.value.path.endswith("police-advocate.toml") and caught.value.key == "step[0]"
    assert "no escalation policy for 'advocacy-request', emergent" in str(caught.value)
    assert "an urgency that has one (urgent)" in str(caught.value), str(caught.value)


ONWARD = "shelter-counseling.toml"


@pytest.mark.parametrize(("old", "new", "key", "what"), [
    ("onward_from = 1", "onward_from = 2", "step[1]", "forwards the referral of an earlier step"),
    ('from = "harbor-house"', 'from = "mercy-hospital"', "step[1]",
     "only harbor-house can forward it onward"),
    ('covers = ["needs", "summary"]', 'covers = ["needs", "diagnosis"]', "step[1]",
     "covers names diagnosis"),
    ('purpose = "counseling"\n', "", "step.1", "names both the step it forwards"),
])
def test_an_onward_step_forwards_an_earlier_step_from_the_agency_it_went_to(
        tmp_path, old, new, key, what) -> None:
    if old.startswith("from"):  # the hospital's own sender, so that only the check fails
        new += '\nsender = "mercy-nurse-1"'
        old += '\nsender = "harbor-intake"'
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, old, new, ONWARD)
    assert caught.value.path.endswith(ONWARD)
    assert caught.value.key == key and what in str(caught.value), str(caught.value)

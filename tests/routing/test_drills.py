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


def load(tmp_path: Path, old: str, new: str):
    shutil.copytree(EXAMPLE, tmp_path / "ccr")
    path = tmp_path / "ccr" / "drills" / FILE
    path.write_text(path.read_text().replace(old, new, 1))
    return load_ccr(tmp_path / "ccr")


def test_the_example_ships_two_scenarios_each_telling_only_its_people() -> None:
    ccr = load_ccr(EXAMPLE)
    assert [s.id for s in ccr.drills] == ["discharge-2am", "police-advocate"]
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
])
def test_a_broken_scenario_names_its_file_key_and_fault(tmp_path, old, new, key, what) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, old, new)
    assert caught.value.path.endswith(FILE)
    assert caught.value.key == key and what in str(caught.value), str(caught.value)

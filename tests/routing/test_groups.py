"""Escalation groups as an agency admin signs them from the CCR's people: each person once,
only people who hold the role, and every agency that sends or receives has someone to
receive (a hospital's point person reads the replies to its handoffs). Checked at
start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.client.rosters import escalation_groups
from hub.errors import ConfigError
from hub.routing.ccr import load_ccr

from .test_config_errors import EXAMPLE, edited_copy

ROLES = {"a": ("point_person",), "a2": ("point_person", "sender"), "b": ("backup",),
         "s": ("sender",)}


@pytest.mark.parametrize("agency", [a.id for a in load_ccr(EXAMPLE).agencies])
def test_the_example_names_each_person_once_and_only_with_the_role(agency: str) -> None:
    ccr = load_ccr(EXAMPLE)
    roles = {p.id: set(p.roles) for p in ccr.people}
    for group in escalation_groups(ccr, agency):
        members = [group.point_person, *group.backups]
        assert len(members) == len(set(members)), (agency, members)
        assert "point_person" in roles[group.point_person], (agency, group.point_person)
        for backup in group.backups:
            assert roles[backup] & {"backup", "point_person"}, (agency, backup)


def test_the_hospital_has_a_point_person_for_the_replies_to_its_handoffs() -> None:
    ccr = load_ccr(EXAMPLE)
    (group, *_) = escalation_groups(ccr, "mercy-hospital")
    assert (group.point_person, group.backups) == ("mercy-nurse-1", ("mercy-nurse-2",))


def test_an_agency_that_sends_without_a_point_person_stops_start_up(tmp_path: Path) -> None:
    directory = edited_copy(tmp_path, "people.toml", 'roles = ["sender", "point_person"]',
                            'roles = ["sender"]')
    with pytest.raises(ConfigError) as caught:
        load_ccr(directory)
    message = str(caught.value)
    assert message.startswith(f"{directory / 'people.toml'}: mercy-hospital")
    assert "'point_person' role" in message


@pytest.mark.parametrize(("members", "problem"), [
    (("a", "b", "b"), "names b twice"),
    (("a", "a"), "names a twice"),
    (("s",), "names s, who has no point_person role"),
    (("a", "s"), "names s, who has no point_person or backup role"),
    (("a", "b", "a2"), None),
])
def test_a_group_naming_someone_twice_or_without_the_role_is_named(
        members: tuple[str, ...], problem: str | None) -> None:
    from hub.routing.groups import Group, group_problem

    assert group_problem(Group("t", members[0], members[1:]), ROLES) == problem

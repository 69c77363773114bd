"""schedules.toml: checked at start-up with the file, the key and what is wrong; and who is
on duty at a moment, read on the agency's wall clock across both daylight-saving changes,
overnight shifts, holidays, overrides and away periods, with the gaps where no one is."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.errors import ConfigError
from hub.routing.ccr import load_ccr
from hub.routing.coverage import Coverage, Span
from hub.routing.schedules import Schedules

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example"
CHICAGO = ZoneInfo("America/Chicago")

SHELTER = """
[[schedule]]
agency = "harbor-house"

[[schedule.layer]]
name = "day"
people = ["harbor-intake", "harbor-director"]
starts = 2027-01-04T08:00:00
from = "08:00"
until = "20:00"

[[schedule.layer]]
name = "night"
people = ["harbor-night"]
starts = 2027-01-04T20:00:00
from = "20:00"
until = "08:00"
holidays = "off"

[[schedule.layer]]
name = "holiday-nights"
duty = "backup"
people = ["harbor-director"]
starts = 2027-01-04T20:00:00
from = "20:00"
until = "08:00"
holidays = "only"
"""


def load(tmp_path: Path, text: str):
    shutil.copytree(EXAMPLE, tmp_path / "ccr")
    (tmp_path / "ccr" / "schedules.toml").write_text(text)
    return load_ccr(tmp_path / "ccr")


@pytest.mark.parametrize(("old", "new", "key", "what"), [
    ('"harbor-director"]', '"mercy-nurse-1"]', "schedule[0].layer[0].people[1]",
     "mercy-nurse-1 is of mercy-hospital, not harbor-house"),
    ('"harbor-director"]', '"harbor-diretor"]', "schedule[0].layer[0].people[1]",
     "unknown person 'harbor-diretor'"),
    ('agency = "harbor-house"', 'agency = "harbour-house"', "schedule[0].agency",
     "unknown agency 'harbour-house'"),
    ('until = "20:00"', 'until = "25:00"', "schedule[0].layer[0].until", "should match"),
    ('until = "20:00"', 'until = "08:00"', "schedule[0].layer[0]",
     "'from' and 'until' are the same time"),
    ("starts = 2027-01-04T08:00:00", "starts = 2027-01-04T08:00:00-06:00",
     "schedule[0].layer[0]", "without an offset"),
    ('holidays = "off"', 'holidays = "sometimes"', "schedule[0].layer[1].holidays",
     "'work', 'off' or 'only'"),
    ('name = "day"', 'name = "day"\nshift = 3', "schedule[0].layer[0].shift",
     "Extra inputs are not permitted"),
])
def test_a_broken_schedule_names_its_file_key_and_fault(tmp_path, old, new, key, what) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, SHELTER.replace(old, new, 1))
    assert caught.value.path.endswith("schedules.toml")
    assert caught.value.key == key and what in str(caught.value), str(caught.value)


def test_people_outside_the_group_and_bad_periods_are_refused(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not in mercy-hospital's escalation group") as e:
        load(tmp_path / "a", '[[override]]\nagency = "mercy-hospital"\nperson = "mercy-ehr"\n'
             "from = 2027-01-01T00:00:00\nuntil = 2027-01-02T00:00:00\n")
    assert e.value.key == "override[0].person"
    with pytest.raises(ConfigError, match="'until' must be after 'from'") as e:
        load(tmp_path / "b", '[[away]]\nperson = "harbor-night"\n'
             "from = 2027-01-02T00:00:00\nuntil = 2027-01-01T00:00:00\n")
    assert e.value.key == "away[0].until"
    with pytest.raises(ConfigError, match="unknown table") as e:
        load(tmp_path / "c", "[[rota]]\nname = 'x'\n")
    twice = SHELTER + '\n[[schedule]]\nagency = "harbor-house"\ntypes = ["shelter-request"]\n' \
        '[[schedule.layer]]\nname = "x"\npeople = ["harbor-night"]\n' \
        "starts = 2027-01-04T00:00:00\n"
    with pytest.raises(ConfigError, match="has a schedule already") as e:
        load(tmp_path / "d", twice)
    assert e.value.key == "schedule[1]"


def test_the_example_loads_and_an_agency_without_a_schedule_has_none() -> None:
    ccr = load_ccr(EXAMPLE)
    assert ccr.schedules.agencies() == ("bridge-advocacy",)
    assert ccr.schedules.of("harbor-house", "shelter-request") is None
    assert load_ccr(EXAMPLE).schedules == ccr.schedules
    assert Schedules().of("bridge-advocacy", "advocacy-request") is None


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=CHICAGO).timestamp()


def coverage(tmp_path, *, overrides=(), away=(), holidays=(date(2027, 11, 25),)) -> Coverage:
    ccr = load(tmp_path, SHELTER)
    return Coverage(ccr.schedules.schedule[0], "America/Chicago", holidays, overrides, away)


def test_turns_hand_over_at_the_same_wall_clock_time_across_both_changes(tmp_path) -> None:
    cov = coverage(tmp_path)
    # 4 Jan 2027 08:00 starts intake's week; a week later the director's
    assert cov.at(at("2027-01-04T08:00")).point_person == "harbor-intake"
    assert cov.at(at("2027-01-11T07:59")).point_person == "harbor-night"
    assert cov.at(at("2027-01-11T08:00")).point_person == "harbor-director"
    # 10 weeks later, after spring forward (14 Mar): still 08:00 on the wall
    assert cov.at(at("2027-03-15T07:59")).point_person == "harbor-night"
    assert cov.at(at("2027-03-15T08:00")).point_person == "harbor-intake"
    # and after fall back (7 Nov): 45 weeks on, the director's week, from 08:00 CST
    assert cov.at(at("2027-11-15T07:59")).point_person == "harbor-night"
    assert cov.at(at("2027-11-15T08:00")).point_person == "harbor-director"
    assert cov.at(at("2027-11-08T08:00")).point_person == "harbor-intake"


def test_a_holiday_night_has_the_director_as_backup_and_no_night_advocate(tmp_path) -> None:
    cov = coverage(tmp_path)  # Thanksgiving 25 Nov 2027 is a holiday
    night = cov.at(at("2027-11-25T23:00"))
    assert (night.point_person, night.backups) == (None, ("harbor-director",))
    after = cov.at(at("2027-11-26T03:00"))  # the holiday's night runs to 08:00 the next day
    assert after.backups == ("harbor-director",) and after.point_person is None
    assert cov.at(at("2027-11-26T23:00")).point_person == "harbor-night"


def test_overrides_come_first_and_away_people_are_never_on_duty(tmp_path) -> None:
    start, end = at("2027-01-05T12:00"), at("2027-01-05T14:00")
    cov = coverage(tmp_path, overrides=[Span("o", "harbor-night", start, end, "point_person")],
                   away=[Span("a", "harbor-intake", start, end)])
    assert cov.at(at("2027-01-05T13:00")).point_person == "harbor-night"
    assert cov.at(at("2027-01-05T13:00")).backups == ()  # intake is away
    assert cov.at(at("2027-01-05T14:00")).point_person == "harbor-intake"


def test_gaps_are_merged_stretches_with_no_one_on_duty_across_a_change(tmp_path) -> None:
    away = [Span("a", "harbor-night", at("2027-03-13T22:00"), at("2027-03-14T06:00"))]
    cov = coverage(tmp_path, away=away)
    gaps = cov.gaps(at("2027-03-13T00:00"), at("2027-03-15T00:00"))
    assert gaps == [(at("2027-03-13T22:00"), at("2027-03-14T06:00"))]
    assert gaps[0][1] - gaps[0][0] == 7 * 3600  # the night lost an hour to the change
    assert coverage(tmp_path / "b").gaps(at("2027-03-13T00:00"), at("2027-03-20T00:00")) == []

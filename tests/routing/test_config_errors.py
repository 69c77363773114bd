"""A broken community definition stops start-up with a ConfigError naming the file, the key
and what is wrong; the shipped example loads and has the agencies the product promises.

Each case copies config/example, makes one edit to one file, and loads it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.routing.ccr import Ccr, load_ccr

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example"
AGENCY_KINDS = {"hospital", "police", "shelter", "advocacy", "counseling", "prosecutor",
                "coordination"}


@dataclass(frozen=True)
class Breakage:
    file: str
    old: str  # replaced, first occurrence only; the whole file is deleted when new is None
    new: str | None
    key: str | None  # None: the error names no key (the whole file is wrong)
    what: tuple[str, ...]


def case(id: str, file: str, old: str, new: str | None, key: str | None, *what: str):
    return pytest.param(Breakage(file, old, new, key, what), id=id)


CASES = [
    case("toml-syntax", "agencies.toml", 'kind = "hospital"', 'kind = "hospital', None,
         "not valid TOML", "line 7"),
    case("missing-required-key", "agencies.toml", 'kind = "hospital"\n', "", "agency[0].kind",
         "Field required"),
    case("wrong-type-int", "policies.toml", "repeat = 3", 'repeat = "three"',
         "policy[0].repeat", "valid integer"),
    case("wrong-type-date", "agencies.toml", "holidays = [2026-12-25", 'holidays = ["Xmas"',
         "agency[3].holidays.0", "valid date"),
    case("unknown-agency-of-person", "people.toml", 'agency = "mercy-hospital"',
         'agency = "mercy-hosptal"', "person[0].agency", "unknown agency 'mercy-hosptal'",
         "known: bridge-advocacy, ccr-coordination"),
    case("unknown-type-in-policy", "policies.toml", 'type = "discharge-handoff"',
         'type = "discharge-handof"', "policy[0].type",
         "unknown referral type 'discharge-handof'"),
    case("unknown-from-agency-in-agreement", "agreements.toml",
         'from_agency = "mercy-hospital"', 'from_agency = "mercy"',
         "agreement[0].from_agency", "unknown agency 'mercy'"),
    case("unknown-to-agency-in-agreement", "agreements.toml", 'to_agency = "harbor-house"',
         'to_agency = "harbour-house"', "agreement[0].to_agency",
         "unknown agency 'harbour-house'"),
    case("unknown-type-in-agreement", "agreements.toml", '"shelter-request"]',
         '"shelter-requests"]', "agreement[0].types[1]",
         "unknown referral type 'shelter-requests'"),
    case("duplicate-person-id", "people.toml", 'id = "mercy-nurse-2"', 'id = "mercy-nurse-1"',
         "person[1]", "duplicate id 'mercy-nurse-1'"),
    case("duplicate-policy", "policies.toml", 'urgency = "urgent"', 'urgency = "emergent"',
         "policy[1]", "duplicate id 'discharge-handoff/emergent'"),
    case("bad-time-zone", "agencies.toml", '"America/Chicago"', '"America/Chicgo"',
         "agency[0].timezone", "unknown time zone 'America/Chicgo'", "IANA name"),
    case("bad-duration", "policies.toml", 'ack_within = "30m"', 'ack_within = "half an hour"',
         "policy[0].ack_within", "cannot read duration 'half an hour'"),
    case("bad-duration-in-ladder", "policies.toml", 'after = "15m"', 'after = "15 mns"',
         "policy[0].escalation.1.after", "cannot read duration '15 mns'"),
    case("claim-pause-in-business-time", "policies.toml", "repeat = 3",
         'repeat = 3\nclaim_pause = "1 business day"', "policy[0].claim_pause",
         "a claim pauses escalation for minutes or hours of wall time"),
    case("claim-pause-too-long", "policies.toml", "repeat = 3",
         'repeat = 3\nclaim_pause = "2 days"', "policy[0].claim_pause", "at most a day"),
    case("unknown-rung-channel", "policies.toml", '{ notify = "coordinator", after = "30m" }',
         '{ notify = "coordinator", after = "30m", channel = "fax" }',
         "policy[0].escalation.2.channel", "'email' or 'sms' or 'voice' or 'push'"),
    case("bad-quiet-hours-switch", "policies.toml", "repeat = 3",
         'repeat = 3\nquiet_hours = "ignore"', "policy[0].quiet_hours", "'hold' or 'override'"),
    case("push-channel-with-address", "people.toml",
         'channels = [{ kind = "sms", number = "+15555550121" }]',
         'channels = [{ kind = "push", number = "+15555550121" }]',
         "person[7].channels.0", "a push channel has neither 'address' nor 'number'"),
    case("business-minutes", "policies.toml", 'ack_within = "30m"',
         'ack_within = "30 business minutes"', "policy[0].ack_within",
         "business time counts hours or days"),
    case("hours-end-before-start", "agencies.toml", 'start = "09:00", end = "17:00"',
         'start = "17:00", end = "09:00"', "agency[3].business_hours.end",
         "business hours must end after they start"),
    case("hours-not-a-clock", "agencies.toml", 'start = "08:00"', 'start = "8am"',
         "agency[1].business_hours.start", "should match pattern"),
    case("hours-bad-weekday", "agencies.toml", "5, 6]", "5, 7]",
         "agency[0].business_hours.days.6", "less than or equal to 6"),
    case("hours-no-open-day", "agencies.toml", "days = [0, 1, 2, 3, 4], start = \"08:00\"",
         "days = [], start = \"08:00\"", "agency[1].business_hours.days", "at least 1 item"),
    case("unknown-role", "people.toml", 'roles = ["sender", "point_person"]',
         'roles = ["sender", "nurse"]', "person[0].roles.1", "'point_person'", "'coordinator'"),
    case("bad-email", "people.toml", "sane-day@mercy.example.org", "sane-day at mercy",
         "person[0].channels.0.address", "should match pattern"),
    case("bad-phone", "people.toml", "+15555550110", "555-0110",
         "person[4].channels.1.number", "should match pattern"),
    case("email-channel-with-number", "people.toml",
         'address = "sane-day@mercy.example.org"', 'number = "+15555550100"',
         "person[0].channels.0", "an email channel has an 'address' and no 'number'"),
    case("unknown-key", "people.toml", 'language = "es"', 'langauge = "es"',
         "person[1].langauge", "Extra inputs are not permitted"),
    case("unknown-table", "agencies.toml", "[[agency]]", "[[agencies]]", "agencies",
         "unknown table", "[[agency]]"),
    case("missing-file", "agreements.toml", "", None, None,
         "cannot read", "No such file or directory"),
    case("milestone-unknown-type", "milestones.toml", 'type = "legal-advocacy"',
         'type = "legal-advice"', "milestone[7].type", "unknown referral type 'legal-advice'",
         "known: advocacy-request"),
    case("milestone-twice", "milestones.toml", 'code = "exam-followup-attended"',
         'code = "exam-followup-scheduled"', "milestone[1].code",
         "duplicate milestone 'exam-followup-scheduled' for 'discharge-handoff'"),
    case("milestone-misses-nothing", "milestones.toml", 'misses = "exam-followup-attended"',
         'misses = "first-session"', "milestone[2].misses",
         "'first-session' is no milestone of 'discharge-handoff' with a deadline"),
    case("milestone-free-text-code", "milestones.toml", 'code = "no-show"',
         'code = "Did not come"', "milestone[2].code", "should match pattern"),
    case("milestone-bad-duration", "milestones.toml", 'within = "14 days"',
         'within = "two weeks"', "milestone[1].within", "duration"),
]


def edited_copy(tmp_path: Path, file: str, old: str, new: str | None) -> Path:
    """config/example copied, with ``old`` replaced once in ``file`` (deleted if new is None)."""
    directory = tmp_path / "ccr"
    shutil.copytree(EXAMPLE, directory)
    target = directory / file
    if new is None:
        target.unlink()
        return directory
    text = target.read_text()
    if old not in text:
        raise LookupError(f"{file} no longer contains {old!r}")
    target.write_text(text.replace(old, new, 1))
    return directory


def load_error(directory: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_ccr(directory)
    return str(caught.value)


@pytest.mark.parametrize("breakage", CASES)
def test_a_broken_file_names_file_key_and_fault(tmp_path: Path, breakage: Breakage) -> None:
    directory = edited_copy(tmp_path, breakage.file, breakage.old, breakage.new)
    message = load_error(directory)
    where = str(directory / breakage.file)
    assert message.startswith(f"{where}: {breakage.key}: " if breakage.key else f"{where}: ")
    for fragment in breakage.what:
        assert fragment in message


def test_milestones_are_optional(tmp_path: Path) -> None:
    ccr = load_ccr(edited_copy(tmp_path, "milestones.toml", "", None))
    assert ccr.milestones.of("discharge-handoff") == ()


def test_a_missing_ccr_directory_is_named(tmp_path: Path) -> None:
    assert load_error(tmp_path / "nowhere") == f"{tmp_path / 'nowhere'}: no such CCR directory"


@pytest.mark.parametrize(("old", "new", "key"), [
    ('{ kind = "sms", number = "+15555550111" }', '{ kind = "sms" }', "person[5].channels.0"),
    ('{ kind = "email", address = "sane-day@mercy.example.org" }', '{ kind = "email" }',
     "person[0].channels.0"),
], ids=["sms-without-number", "email-without-address"])
def test_a_channel_without_its_address_is_refused(tmp_path: Path, old: str, new: str,
                                                  key: str) -> None:
    message = load_error(edited_copy(tmp_path, "people.toml", old, new))
    assert f"people.toml: {key}" in message


def test_a_negative_duration_is_refused(tmp_path: Path) -> None:
    message = load_error(edited_copy(tmp_path, "policies.toml", 'ack_within = "30m"',
                                     'ack_within = { amount = -30, unit = "minutes" }'))
    assert "policy[0].ack_within" in message


@pytest.mark.parametrize("zone", ["America", "US"])
def test_a_time_zone_region_is_refused(tmp_path: Path, zone: str) -> None:
    message = load_error(edited_copy(tmp_path, "agencies.toml", '"America/Chicago"', f'"{zone}"'))
    assert f"agency[0].timezone: unknown time zone '{zone}'" in message


@pytest.fixture(scope="module")
def example() -> Ccr:
    return load_ccr(EXAMPLE)


def test_the_example_has_one_agency_of_each_promised_kind(example: Ccr) -> None:
    assert len(example.agencies) == 7
    assert {a.kind for a in example.agencies} == AGENCY_KINDS
    assert {a.timezone for a in example.agencies} == {"America/Chicago"}


def test_the_example_routes_every_agreement_to_someone(example: Ccr) -> None:
    receivers = {a.to_agency for a in example.agreements}
    for agency in receivers:
        roles = {r for p in example.people_of(agency) for r in p.roles}
        assert "point_person" in roles, agency
    assert any("coordinator" in p.roles for p in example.people)
    for agreement in example.agreements:
        for code in agreement.types:
            assert any(p.type == code for p in example.policies), code

"""`hub schedule` as an agency admin uses it against a real `hub serve`: who is on duty now,
an away period that opens a gap (shown by `hub schedule gaps` in the agency's own time
zone), an override added and removed, a person who leaves taken off the schedule (the
gap that leaves shown); another agency's schedule is not found, and a
mistake says what to fix."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.clock import SystemClock

ADMIN, ADVOCATE, OTHER = "bridge-lead", "bridge-advocate", "harbor-director"
AGENCY = "bridge-advocacy"


def in_days(days: int) -> date:
    """A day in Chicago, ``days`` from today (the served hub runs on the real clock)."""
    now = datetime.fromtimestamp(SystemClock().now(), ZoneInfo("America/Chicago"))
    return now.date() + timedelta(days=days)


def test_an_admin_sees_changes_and_checks_coverage(demo) -> None:
    shown = demo.ok("schedule", "show", AGENCY, who=ADMIN)
    assert "on duty now: point person" in shown and "layer on-call (point person)" in shown
    assert "gaps in the next 7 days: none" in shown

    night = in_days(3)
    for person in (ADVOCATE, ADMIN):
        said = demo.ok("schedule", "away", person, "--from", f"{night}T02:00", "--until",
                       f"{night}T06:00", who=ADMIN)
        assert f"{person} is away from {night} 02:00" in said
    gaps = demo.ok("schedule", "gaps", who=ADMIN)  # their own agency
    day = night.strftime("%a %d %b")
    assert f"no one on duty for discharge-handoff, advocacy-request, legal-advocacy, " \
        f"{day} 02:00–06:00 C" in gaps

    later = in_days(5)
    said = demo.ok("schedule", "override", AGENCY, ADMIN, "--from", f"{later}T08:00",
                   "--until", f"{later}T20:00", "--json", who=ADMIN)
    entry = json.loads(said)
    assert entry["person"] == ADMIN and entry["duty"] == "point_person"
    assert entry["id"] in demo.ok("schedule", "show", who=ADMIN)
    assert f"removed {entry['id']}" in demo.ok("schedule", "remove", AGENCY, entry["id"],
                                               who=ADMIN)
    assert entry["id"] not in demo.ok("schedule", "show", who=ADMIN)

    # the lead is away one night later on, while the advocate covers; then the advocate
    # leaves: offboarding takes them off both layers, deletes their away period, and says
    # that the lead's night away is now a gap
    gone = in_days(4)
    demo.ok("schedule", "away", ADMIN, "--from", f"{gone}T02:00", "--until", f"{gone}T06:00",
            who=ADMIN)
    assert gone.strftime("%a %d %b") not in demo.ok("schedule", "gaps", who=ADMIN)
    left = demo.ok("agency", "offboard", ADVOCATE, "--root", str(demo.root(AGENCY)),
                   "--agency", AGENCY, "--yes", who=ADMIN)
    assert "out of every escalation group and schedule" in left
    assert "taken off schedule layer(s) on-call, second: their turns are uncovered" in left
    assert "their override(s) and away period(s) removed: a-" in left
    gap = f"{gone.strftime('%a %d %b')} 02:00–06:00 C"
    assert gap in left and gap in demo.ok("schedule", "gaps", who=ADMIN)
    shown = demo.ok("schedule", "show", who=ADMIN)
    assert f"left the agency: {ADVOCATE}" in shown
    away = shown.split("\naway:\n")[1].split("\ngaps")[0]
    assert ADMIN in away and ADVOCATE not in away


def test_another_agencys_schedule_is_not_found_and_mistakes_say_what_to_fix(demo) -> None:
    other = demo.hub("schedule", "show", AGENCY, who=OTHER)
    assert other.code == 7 and f"no agency '{AGENCY}' whose schedule you may see" in other.err
    day = in_days(2)
    late = demo.hub("schedule", "override", AGENCY, ADMIN, "--from", f"{day}T20:00",
                    "--until", f"{day}T08:00", who=ADMIN)
    assert late.code == 4 and "must end after it starts" in late.err
    words = demo.hub("schedule", "override", AGENCY, ADMIN, "--from", "tomorrow night",
                     "--until", f"{day}T08:00", who=ADMIN)
    assert words.code == 4 and "write it as 2026-12-24T18:00" in words.err
    point = demo.hub("schedule", "away", ADMIN, "--from", f"{day}", "--until", f"{day}",
                     who=ADVOCATE)
    assert point.code == 4 and "only an agency admin of bridge-advocacy" in point.err
    for result in (other, late, words, point):
        assert "Traceback" not in result.err

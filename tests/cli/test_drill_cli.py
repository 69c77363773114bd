"""`hub drill` as a coordinator uses it against a real `hub serve`: the scenarios, a drill
started and sealed on the drill sender device (a hub home of its own: the hospital nurse's
demo device, as an admin would approve one into the hospital's roster; then the ones `hub
run` puts in the coordinator's home), the point
person's CLI marking it DRILL and refusing a real-looking reply, the debrief as CSV, and
the end that leaves nothing to see; and the onward scenario, its second step forwarded by
the shelter's drill sender device with the record the counselor's device reads."""

from __future__ import annotations

import json

COORDINATOR, POINT, SENDER = "ccr-coordinator", "harbor-intake", "mercy-nurse-1"


def test_a_coordinator_runs_a_drill_from_the_command_line(demo, tmp_path) -> None:
    listed = demo.ok("drill", "scenarios", who=COORDINATOR)
    assert "discharge-2am: Emergent discharge handoff at 2 a.m." in listed
    started = json.loads(demo.ok("drill", "start", "discharge-2am", "--sender-home",
                                 str(demo.home(SENDER)), "--json", who=COORDINATOR))
    did, [sent] = started["drill"]["id"], started["referrals"]
    assert sent["drill"] == did and sent["sender_agency"] == "mercy-hospital"

    inbox = demo.ok("inbox", who=POINT)
    assert "DRILL discharge-handoff" in inbox and sent["id"] in inbox
    opened = demo.ok("open", sent["id"], who=POINT)
    assert opened.startswith("DRILL: practice only") and "DRILL Practice Person" in opened
    refused = demo.hub("reply", sent["id"], "--text", "call her on 312-867-5309", who=POINT)
    assert refused.code == 4 and "looks like a real phone number" in refused.err
    demo.ok("reply", sent["id"], "--text", "bed ready; ring 555-0100", who=POINT)

    csv = tmp_path / "debrief.csv"
    ended = demo.ok("drill", "end", did, "--csv", str(csv), who=COORDINATOR)
    assert f"drill {did} ended" in ended and ",replied,harbor-intake," in csv.read_text()
    gone = demo.hub("status", sent["id"], who=POINT)
    assert gone.code == 7

    # `hub run` gave the coordinator's home a drill sender device per sending agency
    police = demo.ok("drill", "start", "police-advocate", who=COORDINATOR)
    assert "to bridge-advocacy (advocacy-request, urgent)" in police
    assert "DRILL advocacy-request" in demo.ok("inbox", who="bridge-advocate")
    assert "police-advocate" in demo.ok("drill", "list", who=COORDINATOR)
    assert demo.hub("drill", "start", "discharge-2am", who=POINT).code == 4  # not theirs

    # the onward scenario: the shelter's drill sender device forwards the hospital's handoff
    onward = json.loads(demo.ok("drill", "start", "shelter-counseling", "--json",
                                who=COORDINATOR))
    first, second = onward["referrals"]
    assert second["sender_agency"] == "harbor-house" and second["drill"] == first["drill"]
    case = json.loads(demo.ok("case", "show", second["id"], "--json", who="northside-intake"))
    assert case["forwarding"] == {"purpose": "counseling", "covers": ["needs", "summary"]}
    assert [(x["from"], x["to"]) for x in case["steps"]][:1] == [("mercy-hospital",
                                                                   "harbor-house")]
    demo.ok("drill", "end", onward["drill"]["id"], who=COORDINATOR)
    assert demo.hub("status", second["id"], who="northside-intake").code == 7

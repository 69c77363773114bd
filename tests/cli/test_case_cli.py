"""`hub case forward` and `hub case show` as a shelter and a counselor use them: the shelter
refers the survivor onward with the record its consent covers, the counselor reads the
hospital's handoff and the shelter's notes in one timeline, and the hospital sees that the
survivor went on to counseling (the agreement lets status flow back)."""

from __future__ import annotations

import json

from .test_daily_work import INTAKE, NURSE, sent_id

COUNSELOR = "northside-intake"


def test_a_shelter_forwards_a_case_and_the_counselor_reads_the_whole_journey(demo) -> None:
    first = sent_id(demo, "--urgency", "routine", "--share-outcome")  # milestones flow back
    demo.ok("open", first, who=INTAKE)
    notes = demo.var / "notes.json"
    notes.write_text(json.dumps({"kind": "counseling-referral",
                                 "text": "Stayed three nights; asks for evening sessions"}))
    forward = ["case", "forward", first, "--to", "northside-counseling", "--type",
               "counseling-referral", "--content", str(notes), "--purpose", "counseling",
               "--consent-by", INTAKE]
    typo = demo.hub(*forward, "--covers", "survivor,diagnosis", who=INTAKE)
    assert typo.code == 2 and "no field diagnosis" in typo.err and "Traceback" not in typo.err
    onward = json.loads(demo.ok(*forward, "--covers", "survivor,needs,safe_contact", "--json",
                                who=INTAKE))["id"]

    shown = demo.ok("case", "show", onward, who=COUNSELOR)
    assert "agencies involved: mercy-hospital, harbor-house, northside-counseling" in shown
    assert "Test Survivor" in shown and "+15555550199" in shown  # never retold
    assert "asks for evening sessions" in shown
    assert "shelter intake" not in shown  # the consent section was not covered
    assert "covers: survivor, needs, safe_contact" in shown

    steps = json.loads(demo.ok("case", "show", first, "--json", who=NURSE))["steps"]
    assert [(s["to"], s["status"]) for s in steps] == [("harbor-house", "requested"),
                                                       ("northside-counseling", None)]

    for step in (("ack", first), ("accept", first),
                 ("milestone", first, "exam-followup-scheduled")):
        demo.ok(*step, who=INTAKE)
    shown = demo.ok("case", "show", first, who=NURSE)  # status flows back to Mercy
    assert "milestones of mercy-hospital to harbor-house (discharge-handoff):" in shown
    assert "Follow-up exam scheduled (exam-followup-scheduled): recorded" in shown
    assert "Follow-up exam attended (exam-followup-attended): due" in shown

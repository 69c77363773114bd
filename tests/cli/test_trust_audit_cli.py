"""`hub trust audit`: two people paste each other's roster log head; along one history the
heads agree, and a head of another history (the hub equivocated) is named as such."""

from __future__ import annotations

import json

from hub.crypto import AgencyRoot
from hub.crypto.auditlog import HubKey
from hub.crypto.rosterlog import LogHead

from .test_daily_work import INTAKE, NURSE, sent_id


def test_two_people_compare_roster_log_heads(demo) -> None:
    sent_id(demo)  # the nurse's device fetched harbor-house's roster: the log has it
    mine = json.loads(demo.ok("trust", "audit", "--json", who=NURSE))
    theirs = json.loads(demo.ok("trust", "audit", "--json", who=INTAKE))
    assert mine["count"] >= 1 and mine["head"].startswith("CCRLOG1:")
    agreed = demo.ok("trust", "audit", theirs["head"], who=NURSE)
    assert "the two heads agree" in agreed

    # a head of another history, signed by the same hub key, is equivocation
    forged = LogHead.parse(mine["head"])
    seed = (demo.var / "hub-signing.key").read_text().strip()
    key = HubKey.from_seed(bytes.fromhex(seed))
    assert key.public == forged.key
    other = LogHead.signed(key, forged.count, bytes(32)).text()
    refused = demo.hub("trust", "audit", other, who=NURSE)
    assert refused.code == 6 and "EQUIVOCATION" in refused.err, refused.err
    assert "Traceback" not in refused.err

    stranger = LogHead.signed(HubKey.from_seed(AgencyRoot.generate().seed), 1, bytes(32))
    assert "different hubs" in demo.hub("trust", "audit", stranger.text(), who=NURSE).err
    garbled = demo.hub("trust", "audit", "CCRLOG1:nonsense", who=NURSE)
    assert garbled.code == 6 and "paste the whole line" in garbled.err

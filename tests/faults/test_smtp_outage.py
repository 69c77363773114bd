"""The mail server is down for an hour (the fake clock's hour: the aiosmtpd server is
stopped, then started again on the same port). An urgent referral's point person is texted
instead once email has had its 15 minutes; routine notices keep being retried and arrive
once the server is back. Nothing is lost, nothing arrives twice."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hub.crypto import Urgency

from .conftest import CANARY
from .harness import Api, seal_many, submit
from .invariants import check_invariants

CHICAGO = ZoneInfo("America/Chicago")
HOUR = 3600
SHELTER = (("mercy-hospital", "harbor-house", "discharge-handoff"),)  # urgent: email, text
COUNSELING = (("mercy-hospital", "northside-counseling", "counseling-referral"),)  # routine
INTAKE_SMS, NIGHT_SMS = "+15555550120", "+15555550121"
DIRECTOR, COUNSELOR = "director@harbor.example.org", "intake@northside.example.org"


async def test_an_hour_without_a_mail_server_loses_no_notice(rig) -> None:
    hub = rig.hub
    start = datetime(2027, 1, 19, 10, 0, tzinfo=CHICAGO).timestamp()  # a Tuesday morning
    hub.clock.set(start)
    urgent = seal_many(hub.world, 2, CANARY, now=int(start), routes=SHELTER)
    routine = seal_many(hub.world, 2, CANARY, now=int(start), routes=COUNSELING,
                        urgency=Urgency.ROUTINE)
    rig.smtp.stop()
    for sub in urgent + routine:
        assert await submit(Api(hub.client), sub, rig.ledger) == 201

    await rig.run_until(start + HOUR - 1)
    assert rig.smtp.inbox.raw == []
    assert sorted(t["to"] for t in rig.sms.texts) == [INTAKE_SMS] * 2  # email had 15 min
    restored = hub.clock.now()
    rig.smtp.start()
    await rig.run_until(start + HOUR + 30 * 60)

    assert set(rig.smtp.inbox.to()) == {COUNSELOR, DIRECTOR}
    assert sorted(t["to"] for t in rig.sms.texts) == [INTAKE_SMS] * 2 + [NIGHT_SMS] * 2
    findings = await check_invariants(rig.evidence(), every_notice_sent=True)
    assert findings.sent_groups() == 2 * 3 + 2  # urgent: intake, night, director; routine
    sent = {nid: n for nid, n in findings.notices.items() if n["status"] == "sent"}
    assert all(findings.copies[nid] == 1 for nid in sent), "a notice arrived twice"
    texted = [n for n in sent.values() if n["to"] == INTAKE_SMS]
    assert all(float(n["sent_at"]) <= start + 20 * 60 for n in texted)
    counseling = [n for n in sent.values() if n["to"] == COUNSELOR]
    assert len(counseling) == 2 and all(float(n["sent_at"]) >= restored for n in counseling)

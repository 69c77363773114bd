"""The coordinator's side of a drill: its drill sender device seals each step of the
scenario with generated content, marked DRILL, and posts it to the drill. The hub holds no
private key for this: the device is the coordinator's, a device of the step's sending agency
in that agency's signed roster (approved by its admin like any other)."""

from __future__ import annotations

import json
from collections.abc import Callable

from hub.api import schemas as s
from hub.api.casefile import CaseFile, Forwarding, RecordStep, attach, detach, forward, new_case
from hub.api.drills import RealLooking, drill_content, refuse_real_looking
from hub.crypto import Urgency, seal

from .agent import Agent
from .errors import HubApiError

URGENCIES = {"routine": Urgency.ROUTINE, "urgent": Urgency.URGENT,
             "emergent": Urgency.EMERGENT}
LIFETIME = 7 * 86400


async def seal_steps(sender: Callable[[str], Agent], drill: s.DrillView
                     ) -> list[s.ReferralView]:
    """Seal and post every step of ``drill`` on the drill sender device of the step's
    sending agency (``sender(agency)``). An onward step carries the case as ``hub case
    forward`` seals it: the record of the step it forwards, cut down to what its
    ``covers`` name, for its ``purpose``. That record is the content sealed here a moment
    before (the forwarding agency's drill sender device is a device of that agency, but
    the coordinator's token does not download its inbox's envelopes)."""
    sent: list[s.ReferralView] = []
    records: list[tuple[RecordStep, CaseFile | None]] = []  # each step as it went onward
    for step in drill.scenario.steps:
        agent = sender(step.from_agency)
        now = agent._now()
        content = drill_content(step.type, step.story, step.needs,  # type: ignore[arg-type]
                                sender=step.sender, now=now)
        case, parent = None, None
        if step.onward_from is not None:
            assert step.purpose is not None  # checked at the hub's start-up
            forwarded, prior = records[step.onward_from - 1]
            case = forward(prior or new_case(), forwarded,
                           Forwarding(purpose=step.purpose, covers=tuple(step.covers)))
            content, parent = attach(content, case), forwarded.referral
        refuse_real_looking(content)
        roster = await agent.refresh_roster(step.to)
        sealed = seal(content, sender=agent.device, recipients=roster.recipients(step.type, now),
                      destination=step.to, referral_type=step.type,
                      urgency=URGENCIES[step.urgency], now=now, lifetime=LIFETIME, drill=True)
        view = await agent.api.submit_drill(
            drill.id, sealed.envelope, parent=parent,
            case_link=case.link(step.from_agency, step.to) if case else None)
        sent.append(view)
        records.append((RecordStep(referral=view.id, sender=step.from_agency,
                                   destination=step.to, type=step.type, sent_at=now,
                                   content=json.loads(detach(content)[0])), case))
    return sent


__all__ = ["HubApiError", "RealLooking", "seal_steps"]

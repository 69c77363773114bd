"""The coordinator's side of a drill: its drill sender device seals each step of the
scenario with generated content, marked DRILL, and posts it to the drill. The hub holds no
private key for this: the device is the coordinator's, a device of the step's sending agency
in that agency's signed roster (approved by its admin like any other)."""

from __future__ import annotations

from collections.abc import Callable

from hub.api import schemas as s
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
    sending agency (``sender(agency)``)."""
    sent = []
    for step in drill.scenario.steps:
        agent = sender(step.from_agency)
        now = agent._now()
        content = drill_content(step.type, step.story, step.needs,  # type: ignore[arg-type]
                                sender=step.sender, now=now)
        refuse_real_looking(content)
        roster = await agent.refresh_roster(step.to)
        sealed = seal(content, sender=agent.device, recipients=roster.recipients(step.type, now),
                      destination=step.to, referral_type=step.type,
                      urgency=URGENCIES[step.urgency], now=now, lifetime=LIFETIME, drill=True)
        sent.append(await agent.api.submit_drill(drill.id, sealed.envelope))
    return sent


__all__ = ["HubApiError", "RealLooking", "seal_steps"]

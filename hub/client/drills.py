"""The coordinator's side of a drill: its drill sender device seals each step of the
scenario with generated content, marked DRILL, and posts it to the drill. The hub holds no
private key for this: the device is the coordinator's, a device of the step's sending agency
in that agency's signed roster (approved by its admin like any other)."""

from __future__ import annotations

from collections.abc import Callable

from hub.api import schemas as s
from hub.api.casefile import Forwarding, attach, forward, new_case
from hub.api.drills import RealLooking, drill_content, refuse_real_looking
from hub.crypto import EnvelopeError, Urgency, open_envelope, seal

from .agent import Agent, Received
from .cases import step_of
from .errors import HubApiError

URGENCIES = {"routine": Urgency.ROUTINE, "urgent": Urgency.URGENT,
             "emergent": Urgency.EMERGENT}
LIFETIME = 7 * 86400


class CannotForward(Exception):
    """The forwarding agency's drill sender device cannot open the referral it forwards:
    it is not in that agency's escalation group for the referral's type."""


async def seal_steps(sender: Callable[[str], Agent], drill: s.DrillView
                     ) -> list[s.ReferralView]:
    """Seal and post every step of ``drill`` on the drill sender device of the step's
    sending agency (``sender(agency)``). An onward step is sealed as ``hub case forward``
    seals one (cases.refer_onward): the forwarding agency's device opens the referral of
    the step it forwards (fetched through the drill: the coordinator's token is not of
    that agency's group) and carries its record, cut down to what ``covers`` names, for
    the step's ``purpose``."""
    sent: list[s.ReferralView] = []
    for number, step in enumerate(drill.scenario.steps, 1):
        agent = sender(step.from_agency)
        now = agent._now()
        content = drill_content(step.type, step.story, step.needs,  # type: ignore[arg-type]
                                sender=step.sender, now=now)
        refuse_real_looking(content)  # before the case: its ids and secret are no contact
        case, parent = None, None
        if step.onward_from is not None:
            assert step.purpose is not None  # checked at the hub's start-up
            parent = sent[step.onward_from - 1].id
            received = await _open_forwarded(agent, drill, parent, number, step)
            case = forward(received.case or new_case(), step_of(received),
                           Forwarding(purpose=step.purpose, covers=tuple(step.covers)))
            content = attach(content, case)  # its record: steps checked when they were sent
        roster = await agent.refresh_roster(step.to)
        sealed = seal(content, sender=agent.device, recipients=roster.recipients(step.type, now),
                      destination=step.to, referral_type=step.type,
                      urgency=URGENCIES[step.urgency], now=now, lifetime=LIFETIME, drill=True)
        sent.append(await agent.api.submit_drill(
            drill.id, sealed.envelope, parent=parent,
            case_link=case.link(step.from_agency, step.to) if case else None))
    return sent


async def _open_forwarded(agent: Agent, drill: s.DrillView, rid: str, number: int,
                          step: s.DrillStepView) -> Received:
    assert step.onward_from is not None
    forwarded = drill.scenario.steps[step.onward_from - 1]
    await agent.refresh_roster(forwarded.from_agency)  # to verify who sealed it
    try:
        opened = open_envelope(await agent.api.drill_envelope(drill.id, rid),
                               device=agent.device, trust=agent.trust, now=agent._now())
    except EnvelopeError as e:
        if e.reason != "not-a-recipient":
            raise
        raise CannotForward(
            f"step {number} forwards step {step.onward_from}'s referral, but the drill sender "
            f"device of {step.from_agency} cannot open it: ask {step.from_agency}'s admin to "
            f"approve it into the escalation group for '{forwarded.type}'") from None
    return Received(rid, opened)


__all__ = ["CannotForward", "HubApiError", "RealLooking", "seal_steps"]

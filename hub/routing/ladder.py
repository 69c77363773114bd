"""Where a referral stands on its escalation ladder, and when the next rung is due. Pure
arithmetic over the CCR's policies: no Redis, no clock.

A timer is the acknowledgement (``ack``, counted from submission), a follow-up (``fu:NAME``,
counted from acceptance) or a milestone (``ms:CODE``, milestones.toml, counted from
acceptance too: the first rung of one falls due, a gap). Round ``r`` of a ladder starts
``r`` times the timer's length after its base; step ``i`` fires ``steps[i].after`` into its
round. Every length is counted in the receiving agency's calendar (clock or business time)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from .ccr import Ccr, DeadlinePolicy, EscalationStep
from .deadlines import DeadlineCalculator
from .durations import Duration
from .milestones import PREFIX as MILESTONE

ACK = "ack"
WITHDRAWN = "withdrawn"  # not a ladder: the one step that tells everyone consent was withdrawn
CONSENT = "consent"  # not a ladder: when the survivor's consent runs out
EXPIRED = "expired"  # not a ladder: the one step that tells everyone consent ran out
RETAIN = "retain"  # not a ladder: when a closed referral's content is deleted (agreement)


@dataclass(frozen=True)
class Rung:
    """The next step to fire on one timer: its place on the ladder and its due time."""

    timer: str
    step: int
    round: int
    base: float  # submission (ack) or acceptance (follow-ups)
    due: float

    def state(self) -> str:
        """What the referral record keeps for this timer (``t:{timer}``): the JSON object
        json.dumps would write, without its cost on the submit path."""
        return f'{{"step": {self.step}, "round": {self.round}, "base": {float(self.base)!r}}}'

    @staticmethod
    def parse(timer: str, state: str, due: float) -> Rung:
        doc = json.loads(state)
        return Rung(timer, int(doc["step"]), int(doc["round"]), float(doc["base"]), due)


AUDIENCES = ("point_person", "backups", "coordinator")  # from the nearest to the widest


@dataclass(frozen=True)
class Reached:
    """How far a ladder has escalated: the rungs fired, the widest audience they told."""

    fired: int
    widest: str | None  # one of AUDIENCES; None while no rung has fired


def reached(policy: DeadlinePolicy, state: str | None) -> Reached:
    """How far a ladder of ``policy`` has gone, from its timer's state (``t:{timer}``: the
    next rung to fire; None once every rung has fired)."""
    steps = policy.escalation
    if state is None:
        fired = len(steps) * policy.repeat
    else:
        rung = Rung.parse("", state, 0.0)
        fired = rung.round * len(steps) + rung.step
    told = {s.notify for s in steps[:min(fired, len(steps))]}
    return Reached(fired, max(told, key=AUDIENCES.index, default=None))


def member(rid: str, timer: str) -> str:
    return f"{rid}:{timer}"


def split_member(value: str) -> tuple[str, str]:
    rid, _, timer = value.partition(":")
    return rid, timer


class Ladder:
    def __init__(self, ccr: Ccr, calculator: DeadlineCalculator):
        self._ccr = ccr
        self._calc = calculator

    def policy(self, referral_type: str, urgency: str) -> DeadlinePolicy | None:
        return self._ccr.policy(referral_type, urgency)

    def length(self, policy: DeadlinePolicy, timer: str) -> Duration:
        if timer == ACK:
            return policy.ack_within
        if timer.startswith(MILESTONE):
            found = self._ccr.milestones.find(policy.type, timer.removeprefix(MILESTONE))
            if found is None or found.within is None:
                raise LookupError(f"no milestone '{timer}' with a deadline for '{policy.type}'"
                                  " (was it removed from milestones.toml?)")
            return found.within
        name = timer.removeprefix("fu:")
        return next(f.within for f in policy.follow_ups if f.name == name)

    def step(self, policy: DeadlinePolicy, rung: Rung) -> EscalationStep:
        return policy.escalation[rung.step]

    def _due(self, policy: DeadlinePolicy, agency: str, timer: str, base: float, step: int,
             round_: int) -> float:
        length = self.length(policy, timer)
        start = base if timer == ACK else self._calc.add(agency, int(base), length)
        if round_:
            start = self._calc.add(agency, int(start),
                                   Duration(amount=length.amount * round_, unit=length.unit))
        return float(self._calc.add(agency, int(start), policy.escalation[step].after))

    def deadline(self, policy: DeadlinePolicy, agency: str, timer: str, base: float) -> float:
        """When the timer's obligation is due (the acknowledgement, or the follow-up)."""
        return float(self._calc.add(agency, int(base), self.length(policy, timer)))

    def first(self, policy: DeadlinePolicy, agency: str, timer: str, base: float) -> Rung:
        return self.at(policy, agency, timer, 0, 0, base)

    def at(self, policy: DeadlinePolicy, agency: str, timer: str, step: int, round_: int,
           base: float) -> Rung:
        return Rung(timer, step, round_, base,
                    self._due(policy, agency, timer, base, step, round_))

    def next(self, policy: DeadlinePolicy, agency: str, rung: Rung) -> Rung | None:
        """The rung after ``rung``, or None when the ladder's rounds are spent."""
        step, round_ = rung.step + 1, rung.round
        if step == len(policy.escalation):
            step, round_ = 0, round_ + 1
        if round_ >= policy.repeat:
            return None
        return Rung(rung.timer, step, round_, rung.base,
                    self._due(policy, agency, rung.timer, rung.base, step, round_))

    def after_due(self, policy: DeadlinePolicy, agency: str, due: float, step: int
                  ) -> float | None:
        """When rung ``step`` of ``policy``'s ladder fires for something due at ``due``
        that ``agency`` owes (a case review's action item: the ladder climbed once, its
        steps' delays counted from the due time in the agency's calendar); None past the
        last."""
        if step >= len(policy.escalation):
            return None
        return float(self._calc.add(agency, int(due), policy.escalation[step].after))

    def retain_until(self, sender: str, destination: str, referral_type: str,
                     closed_at: float) -> float | None:
        """When a referral closed at ``closed_at`` loses its content under the sharing
        agreement (None when no agreement covers it any more)."""
        agreement = self._ccr.agreement(sender, destination, referral_type)
        if agreement is None:
            return None
        return float(self._calc.add(destination, int(closed_at), agreement.retain_after_close))

    def follow_ups(self, policy: DeadlinePolicy | None, *, met_by: str | None = None
                   ) -> tuple[str, ...]:
        """The follow-up timers of a policy (those a status meets, with ``met_by``)."""
        if policy is None:
            return ()
        return tuple(f"fu:{f.name}" for f in policy.follow_ups
                     if met_by is None or f.met_by == met_by)

    def milestones(self, policy: DeadlinePolicy | None) -> tuple[str, ...]:
        """The milestone timers a policy's referrals run once accepted (a type's
        milestones with a deadline; none without a policy, whose ladder they climb)."""
        if policy is None:
            return ()
        return tuple(m.timer for m in self._ccr.milestones.timed(policy.type))

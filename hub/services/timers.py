"""Which timers a state change starts and stops, decided here so that every change writes
them in the same atomic step as the status: submission starts the acknowledgement ladder,
acknowledgement stops it, acceptance starts the follow-ups and the milestones' timers, a
status that meets a follow-up stops it (a milestone is met by recording it,
services/milestones.py), and closing a referral stops them all; the end of consent runs
until consent is withdrawn or runs out (then the content goes, closed or not)."""

from __future__ import annotations

from hub.models import Referral, Status
from hub.routing.ladder import ACK, CONSENT, RETAIN, Ladder, member
from hub.store import Deadline, DeadlineChanges

CLOSED = (Status.COMPLETED, Status.REJECTED, Status.CANCELLED, Status.REVOKED)


def timer_field(timer: str) -> str:
    return f"t:{timer}"


def obligations(ladder: Ladder, referral: Referral) -> tuple[str, ...]:
    """Every deadline the referral's policy can owe (to drop when consent ends)."""
    policy = ladder.policy(referral.type, referral.urgency)
    return tuple(member(referral.id, t) for t in (ACK, *ladder.follow_ups(policy),
                                                  *ladder.milestones(policy)))


class TimerPlanner:
    def __init__(self, ladder: Ladder):
        self.ladder = ladder

    def on_submit(self, referral: Referral) -> tuple[DeadlineChanges, dict[str, str]]:
        """The end of consent (content is deleted then), and the acknowledgement ladder's
        first rung with the acknowledgement's deadline when a policy covers the type and
        urgency."""
        ends = Deadline(member(referral.id, CONSENT), float(referral.consent.expires_at))
        fields = {timer_field(CONSENT): "{}"}
        policy = self.ladder.policy(referral.type, referral.urgency)
        if policy is None:
            return DeadlineChanges(add=(ends,)), fields
        rung = self.ladder.first(policy, referral.destination, ACK, referral.submitted_at)
        owed = self.ladder.deadline(policy, referral.destination, ACK, referral.submitted_at)
        return DeadlineChanges(add=(Deadline(member(referral.id, ACK), rung.due), ends),
                               due=(Deadline(member(referral.id, ACK), owed),)), {
            **fields, timer_field(ACK): rung.state()}

    def obligations(self, referral: Referral) -> tuple[str, ...]:
        return obligations(self.ladder, referral)

    def on_transition(self, referral: Referral, to: Status, now: float
                      ) -> tuple[DeadlineChanges, dict[str, str]]:
        policy = self.ladder.policy(referral.type, referral.urgency)
        follow_ups = self.ladder.follow_ups(policy)
        milestones = self.ladder.milestones(policy)
        stop: tuple[str, ...] = ()
        if to in CLOSED:
            stop = (ACK, *follow_ups, *milestones)
        elif to is Status.RECEIVED:
            stop = (ACK, *follow_ups)
        elif to is Status.IN_PROGRESS:
            stop = self.ladder.follow_ups(policy, met_by=Status.IN_PROGRESS.value)
        add, due, fields = [], [], {}
        if to in CLOSED and to is not Status.REVOKED:  # the agreement's retention starts
            until = self.ladder.retain_until(referral.sender_agency, referral.destination,
                                             referral.type, now)
            if until is not None:
                add.append(Deadline(member(referral.id, RETAIN), until))
                fields[timer_field(RETAIN)] = "{}"
        if to is Status.ACCEPTED and policy is not None:
            for timer in (*follow_ups, *milestones):
                rung = self.ladder.first(policy, referral.destination, timer, now)
                add.append(Deadline(member(referral.id, timer), rung.due))
                due.append(Deadline(member(referral.id, timer), self.ladder.deadline(
                    policy, referral.destination, timer, now)))
                fields[timer_field(timer)] = rung.state()
        return DeadlineChanges(remove=tuple(member(referral.id, t) for t in stop),
                               add=tuple(add), due=tuple(due)), fields

"""Committing one person's notice for a rung: rendered in their language for the channel of
their contact number ``index``, addressed as that channel's adapter says, due now or when
their quiet hours end, and written to the outbox only while the referral still waits at the
generation the step was decided on (store/notices.py). Firing, consent's end, a nudge and a
dead letter's next channel all commit through here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from hub.adapters import SENDERS
from hub.adapters.render import NoticeFacts, render
from hub.clock import Clock
from hub.models import Referral
from hub.routing.ccr import Ccr, DeadlinePolicy, Person
from hub.routing.ladder import ACK, Rung
from hub.services.auditor import Auditor
from hub.services.claims import CODE_MARK, ClaimCodes
from hub.store import Store
from hub.store.outbox import NoticeRecord

from .recipients import after_quiet_hours, contact, watching

SEND_WINDOW = {"emergent": 600, "urgent": 900, "routine": 4 * 3600}  # seconds to deliver


def notice_id(referral: Referral, rung: Rung, person: str, channel_index: int,
              tag: str = "") -> str:
    """The idempotency key: referral, generation, timer step and round, person, channel
    (and a nudge's ``tag``, so a nudge is a notice of its own)."""
    key = (f"{referral.id}|{referral.generation}|{rung.timer}|{rung.step}|{rung.round}|"
           f"{person}|{channel_index}{'|' + tag if tag else ''}")
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def reads(person: Person) -> bool:
    """Whether a notice may tell ``person`` to read the referral: the escalation group's
    people open it on their devices; a coordinator sees its status, never what it says."""
    return any(role in person.roles for role in ("point_person", "backup"))


@dataclass(frozen=True)
class Step:
    """What a notice is for: the rung, its level, when the rung fell due, the deadline."""

    rung: Rung
    level: int
    rung_due: float
    deadline: float


@dataclass
class Notifier:
    store: Store
    clock: Clock
    ccr: Ccr
    auditor: Auditor
    base_url: str
    codes: ClaimCodes
    lease: float = 60.0  # seconds to send a notice claimed at commit before it is re-sent

    async def commit(self, referral: Referral, step: Step, person: Person, index: int,
                     tag: str = "", owing: str | None = None) -> tuple[str, str]:
        """Commit the notice for ``person`` on their contact number ``index``: its outcome
        (see NoticeStore.commit, or 'no-channel') and its id. The notice names the agency
        that owes the step, in its time zone: ``owing`` (an action item's owner), else
        the receiving agency."""
        policy = self.ccr.policy(referral.type, referral.urgency)
        ch = contact(person, index, _channel(policy, step.rung))
        if ch is None:
            return "no-channel", ""
        agency = self.ccr.agency(owing or referral.destination)
        now = self.clock.now()
        claimable = SENDERS[ch.kind].claims and step.rung.timer == ACK and policy is not None
        facts = NoticeFacts(referral.id, agency.name, step.rung.timer, step.deadline,
                            step.level, agency.timezone, CODE_MARK if claimable else "",
                            now=now, reads=reads(person), drill=referral.drill is not None,
                            milestone=_milestone(self.ccr, referral, step.rung.timer,
                                                 person.language))
        words = SENDERS[ch.kind].words(render(facts, person.language, self.base_url))
        nid = notice_id(referral, step.rung, person.id, index, tag)
        notice = NoticeRecord(
            referral=referral.id, generation=referral.generation, timer=step.rung.timer,
            step=step.rung.step, round=step.rung.round, level=step.level, person=person.id,
            channel=ch.kind, channel_index=index, to=ch.to(person.id), subject=words.subject,
            text=words.text, html=words.html or "", status="queued", attempts=0,
            created_at=now, rung_due=step.rung_due, agency=agency.id, deadline=step.deadline,
            language=person.language, drill="1" if referral.drill else "",
            send_by=now + SEND_WINDOW[referral.urgency])
        hold = policy.holds_for_quiet_hours() if policy else referral.urgency == "routine"
        deliver_at = after_quiet_hours(person, agency.timezone, now, hold)
        code = self.codes.issue(nid, referral.id, person.id, ch.to(person.id), _code_life(
            step, deliver_at, policy, now)) if claimable and policy else None
        outcome = await self.store.notices.commit(
            referral.id, nid, notice, generation=referral.generation,
            statuses=watching(step.rung.timer), deliver_at=deliver_at, now=now,
            lease=self.lease, code=code,
            audit=self.auditor.event(None, f"notice.{ch.kind}", referral=referral.id))
        return outcome, nid


def _channel(policy: DeadlinePolicy | None, rung: Rung) -> str | None:
    """The channel a ladder's rung (acknowledgement, follow-up, milestone) reaches people
    on first, when its policy names one."""
    if policy is None or rung.timer != ACK and not rung.timer.startswith(("fu:", "ms:")):
        return None
    return policy.escalation[rung.step].channel if rung.step < len(policy.escalation) \
        else None


def _code_life(step: Step, deliver_at: float, policy: DeadlinePolicy, now: float) -> int:
    """Seconds a notice's claim code is good for: until the acknowledgement is due, and at
    least a pause's length after the notice may go out (a person woken at 2 a.m. who reads
    it twenty minutes late can still claim it)."""
    return int(max(deliver_at + policy.pause_seconds, step.deadline) - now)


def _milestone(ccr: Ccr, referral: Referral, timer: str, language: str) -> str:
    """The label of the milestone a notice is about (``ms:`` owed, ``gap:`` missed), in the
    recipient's language; "" for any other notice."""
    kind, _, code = timer.partition(":")
    found = ccr.milestones.find(referral.type, code) if kind in ("ms", "gap") else None
    return found.label_in(language) if found else ""

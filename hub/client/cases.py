"""The survivor's case on the device: forwarding a referral onward with the record it
carries, and the case's timeline, put together from the envelopes this device can open and
the status metadata the hub gives for the referrals its agency is party to. The hub never
sees the record or the case secret (docs/envelope.md, "Case file")."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from hub.api import schemas as s
from hub.api.casefile import CaseFile, Forwarding, RecordStep, forward, new_case
from hub.crypto import EnvelopeError
from hub.models import Consent

from .agent import Agent, Content, Received
from .errors import HubApiError, NotFound

ACCEPTED = ("accepted", "in-progress", "completed")
OPEN = ("requested", "received", "accepted", "in-progress")
SCAN = 200  # how much of the inbox and outbox a timeline looks through for the case


async def refer_onward(agent: Agent, parent: str, destination: str, referral_type: str,
                       content: Content | bytes, consent: Consent, forwarding: Forwarding, *,
                       urgency: str = "urgent", attachments: Sequence[bytes] = ()
                       ) -> s.ReferralView:
    """Forward the case of ``parent`` (a referral this device can open) to
    ``destination``: the new envelope carries the earlier record and the parent's
    handoff, each cut down to what ``forwarding`` covers (checked here, on the device;
    the hub checks ``consent`` as for any referral), beside ``content``, this agency's
    own notes. A parent without a case starts one."""
    if consent.agency != destination or referral_type not in consent.purposes:
        raise ValueError(f"the survivor's consent must be for {destination} and "
                         f"'{referral_type}' to forward the record there")
    received = await agent.open(parent, with_attachments=False)
    case = forward(received.case or new_case(), step_of(received), forwarding)
    return await agent.send(destination, referral_type, content, consent, urgency=urgency,
                            attachments=attachments, case=case, parent=parent)


def step_of(received: Received) -> RecordStep:
    """The opened referral as a step of the record it goes onward in."""
    header = received.opened.header
    return RecordStep(referral=received.referral, sender=received.opened.sender.agency,
                      destination=header.destination, type=header.referral_type,
                      sent_at=header.created_at, content=_document(received.content))


def _document(content: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        doc = None
    return doc if isinstance(doc, dict) else {"text": content.decode(errors="replace")}


@dataclass(frozen=True)
class Milestone:
    """A milestone of a referral's type, as the hub tells its agencies: recorded (``at``),
    owed by ``due_at``, or a gap since ``gap_at`` (missed)."""

    code: str
    label: str
    at: float | None = None
    due_at: float | None = None
    gap_at: float | None = None

    def state(self, now: float) -> str | None:
        """'recorded', 'missed' (a gap, or past its deadline), 'pending', or None (not
        owed yet: the referral is not accepted, or the milestone has no deadline)."""
        if self.at is not None:
            return "recorded"
        if self.gap_at is not None or (self.due_at is not None and now > self.due_at):
            return "missed"
        return "pending" if self.due_at is not None else None


@dataclass(frozen=True)
class Step:
    """One referral of the case: who sent it to whom, what it said where this device read
    it (or was carried it), and its status where its agency is party to it."""

    referral: str | None  # None: an onward referral the hub names only by its routing
    sender: str
    destination: str
    type: str
    at: float
    content: dict[str, Any] | None = None
    status: str | None = None  # None: this agency is not party to it
    ack_due_at: float | None = None
    acknowledged_at: float | None = None
    milestones: tuple[Milestone, ...] = ()  # of a referral this agency is party to

    def follow_up(self, now: float) -> str | None:
        """'missed' or 'pending' while the acknowledgement is owed, else None."""
        if self.status != "requested" or self.ack_due_at is None:
            return None
        return "missed" if now > self.ack_due_at else "pending"


@dataclass(frozen=True)
class Timeline:
    referral: str
    steps: tuple[Step, ...]  # oldest first
    forwarding: Forwarding | None  # what the consent let come this far

    @property
    def agencies(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for step in self.steps:
            seen.setdefault(step.sender)
            seen.setdefault(step.destination)
        return tuple(seen)

    def offered(self) -> list[Step]:
        return [s for s in self.steps if s.status is None or s.status in OPEN]

    def accepted(self) -> list[Step]:
        return [s for s in self.steps if s.status in ACCEPTED]

    def follow_ups(self, now: float) -> list[tuple[Step, str]]:
        return [(s, f) for s in self.steps if (f := s.follow_up(now))]

    def milestones(self, now: float, state: str) -> list[tuple[Step, Milestone]]:
        """The milestones in ``state`` ('recorded', 'pending', 'missed': the gaps)."""
        return [(s, m) for s in self.steps for m in s.milestones if m.state(now) == state]


async def case_timeline(agent: Agent, rid: str) -> Timeline:
    """The case of ``rid``: opened where this device is a recipient, from the case secret
    this device kept where it sent it."""
    view = await agent.api.referral(rid)
    if view.destination == agent.agency:
        received = await agent.open(rid, with_attachments=False)
        case, own = received.case, _with_status(_from_record(step_of(received)), view)
    else:
        secret = agent.cases.get(rid)
        case = CaseFile(secret=secret) if secret else None
        own = _with_status(Step(rid, view.sender_agency, view.destination, view.type,
                                view.submitted_at), view)
    record = case.record if case else ()
    if view.parent is not None and view.destination != agent.agency:
        record = await _record_to(agent, view.parent)  # this agency forwarded it
    steps = {step.referral: _from_record(step) for step in record}
    steps[rid] = own  # after the record it carries: the same second sorts it last
    for related in await _party_referrals(agent, view, case):
        known = steps.get(related.id)
        steps[related.id] = _with_status(known or Step(
            related.id, related.sender_agency, related.destination, related.type,
            related.submitted_at), related)
    onward = [_onward(o, sender) for o, sender in await _onward_of(agent, view)]
    ordered = sorted([*steps.values(), *(o for o in onward if o.referral not in steps)],
                     key=lambda st: st.at)  # stable: a tie keeps the record's order
    ordered = [await _with_milestones(agent, st) for st in ordered]
    return Timeline(rid, tuple(ordered), case.forwarding if case else None)


async def _with_milestones(agent: Agent, step: Step) -> Step:
    """The step with its milestones, where this agency is party to it (it has a status)."""
    if step.referral is None or step.status is None:
        return step
    try:
        found = await agent.api.milestones(step.referral)
    except NotFound:
        return step
    recorded = {m.code: m.at for m in found.recorded}
    return replace(step, milestones=tuple(
        Milestone(m.code, m.label, recorded.get(m.code), m.due_at, m.gap_at)
        for m in found.configured))


async def _record_to(agent: Agent, parent: str) -> tuple[RecordStep, ...]:
    """The record up to ``parent``, a referral this agency received: as this device opens
    it now (nothing, when it no longer can: consent withdrawn, say)."""
    try:
        received = await agent.open(parent, with_attachments=False)
    except (HubApiError, EnvelopeError):
        return ()
    return (*(received.case.record if received.case else ()), step_of(received))


def _from_record(step: RecordStep) -> Step:
    return Step(step.referral, step.sender, step.destination, step.type, step.sent_at,
                step.content)


def _with_status(step: Step, view: s.ReferralView) -> Step:
    return Step(step.referral, step.sender, step.destination, step.type, view.submitted_at,
                step.content, view.status, view.ack_due_at, view.acknowledged_at)


def _onward(o: s.OnwardView, sender: str) -> Step:
    return Step(o.id, sender, o.destination, o.type, o.submitted_at, status=o.status)


async def _onward_of(agent: Agent, view: s.ReferralView) -> list[tuple[s.OnwardView, str]]:
    """The onward referrals made from this one, and (where this agency forwarded it) the
    others made from its parent, each with the agency that made it."""
    found = [(o, view.destination) for o in await agent.api.onward(view.id)]
    if view.parent is not None:
        found += [(o, view.sender_agency) for o in await agent.api.onward(view.parent)
                  if o.id != view.id]
    return found


async def _party_referrals(agent: Agent, view: s.ReferralView, case: CaseFile | None
                           ) -> list[s.ReferralView]:
    """The referrals this agency is party to that belong to the case: the parent it
    forwarded, and those in its inbox and outbox that bear the case's link id for their
    pair (the hub cannot relate two pairs' ids; the device can)."""
    found = []
    if view.parent is not None:
        with contextlib.suppress(NotFound):
            found.append(await agent.api.referral(view.parent))
    if case is None:
        return found
    me = agent.agency
    for listed in (*await agent.api.inbox(limit=SCAN), *await agent.api.outbox(limit=SCAN)):
        other = listed.sender_agency if listed.destination == me else listed.destination
        if listed.case_link and listed.case_link == case.link(me, other):
            found.append(listed)
    return found

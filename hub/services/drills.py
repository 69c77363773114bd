"""Drills on the real hub: a coordinator starts one from a scenario of the CCR
(hub/routing/drills.py); its referrals go through the real routing, deadlines, ladder,
schedules and keys, marked as drills everywhere (the envelope's header, the metadata, every
notice, page and CLI line), told only to the people the scenario names, never counted in
the figures; its end gives the team its debrief and purges every trace of its referrals.

Who seals: the hub never does, and holds no private key for a drill either. The drill's
envelopes are sealed on the coordinator's side (``hub drill start``: the CLI holds a drill
sender device, a device of the step's sending agency in that agency's signed roster) and
submitted here; the hub checks each is a drill's envelope and one of its scenario's steps.
An onward step (``onward_from``) is sealed by the forwarding agency's drill sender device and
names the drill's own referral of the step it forwards, which goes through the real onward
checks (onward.py) in the forwarding sender's name; the end purges both, and the parent's
onward set with its keys.

``finished`` is the fact other parts hook onto: when a drill ends, each person who
acknowledged one of its referrals has finished a drill (e.g. a new staff member's
checklist ticks "first drill done")."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hub.api.codes import Codes
from hub.clock import Clock
from hub.errors import Forbidden, NotFound, Unprocessable
from hub.models import URGENCY_NAMES, HistoryEvent, Referral
from hub.routing.ccr import Ccr
from hub.routing.drills import Scenario, Step
from hub.store import DrillRecord, Store
from hub.store.outbox import NoticeRecord

from .auditlog import AuditLog
from .auditor import Auditor
from .principal import Principal
from .referrals import ReferralService, read_header

LIFETIME = 7 * 86400  # a drill's made-up consent lasts a week; ending it purges sooner
FinishedHook = Callable[[str, DrillRecord], Awaitable[None]]  # (person, drill)
__all__ = ["Debrief", "DrillRecord", "DrillService", "FinishedHook", "Moment"]


@dataclass(frozen=True)
class Moment:
    """One line of a debrief: what happened to a drill's referral, who did it, when, and
    how long after the referral was sent and after the line before. Metadata only."""

    step: int  # the scenario's step, from 1
    referral: str
    what: str  # sent, notified, claimed, opened, acknowledged, replied, status.*, past-rung
    who: str  # a person id, or "hub"
    at: float
    after_sent: float
    after_previous: float
    detail: str = ""  # a notice's channel and level, a skipped rung's duty


@dataclass(frozen=True)
class Debrief:
    drill: DrillRecord
    scenario: Scenario
    moments: tuple[Moment, ...]

    @property
    def finishers(self) -> tuple[str, ...]:
        """Who finished the drill: acknowledged one of its referrals."""
        return tuple(sorted({m.who for m in self.moments if m.what == "acknowledged"}))

    @property
    def past_rungs(self) -> tuple[Moment, ...]:
        """Where the ladder went past a rung (a later rung's notice, or a rung no one held)."""
        return tuple(m for m in self.moments if m.what in ("past-rung", "rung.skipped"))

    def csv(self) -> str:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["drill", "scenario", "step", "referral", "what", "who", "at_utc",
                    "seconds_after_sent", "seconds_after_previous", "detail"])
        for m in self.moments:
            w.writerow([self.drill.id, self.scenario.id, m.step, m.referral[:8], m.what, m.who,
                        _iso(m.at), f"{m.after_sent:.0f}", f"{m.after_previous:.0f}", m.detail])
        return out.getvalue()


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class DrillService:
    store: Store
    clock: Clock
    ccr: Ccr
    referrals: ReferralService
    auditor: Auditor
    auditlog: AuditLog
    finished: list[FinishedHook] = field(default_factory=list)

    def scenarios(self, who: Principal) -> tuple[Scenario, ...]:
        _coordinator(who)
        return self.ccr.drills

    def scenario(self, sid: str) -> Scenario:
        found = self.ccr.drill(sid)
        if found is None:
            known = ", ".join(s.id for s in self.ccr.drills) or "none in this CCR"
            raise Unprocessable(f"no drill scenario '{sid}' (known: {known}); scenarios are "
                                "TOML files under the CCR's drills/ folder",
                                code=Codes.UNKNOWN_SCENARIO)
        return found

    async def start(self, who: Principal, sid: str, request_id: str | None = None
                    ) -> DrillRecord:
        _coordinator(who)
        scenario = self.scenario(sid)
        record = DrillRecord(secrets.token_hex(8), scenario.id, who.person, self.clock.now(),
                             scenario.people)
        await self.store.drills.start(record, self.auditor.event(
            who, "drill.start", request_id=request_id, subject=scenario.id))
        return record

    async def under_way(self, who: Principal) -> list[DrillRecord]:
        _coordinator(who)
        return await self.store.drills.under_way()

    async def get(self, who: Principal, did: str) -> DrillRecord:
        _coordinator(who)
        record = await self.store.drills.get(did)
        if record is None:
            raise NotFound(f"no drill '{did}' under way (it may have ended)",
                           code=Codes.UNKNOWN_DRILL)
        return record

    async def referral_ids(self, who: Principal, did: str) -> list[str]:
        """The ids of the referrals a drill under way made."""
        return await self.store.drills.referrals((await self.get(who, did)).id)

    async def submit(self, who: Principal, did: str, envelope: bytes,
                     request_id: str | None = None, *, parent: str | None = None,
                     case_link: str | None = None) -> Referral:
        """One of the drill's referrals, sealed by the coordinator's drill sender device.
        An onward step names its ``parent``, the drill's referral of the step it forwards
        (and the case's ``case_link`` for its pair), and goes through the real onward
        checks in the name of the forwarding agency's sender."""
        record = await self.get(who, did)
        scenario = self.scenario(record.scenario)
        header = read_header(envelope)
        step = _step_of(scenario, header.destination, header.referral_type,
                        URGENCY_NAMES[header.urgency])
        await self._check_parent(did, scenario, step, parent)
        sender = self.ccr.find_person(step.sender)
        assert sender is not None  # checked at start-up (routing/drills.py)
        as_sender = Principal(sender.id, sender.agency, frozenset(sender.roles), who.token_id)
        await self.store.drills.add_referral(did, header.envelope_id.hex())
        return await self.referrals.submit_drill(
            who, as_sender, envelope, drill=did, people=record.people, lifetime=LIFETIME,
            request_id=request_id, parent=parent, case_link=case_link)

    async def _check_parent(self, did: str, scenario: Scenario, step: Step,
                            parent: str | None) -> None:
        """An onward step names the drill's referral of the step it forwards; no other
        step names a parent (a drill never forwards a real referral)."""
        if step.onward_from is None:
            if parent is not None:
                raise Unprocessable("this step of the drill is not an onward referral: send "
                                    "it without a parent", code=Codes.BAD_DRILL_STEP)
            return
        forwarded = scenario.steps[step.onward_from - 1]
        for rid in await self.store.drills.referrals(did):
            found = await self.store.referrals.get(rid)
            if found is not None and rid == parent and _step_of(
                    scenario, found.destination, found.type, found.urgency) == forwarded:
                return
        raise Unprocessable(f"this step forwards the drill's referral of step "
                            f"{step.onward_from} ({forwarded.from_agency} to {forwarded.to}): "
                            "send that step first and name its referral as the parent",
                            code=Codes.BAD_DRILL_STEP)

    async def envelope(self, who: Principal, did: str, rid: str,
                       request_id: str | None = None) -> bytes:
        """The sealed envelope of one of the drill's referrals, for the drill sender device
        of the agency an onward step forwards it from: sealed bytes the coordinator cannot
        open, only that device can (it is of the receiving agency's escalation group). Not
        an 'opened' receipt: the receiving group has not read it. Audited."""
        await self.get(who, did)
        envelope = await self.store.referrals.envelope(rid) \
            if rid in await self.store.drills.referrals(did) else None
        if envelope is None:
            raise NotFound(f"no referral {rid} in drill {did}", code=Codes.NOT_FOUND)
        await self.auditor.record(who, "drill.envelope", referral=rid, request_id=request_id)
        return envelope

    async def debrief(self, who: Principal, did: str) -> Debrief:
        record = await self.get(who, did)
        scenario = self.scenario(record.scenario)
        moments: list[Moment] = []
        for rid in await self.store.drills.referrals(did):
            referral = await self.store.referrals.get(rid)
            if referral is None:
                continue
            step = 1 + scenario.steps.index(_step_of(scenario, referral.destination,
                                                     referral.type, referral.urgency))
            moments += _moments(step, referral, await self.store.referrals.history(rid),
                                await self.store.notices.of_referral(rid))
        return Debrief(record, scenario, tuple(sorted(moments, key=lambda m: (m.step, m.at))))

    async def end(self, who: Principal, did: str, request_id: str | None = None) -> Debrief:
        """The debrief, then every trace of the drill's referrals purged (the audit log
        keeps its content-free entries: it is append-only). Then each ``finished`` hook
        hears who finished it."""
        debrief = await self.debrief(who, did)
        await self.auditlog.seal()  # the referrals' trail entries are written, then purged
        plans, audits = [], []
        for rid in await self.store.drills.referrals(did):
            referral = await self.store.referrals.get(rid)
            if referral is not None:
                plans.append(await self.store.drills.plan(rid, referral.destination,
                                                          referral.sender_agency))
            audits.append(self.auditor.event(who, "drill.purged", subject=rid,
                                             request_id=request_id))
        audits.append(self.auditor.event(who, "drill.end", subject=debrief.scenario.id,
                                         request_id=request_id))
        await self.store.drills.purge(did, plans, audits)
        for person in debrief.finishers:
            for hook in self.finished:
                await hook(person, debrief.drill)
        return debrief


def _coordinator(who: Principal) -> None:
    if not who.is_coordinator:
        raise Forbidden("only a CCR coordinator starts, watches and ends drills",
                        code=Codes.NOT_ALLOWED)


def _step_of(scenario: Scenario, destination: str, referral_type: str, urgency: str) -> Step:
    for step in scenario.steps:
        if (step.to, step.type, step.urgency) == (destination, referral_type, urgency):
            return step
    raise Unprocessable(f"this envelope ({destination}, {referral_type}, {urgency}) is none of "
                        f"the steps of the drill '{scenario.id}'", code=Codes.BAD_DRILL_STEP)


ACTIONS = {"submitted": "sent", "claimed": "claimed", "opened": "opened", "reply": "replied",
           "status.received": "acknowledged", "rung.skipped": "rung.skipped"}


def _moments(step: int, referral: Referral, history: list[HistoryEvent],
             notices: list[NoticeRecord]) -> list[Moment]:
    raw: list[tuple[float, str, str, str]] = []
    for event in history:
        what = ACTIONS.get(event.action, event.action)
        if what == "notified":  # the notices themselves say whom, how and when
            continue
        raw.append((event.at, what, event.actor, event.code or ""))
    for notice in notices:
        at = notice.sent_at or notice.created_at
        raw.append((at, "notified", notice.person,
                    f"{notice.channel}, level {notice.level}, {notice.status}"))
        if notice.level > 1:
            raw.append((at, "past-rung", notice.person, f"level {notice.level}"))
    raw.sort(key=lambda r: r[0])  # stable: the history first at the same moment
    moments, previous = [], referral.submitted_at
    for at, what, who, detail in raw:
        moments.append(Moment(step, referral.id, what, who, at, at - referral.submitted_at,
                              at - previous, detail))
        previous = at
    return moments

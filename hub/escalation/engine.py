"""Firing a rung of the ladder, and delivering the notices it commits.

`fire(member)` runs when a timer falls due: it commits one notice per person to notify
(each gated in Redis on the referral still waiting at the same generation, so nothing is
committed after an acknowledgement), then records the rung reached and schedules the next.
`deliver(nid)` sends one notice on its channel: a transient failure is retried with backoff
and jitter until the notice's send-by time, a permanent one (or running out of time) dead-
letters it and moves to the person's next channel at once; with no channel left the
referral is flagged in the coordinators' stalled queue. A notice over its person's flood
window waits in their digest (flood.py). The steps consent's end sets off are in
endings.py."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial

from hub.adapters import SENDERS
from hub.adapters.base import Notice, PermanentSendError, Sender, Sent, TransientSendError
from hub.adapters.render import NoticeFacts, render, render_digest
from hub.clock import Clock
from hub.loops import hold_async
from hub.models import HistoryEvent, Referral
from hub.routing.directory import Ccr, Person
from hub.routing.ladder import (
    ACK,
    CONSENT,
    RETAIN,
    Ladder,
    Rung,
    split_member,
)
from hub.services.audit import Auditor
from hub.services.directory import DirectoryService
from hub.services.timers import timer_field
from hub.store import Store
from hub.store.flood import DIGEST

from .endings import TOLD, Endings
from .flood import Flood, digest_id, digest_meta
from .nudges import Nudges
from .recipients import after_quiet_hours, contact, people_to_notify, watching

SEND_WINDOW = {"emergent": 600, "urgent": 900, "routine": 4 * 3600}  # seconds to deliver
BACKOFF_BASE, BACKOFF_CAP = 5.0, 300.0
SKEW = 5.0  # seconds a rung may fire before its due time (clocks of ticker and worker)


def notice_id(referral: Referral, rung: Rung, person: str, channel_index: int,
              tag: str = "") -> str:
    """The idempotency key: referral, generation, timer step and round, person, channel
    (and a nudge's ``tag``, so a nudge is a notice of its own)."""
    key = (f"{referral.id}|{referral.generation}|{rung.timer}|{rung.step}|{rung.round}|"
           f"{person}|{channel_index}{'|' + tag if tag else ''}")
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def sent_as(kind: str, sent: Sent) -> str | None:
    """The provider's id for a message, kept to match its delivery reports (None: this
    channel's provider reports nothing)."""
    return sent.provider_id if SENDERS[kind].receivers else None


def backoff(attempt: int, rand: random.Random) -> float:
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** attempt) * rand.uniform(0.5, 1.5)


@dataclass
class Engine(Endings, Nudges):
    store: Store
    clock: Clock
    ccr: Ccr
    ladder: Ladder
    directory: DirectoryService
    auditor: Auditor
    senders: Mapping[str, Sender]  # the adapters this process sends with, by kind
    base_url: str
    flood: Flood
    lease: float = 60.0  # seconds to send a notice claimed at commit before it is re-sent
    rand: random.Random = random.Random()  # noqa: B008 - jitter only, never security

    async def each(self, step: Callable[[str], Awaitable[str]], ids: list[str]) -> list[str]:
        """Run ``step`` for every id concurrently; one failing does not stop the others (its
        claim stays leased, so it runs again), and the first failure is raised at the end.
        A step that meets a Redis outage runs again when Redis answers (steps are
        idempotent), for up to a lease: by then the reaper has handed its claim out again."""
        results = await asyncio.gather(
            *(hold_async("job", partial(step, i), give_up_after=self.lease) for i in ids),
            return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise failed[0]
        return [str(r) for r in results]

    # -- timers ------------------------------------------------------------------------------
    async def fire(self, member: str) -> str:
        """Fire a due rung, then send at once the notices it committed that are due now
        (a notice held back by quiet hours waits in the deliveries queue)."""
        outcome, claimed = await self._fire(member)
        await asyncio.gather(*(self.deliver(nid) for nid in claimed))
        return outcome

    async def _fire(self, member: str) -> tuple[str, list[str]]:
        rid, timer = split_member(member)
        queue = self.store.keys.deadlines()
        referral = await self.store.referrals.get(rid)
        if timer in TOLD:
            return await self._tell_everyone(referral, member, timer)
        if timer == CONSENT:
            return await self._consent_ran_out(referral, member), []
        if timer == RETAIN:
            return await self._retention_over(referral, member), []
        state = await self.store.referrals.timer_state(rid, timer_field(timer))
        policy = self.ladder.policy(referral.type, referral.urgency) if referral else None
        if referral is None or state is None or policy is None \
                or referral.status not in watching(timer):
            await self.store.timers.release(queue, member)
            return "done", []
        if self.clock.now() >= referral.consent.expires_at:  # fail closed: its own step
            await self.store.timers.release(queue, member)  # ends the referral; tell no one
            return "done", []
        rung = Rung.parse(timer, state, due=0.0)
        due = self.ladder.at(policy, referral.destination, timer, rung.step, rung.round,
                             rung.base).due
        if due > self.clock.now() + SKEW:  # handed out twice (a lease ran out while its job
            await self.store.timers.requeue(queue, member, due)  # waited) and the other
            return "not-due", []  # job fired it: the rung now waiting is not due yet
        step = policy.escalation[rung.step]
        roster = await self.directory.verified_roster(referral.destination)
        level = rung.round * len(policy.escalation) + rung.step + 1
        deadline = self.ladder.deadline(policy, referral.destination, timer, rung.base)
        claimed: list[str] = []
        for person in people_to_notify(self.ccr, referral.destination, referral.type,
                                       step.notify, roster):
            outcome, nid = await self._commit(referral, rung, level, person, 0, due, deadline)
            if outcome == "stale":
                return await self._stale(member), claimed
            if outcome == "claimed":
                claimed.append(nid)
        now = self.clock.now()
        following = self.ladder.next(policy, referral.destination, rung)
        first = HistoryEvent(at=now, actor="hub", action="notified") \
            if timer == ACK and level == 1 else None
        result = await self.store.timers.advance(
            rid, member, timer_field=timer_field(timer), generation=referral.generation,
            next_state=following.state() if following else None,
            next_due=following.due if following else 0.0, now=now,
            flag_stalled=step.notify == "coordinator", first_notice=first, due=due)
        return (await self._stale(member) if result == "stale" else result), claimed

    async def _stale(self, member: str) -> str:
        """The referral changed under this step: fire again with what it is now (if the
        change stopped the timer, the next firing finds that and does nothing)."""
        await self.store.timers.requeue(self.store.keys.deadlines(), member, self.clock.now())
        return "stale"

    async def _commit(self, referral: Referral, rung: Rung, level: int, person: Person,
                      index: int, rung_due: float, deadline: float, tag: str = ""
                      ) -> tuple[str, str]:
        """Commit the notice for ``person`` on their channel number ``index``: its outcome
        (see NoticeStore.commit, or 'no-channel') and its id."""
        ch = contact(person, index)
        if ch is None:
            return "no-channel", ""
        agency = self.ccr.find_agency(referral.destination)
        now = self.clock.now()
        facts = NoticeFacts(referral.id, agency.name, rung.timer, deadline, level,
                            agency.timezone)
        words = SENDERS[ch.kind].words(render(facts, person.language, self.base_url))
        nid = notice_id(referral, rung, person.id, index, tag)
        fields = {"referral": referral.id, "generation": str(referral.generation),
                  "timer": rung.timer, "step": str(rung.step), "round": str(rung.round),
                  "level": str(level), "person": person.id, "channel": ch.kind,
                  "channel_index": str(index), "to": ch.to, "subject": words.subject,
                  "text": words.text, "html": words.html or "",
                  "status": "queued", "attempts": "0", "created_at": str(now),
                  "rung_due": str(rung_due), "agency": agency.id, "deadline": str(deadline),
                  "send_by": str(now + SEND_WINDOW[referral.urgency])}
        deliver_at = after_quiet_hours(person, agency.timezone, now, referral.urgency)
        outcome = await self.store.notices.commit(
            referral.id, nid, fields, generation=referral.generation,
            statuses=watching(rung.timer), deliver_at=deliver_at, now=now, lease=self.lease,
            audit=self.auditor.event(None, f"notice.{ch.kind}", referral=referral.id))
        return outcome, nid

    # -- deliveries --------------------------------------------------------------------------
    async def deliver(self, member: str) -> str:
        """Send one notice (or, for a ``digest-`` member, a person's digest)."""
        if member.startswith(DIGEST):
            return await self._deliver_digest(member.removeprefix(DIGEST))
        nid = member
        notice = await self.store.notices.get(nid)
        if notice is None or notice["status"] in ("sent", "held", "cancelled"):
            await self.store.timers.release(self.store.keys.deliveries(), nid)
            return "done"
        if notice["status"] == "dead":  # e.g. the carrier reported it undelivered
            return await self._dead_letter(nid, notice, notice.get("last_error", "dead"))
        if not await self._still_wanted(notice):
            await self.store.notices.update(nid, {"status": "cancelled"}, release=True)
            return "cancelled"
        adapter = self.senders.get(notice["channel"])
        if adapter is None:
            return await self._dead_letter(nid, notice, "no adapter for this channel")
        free_at = await self.flood.take(nid, notice, self.clock.now())
        if free_at:
            await self.store.flood.hold(nid, digest_id(notice), digest_meta(notice), free_at)
            return "held"
        message = Notice(key=nid, to=notice["to"], subject=notice["subject"],
                         text=notice["text"], html=notice["html"] or None)
        attempts = int(notice["attempts"]) + 1
        try:
            sent = await adapter.send(message)
        except (TransientSendError, PermanentSendError) as e:
            await self.flood.give_back(nid, notice)
            return await self._failed(nid, notice, attempts, e)
        # Sent: recording it waits out a Redis outage (up to a lease), since running the
        # whole step again would send it again.
        await hold_async("recording a sent notice", partial(
            self.store.notices.update, nid, {"status": "sent", "attempts": str(attempts),
                                             "provider_id": sent.provider_id,
                                             "sent_at": str(self.clock.now())}, release=True,
            sent_as=sent_as(notice["channel"], sent)),
            give_up_after=self.lease)
        return "sent"

    async def _failed(self, nid: str, notice: dict[str, str], attempts: int,
                      error: TransientSendError | PermanentSendError) -> str:
        """Retry a transient failure with backoff until the notice's send-by time; dead-
        letter a permanent one (or one out of time)."""
        if isinstance(error, PermanentSendError):
            return await self._dead_letter(nid, notice, f"refused: {error}")
        wait = max(backoff(attempts, self.rand), error.retry_after or 0.0)
        retry_at = self.clock.now() + wait
        if retry_at >= float(notice["send_by"]):
            return await self._dead_letter(nid, notice, f"gave up: {error}")
        await self.store.notices.update(nid, {"attempts": str(attempts),
                                              "last_error": str(error)[:200]},
                                        retry_at=retry_at)
        return "retry"

    async def _still_wanted(self, notice: dict[str, str]) -> bool:
        """False once the referral was acknowledged (or closed) after the notice was
        committed: such a notice is not sent."""
        referral = await self.store.referrals.get(notice["referral"])
        return referral is not None and referral.status.value in watching(notice["timer"])

    async def _deliver_digest(self, digest: str) -> str:
        """Send a person's held notices as one message, once their window has room."""
        member = DIGEST + digest
        meta, nids = await self.store.flood.held(digest)
        live: list[tuple[str, dict[str, str]]] = []
        for nid in nids:
            notice = await self.store.notices.get(nid)
            if notice is not None and await self._still_wanted(notice):
                live.append((nid, notice))
        gone = sorted(set(nids) - {nid for nid, _ in live})
        if gone:
            await self.store.flood.settle(digest, gone, {"status": "cancelled"})
        adapter = self.senders.get(meta.get("channel", ""))
        if not live or adapter is None:
            await self.store.timers.release(self.store.keys.deliveries(), member)
            return "done"
        now = self.clock.now()
        free_at = await self.flood.take(f"{member}:{now}", live[0][1], now)
        if free_at:
            await self.store.timers.requeue(self.store.keys.deliveries(), member, free_at)
            return "held"
        message = self._digest_message(meta, live)
        key = message.key
        try:
            sent = await adapter.send(message)
        except (TransientSendError, PermanentSendError) as e:
            await self.flood.give_back(f"{member}:{now}", live[0][1])
            return await self._digest_failed(digest, live, now, e)
        await self.store.flood.settle(digest, [nid for nid, _ in live], {
            "status": "sent", "provider_id": sent.provider_id, "sent_at": str(self.clock.now()),
            "sent_in_digest": key}, sent_as=sent_as(meta["channel"], sent))
        return "sent"

    async def _digest_failed(self, digest: str, live: list[tuple[str, dict[str, str]]],
                             now: float, error: TransientSendError | PermanentSendError) -> str:
        """Retry a digest with backoff by its own count of attempts, until the earliest
        send-by time of what it holds; otherwise dead-letter every notice in it."""
        if isinstance(error, PermanentSendError):
            return await self._dead_letter_digest(digest, live, f"refused: {error}")
        give_up = min(float(n["send_by"]) for _, n in live)
        retry_at = now + max(backoff(await self.store.flood.failed_attempt(digest), self.rand),
                             error.retry_after or 0.0)
        if retry_at >= give_up:
            return await self._dead_letter_digest(digest, live, "gave up on the digest")
        await self.store.timers.requeue(self.store.keys.deliveries(), DIGEST + digest, retry_at)
        return "retry"

    def _digest_message(self, meta: dict[str, str], live: list[tuple[str, dict[str, str]]]
                        ) -> Notice:
        """One message for the held notices (a single one goes out as it was written)."""
        if len(live) == 1:
            nid, n = live[0]
            return Notice(key=nid, to=meta["to"], subject=n["subject"], text=n["text"],
                          html=n["html"] or None)
        person = self.ccr.find_person(meta["person"])
        words = SENDERS[meta["channel"]].words(render_digest(
            [self._facts(n) for _, n in live], person.language if person else "en",
            self.base_url))
        key = hashlib.sha256("|".join(nid for nid, _ in live).encode()).hexdigest()[:32]
        return Notice(key=key, to=meta["to"], subject=words.subject, text=words.text,
                      html=words.html)

    async def _dead_letter_digest(self, digest: str, live: list[tuple[str, dict[str, str]]],
                                  why: str) -> str:
        await self.store.flood.settle(digest, [nid for nid, _ in live], {"status": "dead"})
        for nid, notice in live:
            await self._dead_letter(nid, notice, why)
        return "dead"

    def _facts(self, notice: dict[str, str]) -> NoticeFacts:
        referral_agency = self.ccr.find_agency(notice["agency"])
        return NoticeFacts(notice["referral"], referral_agency.name, notice["timer"],
                           float(notice["deadline"]), int(notice["level"]),
                           referral_agency.timezone)

    async def _dead_letter(self, nid: str, notice: dict[str, str], why: str) -> str:
        """Mark the notice dead, then (idempotently) try the person's next channel, or flag
        the referral for the coordinators when there is none."""
        await self.store.notices.update(nid, {"status": "dead", "last_error": why[:200]})
        referral = await self.store.referrals.get(notice["referral"])
        person = self.ccr.find_person(notice["person"])
        following = ""
        if referral is not None and person is not None:
            state = await self.store.referrals.timer_state(referral.id,
                                                           timer_field(notice["timer"]))
            base = Rung.parse(notice["timer"], state, 0.0).base if state else referral.submitted_at
            rung = Rung(notice["timer"], int(notice["step"]), int(notice["round"]), base, 0.0)
            nxt = int(notice["channel_index"]) + 1
            outcome, next_nid = await self._commit(referral, rung, int(notice["level"]),
                                                   person, nxt, float(notice["rung_due"]),
                                                   float(notice["deadline"]))
            if outcome == "no-channel":
                await self.store.timers.flag_stalled(referral.id, self.clock.now())
            if outcome == "claimed":
                following = next_nid
        await self.store.timers.release(self.store.keys.deliveries(), nid)
        if following:
            await self.deliver(following)
        return "dead"

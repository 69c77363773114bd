"""Delivering the notices a rung commits.

`deliver(nid)` sends one notice with its channel's adapter: a transient failure is retried
with backoff and jitter until the notice's send-by time, a permanent one (or running out of
time) dead-letters it and moves to the person's next contact at once; with no contact left
the referral is flagged in the coordinators' stalled queue. A notice over its person's flood
window waits in their digest (flood.py), which goes out as one message."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from hub.adapters import SENDERS
from hub.adapters.base import Notice, PermanentSendError, Sender, Sent, TransientSendError
from hub.adapters.render import NoticeFacts, render_digest
from hub.clock import Clock
from hub.loops import hold_async
from hub.models import Referral
from hub.routing.ccr import Ccr
from hub.routing.ladder import Rung
from hub.services.claims import ClaimCodes
from hub.services.timers import timer_field
from hub.store import Store
from hub.store.flood import DIGEST
from hub.store.outbox import NoticeRecord
from hub.store.subscriptions import HOOK

from .flood import Flood, digest_id, digest_meta, pressing
from .notify import Notifier, Step, reads
from .recipients import watching

BACKOFF_BASE, BACKOFF_CAP = 5.0, 300.0


class HookSender(Protocol):
    async def deliver(self, member: str) -> str: ...


SendFailure = TransientSendError | PermanentSendError


def backoff(attempt: int, rand: random.Random) -> float:
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** attempt) * rand.uniform(0.5, 1.5)


def sent_as(kind: str, sent: Sent) -> str | None:
    """The provider's id for a message, kept to match its delivery reports (None: this
    channel's provider reports nothing)."""
    return sent.provider_id if SENDERS[kind].receivers else None


def message(notice: NoticeRecord, codes: ClaimCodes) -> Notice:
    """The notice as it was written at commit, its claim code in place, for its adapter."""
    return Notice(key=notice.id, to=notice.to, subject=notice.subject,
                  text=codes.fill(notice.id, notice.text), html=notice.html or None,
                  language=notice.language)


@dataclass
class Delivery:
    store: Store
    clock: Clock
    ccr: Ccr
    notifier: Notifier  # commits the notice for a dead letter's next contact
    flood: Flood
    senders: Mapping[str, Sender]  # the adapters this process sends with, by kind
    base_url: str
    lease: float = 60.0  # seconds a claimed notice is held for this process
    rand: random.Random = random.Random()  # noqa: B008 - jitter only, never security
    hooks: HookSender | None = None  # FHIR Subscriptions' notifications (hooks.py)

    async def deliver(self, member: str) -> str:
        """Send one notice (or, for a ``digest-`` member, a person's digest; for a
        ``hook-`` member, a Subscription's notification)."""
        if member.startswith(DIGEST):
            return await self._deliver_digest(member.removeprefix(DIGEST))
        if member.startswith(HOOK):
            if self.hooks is None:
                await self.store.timers.release(self.store.keys.deliveries(), member)
                return "done"
            return await self.hooks.deliver(member)
        notice = await self.store.notices.get(member)
        if notice is None or notice.status in ("sent", "held", "cancelled"):
            await self.store.timers.release(self.store.keys.deliveries(), member)
            return "done"
        if notice.status == "dead":  # e.g. the carrier reported it undelivered
            return await self._dead_letter(notice, notice.last_error or "dead")
        referral = await self._wanted_for(notice) if notice.referral else None
        if notice.referral and referral is None:
            await self.store.notices.update(notice.id, {"status": "cancelled"}, release=True)
            return "cancelled"
        adapter = self.senders.get(notice.channel)
        if adapter is None:
            return await self._dead_letter(notice, "no adapter for this channel")
        free_at = await self.flood.take(notice.id, notice, self.clock.now(),
                                        pressing=pressing(referral, notice)) \
            if referral else None  # a coverage gap's notice is never held in a digest
        if free_at:
            await self.store.flood.hold(notice.id, digest_id(notice), digest_meta(notice),
                                        free_at)
            return "held"
        return await self._send(adapter, notice)

    async def _send(self, adapter: Sender, notice: NoticeRecord) -> str:
        attempts = notice.attempts + 1
        try:
            sent = await adapter.send(message(notice, self.notifier.codes))
        except (TransientSendError, PermanentSendError) as e:
            await self.flood.give_back(notice.id, notice)
            return await self._failed(notice, attempts, e)
        # Sent: recording it waits out a Redis outage (up to a lease), since running the
        # whole step again would send it again.
        await hold_async("recording a sent notice", partial(
            self.store.notices.update, notice.id, {
                "status": "sent", "attempts": attempts, "provider_id": sent.provider_id,
                "sent_at": self.clock.now()}, release=True,
            sent_as=sent_as(notice.channel, sent)), give_up_after=self.lease)
        await self._told([notice])
        return "sent"

    async def _failed(self, notice: NoticeRecord, attempts: int, error: SendFailure) -> str:
        """Retry a transient failure with backoff until the notice's send-by time; dead-
        letter a permanent one (or one out of time)."""
        if isinstance(error, PermanentSendError):
            return await self._dead_letter(notice, f"refused: {error}")
        wait = max(backoff(attempts, self.rand), error.retry_after or 0.0)
        retry_at = self.clock.now() + wait
        if retry_at >= notice.send_by:
            return await self._dead_letter(notice, f"gave up: {error}")
        await self.store.notices.update(notice.id, {"attempts": attempts,
                                                    "last_error": str(error)[:200]},
                                        retry_at=retry_at)
        return "retry"

    async def _wanted_for(self, notice: NoticeRecord) -> Referral | None:
        """The notice's referral while its notices are wanted; None once it was
        acknowledged (or closed) after the notice was committed: such a notice is not sent.
        (A notice about no referral, an agency's coverage gap, is always wanted: the caller
        asks only for a notice that has a referral.)"""
        referral = await self.store.referrals.get(notice.referral)
        return referral if referral and referral.status.value in watching(notice.timer) else None

    async def _deliver_digest(self, digest: str) -> str:
        """Send a person's held notices as one message, once their window has room."""
        member = DIGEST + digest
        meta, nids = await self.store.flood.held(digest)
        live: list[NoticeRecord] = []
        for nid in nids:
            notice = await self.store.notices.get(nid)
            if notice is not None and await self._wanted_for(notice):
                live.append(notice)
        gone = sorted(set(nids) - {n.id for n in live})
        if gone:
            await self.store.flood.settle(digest, gone, {"status": "cancelled"})
        adapter = self.senders.get(meta.get("channel", ""))
        if not live or adapter is None:
            await self.store.timers.release(self.store.keys.deliveries(), member)
            return "done"
        now = self.clock.now()
        free_at = await self.flood.take(f"{member}:{now}", live[0], now)
        if free_at:
            await self.store.timers.requeue(self.store.keys.deliveries(), member, free_at)
            return "held"
        return await self._send_digest(adapter, digest, meta, live, now)

    async def _send_digest(self, adapter: Sender, digest: str, meta: dict[str, str],
                           live: list[NoticeRecord], now: float) -> str:
        together = self._digest_message(meta, live)
        try:
            sent = await adapter.send(together)
        except (TransientSendError, PermanentSendError) as e:
            await self.flood.give_back(f"{DIGEST}{digest}:{now}", live[0])
            return await self._digest_failed(digest, live, now, e)
        await self.store.flood.settle(digest, [n.id for n in live], {
            "status": "sent", "provider_id": sent.provider_id, "sent_at": self.clock.now(),
            "sent_in_digest": together.key}, sent_as=sent_as(meta["channel"], sent))
        await self._told(live)
        return "sent"

    async def _told(self, notices: list[NoticeRecord]) -> None:
        """Notices went out: those to a coordinator mark their referral 'coordinators
        alerted' on the queue (only then: not when a rung merely reached them)."""
        for notice in notices:
            person = self.ccr.find_person(notice.person)
            if person is not None and "coordinator" in person.roles:
                await self.store.timers.flag_alerted(notice.referral, self.clock.now())

    async def _digest_failed(self, digest: str, live: list[NoticeRecord], now: float,
                             error: SendFailure) -> str:
        """Retry a digest with backoff by its own count of attempts, until the earliest
        send-by time of what it holds; otherwise dead-letter every notice in it."""
        if isinstance(error, PermanentSendError):
            return await self._dead_letter_digest(digest, live, f"refused: {error}")
        give_up = min(n.send_by for n in live)
        retry_at = now + max(backoff(await self.store.flood.failed_attempt(digest), self.rand),
                             error.retry_after or 0.0)
        if retry_at >= give_up:
            return await self._dead_letter_digest(digest, live, "gave up on the digest")
        await self.store.timers.requeue(self.store.keys.deliveries(), DIGEST + digest, retry_at)
        return "retry"

    def _digest_message(self, meta: dict[str, str], live: list[NoticeRecord]) -> Notice:
        """One message for the held notices (a single one goes out as it was written)."""
        if len(live) == 1:
            return message(live[0], self.notifier.codes)
        person = self.ccr.find_person(meta["person"])
        now, can_read = self.clock.now(), person is not None and reads(person)
        words = SENDERS[meta["channel"]].words(render_digest(
            [self._facts(n, now, can_read) for n in live],
            person.language if person else "en", self.base_url))
        key = hashlib.sha256("|".join(n.id for n in live).encode()).hexdigest()[:32]
        return Notice(key=key, to=meta["to"], subject=words.subject, text=words.text,
                      html=words.html, language=live[0].language)

    async def _dead_letter_digest(self, digest: str, live: list[NoticeRecord],
                                  why: str) -> str:
        await self.store.flood.settle(digest, [n.id for n in live], {"status": "dead"})
        for notice in live:
            await self._dead_letter(notice, why)
        return "dead"

    def _facts(self, notice: NoticeRecord, now: float, can_read: bool) -> NoticeFacts:
        referral_agency = self.ccr.agency(notice.agency)
        return NoticeFacts(notice.referral, referral_agency.name, notice.timer,
                           notice.deadline, notice.level, referral_agency.timezone,
                           now=now, reads=can_read, drill=bool(notice.drill))

    async def _dead_letter(self, notice: NoticeRecord, why: str) -> str:
        """Mark the notice dead, then (idempotently) try the person's next contact, or flag
        the referral for the coordinators when there is none."""
        await self.store.notices.update(notice.id, {"status": "dead", "last_error": why[:200]})
        following = await self._next_contact(notice)
        await self.store.timers.release(self.store.keys.deliveries(), notice.id)
        if following:
            await self.deliver(following)
        return "dead"

    async def _next_contact(self, notice: NoticeRecord) -> str:
        """Commit the notice again on the person's next contact: its id when it is due
        now; flag the referral when the person has no contact left."""
        referral = await self.store.referrals.get(notice.referral)
        person = self.ccr.find_person(notice.person)
        if referral is None or person is None:
            return ""
        state = await self.store.referrals.timer_state(referral.id, timer_field(notice.timer))
        base = Rung.parse(notice.timer, state, 0.0).base if state else referral.submitted_at
        step = Step(Rung(notice.timer, notice.step, notice.round, base, 0.0), notice.level,
                    notice.rung_due, notice.deadline)
        outcome, nid = await self.notifier.commit(referral, step, person,
                                                  notice.channel_index + 1)
        if outcome == "no-channel":
            await self.store.timers.flag_stalled(referral.id, self.clock.now())
        return nid if outcome == "claimed" else ""

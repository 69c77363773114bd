"""Submitting referrals and reading them back: routing, consent and agreement checks before
anything is stored; access rules on every read."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from hub.api.codes import Codes
from hub.clock import Clock
from hub.crypto import EnvelopeError, Header, Kind, TrustError, VerifiedRoster, parse_header
from hub.crypto.envelope import CLOCK_SKEW
from hub.errors import Conflict, Forbidden, NotFound, Unprocessable
from hub.models import URGENCY_NAMES, Consent, HistoryEvent, Referral, Status
from hub.routing.deadlines import DeadlineCalculator
from hub.store import Store

from . import trails
from .access import require_visible
from .auditor import Auditor
from .consent import ConsentService
from .directory import DirectoryService
from .flowback import Sight, needs_history, sight
from .onward import check_parent
from .principal import Principal
from .timers import TimerPlanner
from .tokens import TokenService
from .trails import Trail


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=32).hexdigest()


def read_header(envelope: bytes) -> Header:
    try:
        return parse_header(envelope)
    except EnvelopeError:
        raise Unprocessable("the envelope's header cannot be read: seal it with the CCR Hub SDK "
                            "(format v1, docs/envelope.md)", code=Codes.BAD_ENVELOPE) from None


def check_lifetime(header: Header, now: float) -> None:
    if header.created_at > now + CLOCK_SKEW:
        raise Unprocessable("the envelope was created in the future; check the sending "
                            "device's clock", code=Codes.ENVELOPE_FROM_FUTURE)
    if header.expires_at <= now:
        raise Unprocessable("the envelope has expired; seal it again", code=Codes.ENVELOPE_EXPIRED)


def is_admin_of(who: Principal, agency: str) -> bool:
    """An agency admin hands referrals on with the agency's recovery key: they may fetch
    the ciphertext (never a key) to grant it, and see who can read it."""
    return who.agency == agency and who.has("agency_admin")


def sealed_to(roster: VerifiedRoster, referral: Referral) -> str:
    """The device ids (hex, space-separated) a sender sealing to this roster sealed to: who
    can read the referral before any key grant (the hub cannot tell from the header)."""
    try:
        devices = roster.recipients(referral.type, int(referral.submitted_at))
    except TrustError:
        return ""
    return " ".join(c.device_id.hex() for c in devices)


class ReferralService:
    def __init__(self, *, store: Store, clock: Clock, directory: DirectoryService,
                 consent: ConsentService, deadlines: DeadlineCalculator, timers: TimerPlanner,
                 tokens: TokenService, auditor: Auditor):
        self._store = store
        self._clock = clock
        self._directory = directory
        self._consent = consent
        self._deadlines = deadlines
        self._timers = timers
        self._tokens = tokens
        self._audit = auditor
        self.after_change: Callable[[Referral], Awaitable[None]] | None = None  # Subscriptions

    async def submit(self, who: Principal, envelope: bytes, consent: Consent | None,
                     request_id: str | None = None, *, client: str = "unknown",
                     parent: str | None = None, case_link: str | None = None
                     ) -> tuple[Sight, bool]:
        """Route a sealed referral. Returns (referral, created); the same envelope again
        returns the existing referral as the sender may see it, other bytes under the same
        id are a conflict. A token revoked since ``who`` was authenticated (the write
        checks it) is refused as a failed sign-in from ``client``, the asker's address.
        ``parent``: an onward referral's (onward.py); ``case_link``: the case's link id for
        this agency pair, opaque to the hub."""
        if not who.has("sender"):
            raise Forbidden("only a person with the sender role may submit referrals")
        header = read_header(envelope)
        if header.drill:
            raise Unprocessable("this envelope was sealed for a drill: a coordinator starts "
                                "drills ('hub drill start')", code=Codes.DRILL_ENVELOPE)
        now = self._clock.now()
        self._check_route(who, header, now)
        consent = self._consent.check_submission(consent, sender_agency=who.agency,
                                                 destination=header.destination,
                                                 referral_type=header.referral_type, now=now)
        if parent is not None and (await check_parent(self._store, who, parent, now)).drill:
            raise Unprocessable(f"referral {parent} is a drill's: a drill's referral goes "
                                "onward only in its drill, never as a real referral",
                                code=Codes.DRILL_ENVELOPE)
        ack_due = self._deadlines.ack_due(header.referral_type, URGENCY_NAMES[header.urgency],
                                          header.destination, now)
        referral = self._new_referral(who, header, envelope, consent, now, ack_due).model_copy(
            update={"parent": parent, "case_link": case_link})
        submitted = HistoryEvent(at=now, actor=who.person, action="submitted",
                                 to_status=Status.REQUESTED)
        result = await self._create(who, referral, envelope, submitted, request_id, client)
        if result == "created":
            if self.after_change is not None:
                await self.after_change(referral)
            return sight(who, referral, self._directory.ccr, now, [submitted]), True
        existing = await self._store.referrals.get(referral.id)
        if result == "exists" and existing and existing.sender_agency == who.agency:
            await self._audit.record(who, "referral.submit", referral=referral.id,
                                     outcome="existing", request_id=request_id)
            await self._store.replicated()  # the first attempt's write may not be, yet
            return await self.sight(who, existing), False
        raise Conflict("another envelope was already submitted with this envelope id; seal "
                       "again (a new id) rather than editing an envelope", code=Codes.DUPLICATE_ID)

    async def submit_drill(self, coordinator: Principal, sender: Principal, envelope: bytes,
                           *, drill: str, people: tuple[str, ...], lifetime: float,
                           request_id: str | None = None, parent: str | None = None,
                           case_link: str | None = None) -> Referral:
        """Route a drill's referral (services/drills.py checked it is one of its scenario's
        steps) as ``sender`` would send it, through the real routing and deadlines: marked
        with its drill, told only to ``people``, with consent made up for the drill's
        ``lifetime``. ``coordinator``, who started the drill, is the one audited.
        ``parent``: an onward step's, checked as for real (onward.py: the sender's agency
        received it, its consent stands)."""
        header = read_header(envelope)
        if not header.drill:
            raise Unprocessable("a drill's envelope is sealed as a drill (its header says "
                                "so): seal it with 'hub drill start'", code=Codes.DRILL_ENVELOPE)
        now = self._clock.now()
        self._check_route(sender, header, now)
        consent = Consent(agency=header.destination, purposes=(header.referral_type,),
                          given_at=int(now) - 1, method="written", documented_by=sender.person,
                          expires_at=int(now + lifetime))
        if parent is not None:
            await check_parent(self._store, sender, parent, now)
        ack_due = self._deadlines.ack_due(header.referral_type, URGENCY_NAMES[header.urgency],
                                          header.destination, now)
        referral = self._new_referral(sender, header, envelope, consent, now, ack_due
                                      ).model_copy(update={"drill": drill,
                                                           "drill_people": " ".join(people),
                                                           "parent": parent,
                                                           "case_link": case_link})
        submitted = HistoryEvent(at=now, actor=sender.person, action="submitted",
                                 to_status=Status.REQUESTED)
        result = await self._create(coordinator, referral, envelope, submitted, request_id,
                                    "drill", token_person=coordinator.person)
        if result != "created":
            raise Conflict("this drill envelope was submitted already; start the drill again",
                           code=Codes.DUPLICATE_ID)
        return referral

    async def _create(self, who: Principal, referral: Referral, envelope: bytes,
                      submitted: HistoryEvent, request_id: str | None, client: str,
                      token_person: str | None = None) -> str:
        """Write the referral against the destination's current roster; when that roster
        changed since it was verified, verify the new one and write again."""
        for refresh in (False, True):
            routed = await self._directory.routing_roster(referral.destination, refresh=refresh)
            if routed is None:
                raise Conflict(f"{referral.destination} has no current roster to seal to; ask "
                               "its agency admin to publish one", code=Codes.NO_ROSTER)
            deadlines, timer_fields = self._timers.on_submit(referral)
            result = await self._store.referrals.create(
                referral, envelope, submitted, deadlines,
                self._audit.event(who, "referral.submit", referral=referral.id,
                                  request_id=request_id),
                roster=routed[0], token_id=who.token_id,
                timer_fields={**timer_fields, "sealed_to": sealed_to(routed[1], referral)},
                token_person=token_person)
            if result == "token_revoked":
                await self._tokens.refuse_revoked(client, who.token_id)
            if result != "roster_changed":
                return result
        raise Conflict(f"{referral.destination} published a new roster while this was being "
                       "submitted; submit again", code=Codes.ROSTER_CHANGED)

    def _check_route(self, who: Principal, header: Header, now: float) -> None:
        if header.kind is not Kind.REFERRAL:
            raise Unprocessable("this is a reply; post it to its referral's replies",
                                code=Codes.NOT_A_REFERRAL)
        ccr = self._directory.ccr
        if ccr.find_agency(header.destination) is None:
            raise Unprocessable(f"unknown destination agency '{header.destination}'",
                                code=Codes.UNKNOWN_AGENCY)
        if ccr.referral_type(header.referral_type) is None:
            raise Unprocessable(f"unknown referral type '{header.referral_type}'",
                                code=Codes.UNKNOWN_TYPE)
        if ccr.agreement(who.agency, header.destination, header.referral_type) is None:
            raise Forbidden(f"no sharing agreement lets {who.agency} send "
                            f"'{header.referral_type}' referrals to {header.destination}",
                            code=Codes.NO_AGREEMENT)
        check_lifetime(header, now)

    @staticmethod
    def _new_referral(who: Principal, header: Header, envelope: bytes, consent: Consent,
                      now: float, ack_due: float | None) -> Referral:
        return Referral(
            id=header.envelope_id.hex(), status=Status.REQUESTED, generation=1,
            sender_agency=who.agency, sender_person=who.person, destination=header.destination,
            type=header.referral_type, urgency=URGENCY_NAMES[header.urgency],
            created_at=header.created_at, expires_at=header.expires_at, submitted_at=now,
            updated_at=now, header_hash=header.hash.hex(), envelope_digest=digest(envelope),
            consent=consent, ack_due_at=ack_due)

    async def get(self, who: Principal, rid: str) -> Referral:
        """The referral as stored, for the services' own decisions: 404 unless ``who`` may
        see it. Never handed to the web layer: answers are made from ``sight``."""
        return require_visible(who, await self._store.referrals.get(rid), rid)

    async def sight(self, who: Principal, referral: Referral, *,
                    with_history: bool = False) -> Sight:
        """``referral`` as ``who`` may know it (flowback.py), reading its history when the
        view is replayed from it or when asked."""
        ccr = self._directory.ccr
        history = None
        if with_history or needs_history(who, referral, ccr):
            history = await self._store.referrals.history(referral.id)
        return sight(who, referral, ccr, self._clock.now(), history)

    async def read(self, who: Principal, rid: str, *, with_history: bool = False) -> Sight:
        """A referral as ``who`` may see it."""
        return await self.sight(who, await self.get(who, rid), with_history=with_history)

    async def history(self, who: Principal, rid: str) -> list[HistoryEvent]:
        return list((await self.read(who, rid, with_history=True)).history or ())

    async def audit_trail(self, who: Principal, rid: str) -> Trail:
        """Who opened, acknowledged, escalated... a referral, and when: for coordinators
        and the two agencies' admins, as far as each may know it, every entry checked
        against the sealed log (trails.py). Entries hold no identifying detail."""
        seen = await self.read(who, rid)
        if not who.has("coordinator", "agency_admin"):
            raise Forbidden("only coordinators and agency admins read a referral's audit trail",
                            code=Codes.NOT_ALLOWED)
        trail = await trails.read(self._store, rid)
        problem = trail.problem if who.is_coordinator or not trail.problem else \
            "part of this trail does not match the sealed audit log; tell the hub's operator"
        return Trail(seen.audit(trail.events), problem)

    async def download(self, who: Principal, rid: str, request_id: str | None = None, *,
                       to_grant: bool = False) -> bytes:
        """The envelope bytes, for the receiving escalation group only; the first fetch is
        recorded as the 'opened' receipt, unless the device fetches it only to hand its key
        on to a new device (``to_grant``: audited, and no one has read it yet)."""
        referral = await self.get(who, rid)
        if not (to_grant and is_admin_of(who, referral.destination)):  # break-glass
            await self._directory.require_recipient(who, referral)
        now = self._clock.now()
        self._consent.check_referral(referral, now)
        envelope = await self._store.referrals.envelope(rid)
        if envelope is None:
            raise NotFound("this referral's envelope has been deleted", code=Codes.ENVELOPE_GONE)
        if to_grant:
            await self._audit.record(who, "referral.download.grant", referral=rid,
                                     request_id=request_id)
            return envelope
        first = await self._store.referrals.mark_receipt(
            referral, "opened_at", now, HistoryEvent(at=now, actor=who.person, action="opened"),
            self._audit.event(who, "referral.download", referral=rid, request_id=request_id))
        if first == "first" and self.after_change is not None:
            await self.after_change(referral.model_copy(update={"opened_at": now}))
        return envelope

    async def inbox(self, who: Principal, *, statuses: frozenset[Status] | None, offset: int,
                    limit: int) -> list[Sight]:
        return await self._list(who, self._store.keys.inbox(who.agency), statuses, offset,
                                limit)

    async def outbox(self, who: Principal, *, statuses: frozenset[Status] | None, offset: int,
                     limit: int) -> list[Sight]:
        """What the agency sent, as it may see it: a status filter matches the status it
        sees, so filtering reveals nothing the agreement keeps from flowing back."""
        return await self._list(who, self._store.keys.outbox(who.agency), statuses, offset,
                                limit)

    async def sights(self, who: Principal, referrals: list[Referral]) -> list[Sight]:
        """Each of ``referrals`` as ``who`` may know it, with the histories their views need
        read in one round trip."""
        ccr, now = self._directory.ccr, self._clock.now()
        wanted = [r.id for r in referrals if needs_history(who, r, ccr)]
        histories = await self._store.referrals.histories(wanted) if wanted else {}
        return [sight(who, r, ccr, now, histories.get(r.id)) for r in referrals]

    async def _list(self, who: Principal, index: str, statuses: frozenset[Status] | None,
                    offset: int, limit: int) -> list[Sight]:
        if statuses is None:
            ids = await self._store.referrals.page(index, offset=offset, limit=limit)
            return await self.sights(who, await self._store.referrals.get_many(ids))
        found: list[Sight] = []
        skipped, cursor, batch = 0, 0, max(limit * 4, 100)
        while len(found) < limit:
            ids = await self._store.referrals.page(index, offset=cursor, limit=batch)
            if not ids:
                break
            cursor += len(ids)
            for seen in await self.sights(who, await self._store.referrals.get_many(ids)):
                if seen.status in statuses:
                    if skipped < offset:
                        skipped += 1
                    elif len(found) < limit:
                        found.append(seen)
        return found

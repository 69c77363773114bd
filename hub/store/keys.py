"""Every Redis key name the hub uses, in one place (RQ's ``key_template`` habit).

A key holds ids and codes only: nothing identifying about a survivor ever appears in a
key name. Tests give each run its own prefix so they can share one Redis.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "ccr"

    # referrals
    def referral(self, rid: str) -> str:
        return f"{self.prefix}:ref:{rid}"

    def envelope(self, rid: str) -> str:
        return f"{self.prefix}:ref:{rid}:envelope"

    def onward(self, rid: str) -> str:
        """The onward referrals made from a referral (ids, scored by submission)."""
        return f"{self.prefix}:ref:{rid}:onward"

    def history(self, rid: str) -> str:
        return f"{self.prefix}:ref:{rid}:history"

    def milestones(self, rid: str) -> str:
        """The milestones the receiving agency recorded: code -> JSON (at, by, in_time)."""
        return f"{self.prefix}:ref:{rid}:milestones"

    def replies(self, rid: str) -> str:
        return f"{self.prefix}:ref:{rid}:replies"

    def reply(self, rid: str, reply_id: str) -> str:
        return f"{self.prefix}:ref:{rid}:reply:{reply_id}"

    def reply_envelope(self, rid: str, reply_id: str) -> str:
        return f"{self.prefix}:ref:{rid}:reply:{reply_id}:envelope"

    def attachments(self, rid: str) -> str:
        return f"{self.prefix}:ref:{rid}:attachments"

    def attachment(self, rid: str, index: int) -> str:
        return f"{self.prefix}:ref:{rid}:attachment:{index}"

    def attachment_meta(self, rid: str, index: int) -> str:
        return f"{self.prefix}:ref:{rid}:attachment:{index}:meta"

    def grants(self, rid: str) -> str:
        """Key grants beside the envelope: ``{envelope id}:{grantee device id}`` -> grant
        bytes (opaque to the hub but for their clear fields)."""
        return f"{self.prefix}:ref:{rid}:grants"

    def granted(self, rid: str) -> str:
        """The device ids (hex) granted the referral's own envelope since it was sealed; with
        the ``sealed_to`` field, every device that can read it."""
        return f"{self.prefix}:ref:{rid}:granted"

    def recovery_used(self, agency: str) -> str:
        """Set for an hour after an agency's recovery key was used (one coordinators'
        notice per break-glass hour; under agency:, where the hub's Redis user may SET)."""
        return f"{self.prefix}:agency:{agency}:recovery-used"

    # the roster log: every roster served, in one append-only hash chain
    def roster_log(self) -> str:
        return f"{self.prefix}:rosterlog"

    def roster_log_latest(self) -> str:
        """Agency -> the digest of its newest logged roster; and ' head', the hash after
        the log's last entry (hex)."""
        return f"{self.prefix}:rosterlog:latest"

    # indexes
    def inbox(self, agency: str) -> str:
        return f"{self.prefix}:inbox:{agency}"

    def outbox(self, agency: str) -> str:
        return f"{self.prefix}:outbox:{agency}"

    def changed_in(self, agency: str) -> str:
        """The agency's received referrals scored by when each last changed (``updated_at``):
        the FHIR Task search's index, kept in each change's own step (lua/_lib.lua)."""
        return f"{self.prefix}:changed:in:{agency}"

    def changed_out(self, agency: str) -> str:
        """The agency's sent referrals, likewise."""
        return f"{self.prefix}:changed:out:{agency}"

    def schema(self) -> str:
        """What the store has filled once for an older data set (store/referrals.py
        index_changes): field -> when."""
        return f"{self.prefix}:schema"

    def by_status(self, status: str) -> str:
        return f"{self.prefix}:status:{status}"

    def deadlines(self) -> str:
        """Timers by due time: ``{rid}:ack`` and ``{rid}:fu:{name}``. The single truth."""
        return f"{self.prefix}:deadlines"

    def inflight(self, queue: str) -> str:
        """Claimed entries of a timer queue (deadlines, deliveries) by lease expiry."""
        return f"{queue}:inflight"

    def claim_record(self, queue: str, token: str) -> str:
        """What one claim of a timer queue took, kept for the length of its lease."""
        return f"{queue}:claim:{token}"

    def obligations(self) -> str:
        """What each open referral owes, by when: ``{rid}:ack`` and ``{rid}:fu:{name}``
        scored by the acknowledgement or follow-up deadline itself (not by the ladder's next
        rung). Added and removed in the same step as the timers; the dashboard's queue."""
        return f"{self.prefix}:obligations"

    def obligations_of(self, agency: str) -> str:
        """The same, for the referrals one agency received (its own queue)."""
        return f"{self.prefix}:obligations:{agency}"

    def cards(self) -> str:
        """Each referral's fixed routing facts (``sender|destination|type|urgency``), one
        hash field per referral, so the queue filters many referrals in one read."""
        return f"{self.prefix}:cards"

    def stalled(self) -> str:
        """Referrals whose notice reached nobody (a person with no contact left), flagged
        for the coordinators' queue, by when they were flagged."""
        return f"{self.prefix}:stalled"

    def alerted(self) -> str:
        """Referrals a notice of which went out to a coordinator, by when."""
        return f"{self.prefix}:alerted"

    # figures: counted per receiving agency and UTC day of submission
    def figures(self, agency: str, day: str) -> str:
        """Counters of the referrals an agency received on ``day`` (YYYY-MM-DD)."""
        return f"{self.prefix}:figures:{agency}:{day}"

    def ack_times(self, agency: str, day: str) -> str:
        """Seconds from submission to acknowledgement, of those referrals."""
        return f"{self.prefix}:figures:{agency}:{day}:ack"

    def open_counts(self) -> str:
        """Open referrals per receiving agency, now."""
        return f"{self.prefix}:open"

    # the team meeting (MDT): referrals marked for case review, action items
    def marked_for_review(self) -> str:
        """Referral id -> JSON (code, by, at) of those marked for the next case review."""
        return f"{self.prefix}:mdt:marked"

    def action(self, aid: str) -> str:
        """One action item: referral, owner agency, code, due, status, who, when."""
        return f"{self.prefix}:mdt:action:{aid}"

    def actions(self) -> str:
        """Open action items by due time."""
        return f"{self.prefix}:mdt:actions"

    def referral_actions(self, rid: str) -> str:
        """A referral's action item ids, oldest first."""
        return f"{self.prefix}:ref:{rid}:actions"

    # dashboard
    def subscription(self, sid: str) -> str:
        """A FHIR Subscription (R4 backport): its subscriber, filters, endpoint, status."""
        return f"{self.prefix}:sub:{sid}"

    def subscriptions_of(self, agency: str) -> str:
        """The Subscriptions an agency's systems hold (a set of ids)."""
        return f"{self.prefix}:subs:{agency}"

    def hook(self, nid: str) -> str:
        """One rest-hook notification: subscription, event number, Task id, attempts."""
        return f"{self.prefix}:hook:{nid}"

    def smart_token(self, digest: str) -> str:
        """A SMART Backend Services access token, under the hash of the token."""
        return f"{self.prefix}:smart:token:{digest}"

    def smart_assertion(self, client: str, jti: str) -> str:
        """A client assertion's jti seen: a replay of it is refused until it expires."""
        return f"{self.prefix}:smart:jti:{client}:{jti}"

    def session(self, digest: str) -> str:
        """A signed-in browser session, under the hash of its cookie."""
        return f"{self.prefix}:session:{digest}"

    def nudged(self, rid: str) -> str:
        """Set while a coordinator's nudge of this referral is fresh (the rate limit)."""
        return f"{self.prefix}:ref:{rid}:nudged"

    # notices
    def deliveries(self) -> str:
        """Notices waiting to be (re)tried, by when."""
        return f"{self.prefix}:deliveries"

    def notice(self, nid: str) -> str:
        return f"{self.prefix}:notice:{nid}"

    def sent_by_person(self, person: str, channel: str) -> str:
        """Flood control: notices sent to a person on a channel, by when (a sliding window)."""
        return f"{self.prefix}:sent-to:{person}:{channel}"

    def sent_by_agency(self, agency: str) -> str:
        """Flood control: notices sent to an agency's people, by when."""
        return f"{self.prefix}:sent-to-agency:{agency}"

    def digest(self, digest: str) -> str:
        """A person's digest on one channel: who and where to (person, channel, to)."""
        return f"{self.prefix}:digest:{digest}"

    def digest_notices(self, digest: str) -> str:
        """The notices held in a digest until it is sent."""
        return f"{self.prefix}:digest:{digest}:notices"

    def sent_as(self, provider_id: str) -> str:
        """The notice a gateway knows by ``provider_id`` (for its delivery reports)."""
        return f"{self.prefix}:sent-as:{provider_id}"

    def audit_of(self, rid: str) -> str:
        """The sealed log's entry ids that name this referral, in order (its trail)."""
        return f"{self.prefix}:ref:{rid}:audit"

    def notices_of(self, rid: str) -> str:
        return f"{self.prefix}:ref:{rid}:notices"

    # directory and access
    def root(self, agency: str) -> str:
        return f"{self.prefix}:agency:{agency}:root"

    def roster(self, agency: str) -> str:
        return f"{self.prefix}:agency:{agency}:roster"

    def schedule(self, agency: str) -> str:
        """The agency's live overrides and away periods, by entry id (JSON each)."""
        return f"{self.prefix}:agency:{agency}:schedule"

    def schedule_gaps(self, agency: str) -> str:
        """The coverage gaps the agency's admins were told of, ``start-end`` by end."""
        return f"{self.prefix}:agency:{agency}:schedule:gaps"

    def token(self, token_id: str) -> str:
        return f"{self.prefix}:token:{token_id}"

    def person_tokens(self, person: str) -> str:
        return f"{self.prefix}:person:{person}:tokens"

    def offboarded(self, agency: str) -> str:
        """People of the agency who left: kept out of the escalation groups of the rosters
        its admin signs from then on."""
        return f"{self.prefix}:agency:{agency}:offboarded"

    def auth_failures(self, scope: str, value: str, window: int) -> str:
        """Failed sign-ins from one source (``ip`` address, or ``token`` id of a real token)
        in one window (its number: seconds since the epoch // the window's length)."""
        return f"{self.prefix}:authfail:{scope}:{value}:{window}"

    def tallies(self) -> str:
        """Refusals counted rather than audited one by one (failed sign-ins past the limit,
        requests past a person's limit): one field per source and window, its count."""
        return f"{self.prefix}:tallies"

    def tallies_due(self) -> str:
        """The same tallies by when their window ends (then they become audit events)."""
        return f"{self.prefix}:tallies:due"

    # audit
    def audit(self) -> str:
        """Audit events as written, atomically with the change they record (the intake
        the sealer moves into the log)."""
        return f"{self.prefix}:audit"

    def audit_log(self) -> str:
        """The sealed audit log: each entry canonical JSON naming the previous entry's
        hash, under the same stream id the event had in the intake stream."""
        return f"{self.prefix}:audit:log"

    def audit_head(self) -> str:
        """The sealed log's head: entry count, last hash, last intake id."""
        return f"{self.prefix}:audit:head"

    def audit_checkpoints(self) -> str:
        """Signed checkpoints (count, head hash) of the sealed log."""
        return f"{self.prefix}:audit:checkpoints"

    # the engine, watched
    def engine_beats(self) -> str:
        """When the ticker and the sealer last completed a cycle (members ``ticker``,
        ``sealer``), by time."""
        return f"{self.prefix}:engine:beats"

    def engine_workers(self) -> str:
        """When each RQ worker (by its name) last completed a cycle."""
        return f"{self.prefix}:engine:workers"

    def engine_lateness(self) -> str:
        """How late rungs fired after their due time: a histogram (bucket counts, count,
        sum, the latest)."""
        return f"{self.prefix}:engine:lateness"

    def engine_alarm(self) -> str:
        """The dead man's switch: since when the engine is stale and when the operators
        were last told (shared by every web process, so they act once)."""
        return f"{self.prefix}:engine:alarm"

    def replication_mark(self) -> str:
        """A counter a write bumps so that waiting for the replicas covers every write made
        before it, on any connection."""
        return f"{self.prefix}:replication:mark"

    # claims from a notice (codes are kept as keyed hashes only; services/claims.py)
    def claim_code(self, code_hash: str) -> str:
        """A live claim code: the referral, person and notice it claims (expires)."""
        return f"{self.prefix}:claim:{code_hash}"

    def claims_to(self, number_hash: str) -> str:
        """The live claim codes sent to one phone number (a keyed hash of it), for a
        reply of "1"."""
        return f"{self.prefix}:claims-to:{number_hash}"

    def claims_held(self, agency: str | None = None) -> str:
        """Referrals claimed from a notice, by when the claim's pause ends (every agency's,
        or one receiving agency's): what the dashboard's live updates count."""
        return f"{self.prefix}:claims" + (f":{agency}" if agency else "")

    def claim_tries(self, source: str, window: int) -> str:
        """Failed claim replies in one window, per sending number's hash or ``all``."""
        return f"{self.prefix}:claim-tries:{source}:{window}"

    # web push
    def push_subscriptions(self, person: str) -> str:
        """A person's browsers' push subscriptions, by device id."""
        return f"{self.prefix}:push:{person}"

    # drills
    def drill(self, did: str) -> str:
        """A drill: its scenario, who started it and when, the people it may notify."""
        return f"{self.prefix}:drill:{did}"

    def drill_referrals(self, did: str) -> str:
        """The referrals a drill made (a set of ids): what its end purges."""
        return f"{self.prefix}:drill:{did}:referrals"

    def drills(self) -> str:
        """Drills under way, by when each started."""
        return f"{self.prefix}:drills"
    # checklists
    def setup(self, person: str) -> str:
        """What a person's device page said of its setup (keys made, roots pinned) and when
        they finished their first drill: the facts their checklist reads."""
        return f"{self.prefix}:setup:{person}"

    def drilled_agencies(self) -> str:
        """Each agency that has done a drill, with when it first did."""
        return f"{self.prefix}:setup:drilled"

    def pattern(self) -> str:
        return f"{self.prefix}:*"

"""The hub's domain records: what a referral is, as the services and the store see it.

Nothing here holds content: a referral is routing metadata around an envelope the hub
cannot read. Consent metadata is checked fail-closed (hub/services/consent.py).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

SLUG = r"^[a-z0-9][a-z0-9-]{0,31}$"
UrgencyName = Literal["routine", "urgent", "emergent"]  # a sealed header's 1, 2, 3


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Status(StrEnum):
    """FHIR R4 Task statuses, as the lifecycle in docs/architecture.md uses them."""

    REQUESTED = "requested"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REVOKED = "revoked"
    EXPIRED = "expired"


# to-status -> the statuses it may come from
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.REQUESTED}),
    Status.ACCEPTED: frozenset({Status.RECEIVED}),
    Status.REJECTED: frozenset({Status.RECEIVED}),
    Status.IN_PROGRESS: frozenset({Status.ACCEPTED}),
    Status.COMPLETED: frozenset({Status.ACCEPTED, Status.IN_PROGRESS}),
    Status.CANCELLED: frozenset({Status.REQUESTED, Status.RECEIVED, Status.ACCEPTED,
                                 Status.IN_PROGRESS}),
}
OPEN_STATUSES = frozenset({Status.REQUESTED, Status.RECEIVED, Status.ACCEPTED,
                           Status.IN_PROGRESS})

ConsentMethod = Literal["written", "electronic-signature", "verbal-documented"]


Code = Annotated[str, Field(pattern=SLUG)]
Seconds = Annotated[int, Field(strict=True, ge=0, lt=2**40)]  # since the epoch; no bools


class Consent(Frozen):
    """What the survivor agreed to, without any identifying detail: the signed form itself,
    if any, travels inside the envelope. Every field is a code, a number or a choice, so no
    free text reaches Redis: purposes are the CCR's referral-type codes and documented_by a
    person of the sending agency (both checked in services/consent.py)."""

    agency: str = Field(pattern=SLUG, description="the agency the consent was given for")
    purposes: tuple[Code, ...] = Field(min_length=1, max_length=16,
                                       description="the referral types it covers (the CCR's "
                                       "referral-type codes)")
    given_at: Seconds = Field(description="when it was given, seconds since the epoch")
    method: ConsentMethod
    documented_by: str = Field(pattern=SLUG, description="person id of who documented it: a "
                               "person of the sending agency")
    expires_at: Seconds = Field(description="when it expires, seconds since the epoch")
    share_outcome: bool = Field(False, strict=True, description="the survivor agreed that "
                                "the sender learns the outcome (else only that it closed)")


class HistoryEvent(Frozen):
    at: float
    actor: str
    action: str
    from_status: str | None = None
    to_status: str | None = None
    code: str | None = None


class Referral(Frozen):
    id: str
    status: Status
    generation: int
    sender_agency: str
    sender_person: str
    destination: str
    type: str
    urgency: UrgencyName
    created_at: int
    expires_at: int
    submitted_at: float
    updated_at: float
    header_hash: str
    envelope_digest: str
    consent: Consent
    ack_due_at: float | None = None
    notified_at: float | None = None
    opened_at: float | None = None
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None
    reason_code: str | None = None
    outcome_code: str | None = None
    revoked_at: float | None = None  # consent withdrawn: content deleted at this time
    revoked_by: str | None = None
    sender_cancelled_at: float | None = None  # cancelled by the sender after it had closed
    claimed_by: str | None = None  # a person who claimed it from a notice (not an ack)
    claimed_at: float | None = None
    claim_until: float | None = None  # escalation holds until then, unless acknowledged
    drill: str | None = None  # the drill it belongs to (services/drills.py): never in figures
    drill_people: str | None = None  # a drill's: the only people told (space-separated ids)
    narrative_purged_at: float | None = None  # the receiving agency purged the narrative
    parent: str | None = None  # the referral this one was forwarded from (an onward referral)
    case_link: str | None = None  # the case's opaque link id for this agency pair (hex)
    escalated_at: float | None = None  # when the last rung of an escalation ladder fired

    def claimed(self, now: float) -> bool:
        """Whether a claim holds the escalation now (only while it waits for an ack)."""
        return self.status is Status.REQUESTED and (self.claim_until or 0.0) > now

    def may_notify(self, person: str) -> bool:
        """Whether a notice may go to ``person``: anyone for a real referral; for a
        drill's, only the people its scenario names."""
        return self.drill_people is None or person in self.drill_people.split()
    reply_count: int = 0
    attachment_count: int = 0
    # the escalation ladders' states as stored (``t:{timer}`` without ``t:``: the next rung)
    timers: dict[str, str] = Field(default_factory=dict)

    @property
    def changed_at(self) -> float:
        """When it last changed as a Task does: its status and consent (``updated_at``), its
        receipts, its escalation, and a sender's cancelling after it closed (a Task's
        lastUpdated; store/referrals.py CHANGE_TIMES, the change indexes' score)."""
        return max(self.updated_at, self.notified_at or 0.0, self.opened_at or 0.0,
                   self.escalated_at or 0.0, self.sender_cancelled_at or 0.0)


class AuditEvent(Frozen):
    """One line of the audit log: who did what to which referral, and how it ended.
    Never anything from inside an envelope."""

    at: float
    actor: str  # person id, or "anonymous", or "hub"
    agency: str | None = None
    action: str
    referral: str | None = None
    outcome: str  # "ok", "denied", "refused", "not_found", ...
    request_id: str | None = None  # the hub's own id of the request (X-Request-Id back)
    client_request_id: str | None = None  # the X-Request-Id the client sent, if any
    client: str | None = None  # a failed sign-in's client address
    token_id: str | None = None  # a failed sign-in's token id (the token's public part)
    count: int | None = None  # a tally: how many such refusals in the window ending at `at`
    subject: str | None = None  # the person an admin's action was about (offboarding)


RejectReason = Literal["capacity", "not-eligible", "duplicate", "survivor-declined",
                       "unable-to-contact", "outside-service-area", "other"]
OutcomeCode = Literal["services-provided", "referred-elsewhere", "survivor-declined",
                      "unable-to-contact", "other"]
CancelReason = Literal["sent-in-error", "survivor-request", "duplicate", "other"]
RevokeReason = Literal["survivor-withdrew", "survivor-safety", "other"]
URGENCY_NAMES: dict[int, UrgencyName] = {1: "routine", 2: "urgent", 3: "emergent"}

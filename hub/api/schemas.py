"""The HTTP API's bodies, shared by the server and the SDK: every request is validated by one
of these models, every response is rendered from one (the server's web layer, hub/web) and
read back into one (the SDK, hub/client), and /v1/openapi.json is generated from the same
classes. Nothing here imports the server or the SDK."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    WithJsonSchema,
)

from hub.models import (
    AuditEvent,
    CancelReason,
    Consent,
    HistoryEvent,
    OutcomeCode,
    RejectReason,
    RevokeReason,
    Status,
)


def _strict_base64(value: object) -> object:
    if not isinstance(value, str):
        return value  # pydantic then reports the wrong type
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64 (standard alphabet, with padding)") from None


Base64Bytes = Annotated[bytes, BeforeValidator(_strict_base64),
                        PlainSerializer(lambda b: base64.b64encode(b).decode(), return_type=str),
                        WithJsonSchema({"type": "string", "format": "base64"})]


class Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


RID_HEX = r"^[0-9a-f]{32}$"
LINK_HEX = r"^[0-9a-f]{64}$"


class SubmitReferral(Body):
    envelope: Base64Bytes = Field(description="the sealed envelope (docs/envelope.md), base64")
    consent: Consent
    parent: str | None = Field(None, pattern=RID_HEX, description="an onward referral: the "
                               "referral your agency received that this one forwards")
    case_link: str | None = Field(None, pattern=LINK_HEX, description="the case's link id for "
                                  "this agency pair (docs/envelope.md, 'Case link'), hex")


class Acknowledge(Body):
    receipt: str = Field(description="a signed acknowledgement receipt, base64",
                         min_length=1, max_length=400)


class Reject(Body):
    reason: RejectReason


class Complete(Body):
    outcome: OutcomeCode


class Cancel(Body):
    reason: CancelReason


class RevokeConsent(Body):
    reason: RevokeReason


class NarrowConsent(Body):
    share_outcome: bool = Field(description="false: the sender no longer learns the outcome")


class ReplaceEnvelope(Body):
    envelope: Base64Bytes = Field(description="the referral's reduced copy, sealed by a device "
                                  "of the receiving agency (envelope kind 3), base64")


class PostReply(Body):
    envelope: Base64Bytes = Field(description="a sealed reply envelope, base64")


class PublishRoster(Body):
    roster: str = Field(description="base64 of the roster JSON, exactly as signed")
    signature: str = Field(description="base64 Ed25519 signature by the agency's root")


class ReferralView(Body):
    """A referral's metadata: what coordinators see too. Never content. The hub makes it
    from the reader's Sight of the referral only (hub/web/referrals.py ``view``)."""

    id: str
    status: Status
    sender_agency: str
    destination: str
    type: str
    urgency: str
    created_at: int
    expires_at: int
    submitted_at: float
    updated_at: float
    header_hash: str
    consent_expires_at: int
    ack_due_at: float | None
    notified_at: float | None
    opened_at: float | None
    acknowledged_at: float | None
    reason_code: str | None
    outcome_code: str | None
    revoked_at: float | None = Field(None, description="consent withdrawn: content deleted")
    share_outcome: bool = Field(False, description="the survivor agreed that the sender "
                                "learns the outcome")
    reply_count: int
    attachment_count: int
    drill: str | None = Field(None, description="the drill it belongs to: made-up content, "
                              "never in the figures, purged when the drill ends")
    narrative_purged_at: float | None = Field(
        None, description="the receiving agency purged the narrative (its own view only)")
    parent: str | None = Field(None, description="the referral this one forwards (shown to "
                               "the agency that forwarded it only)")
    case_link: str | None = Field(None, description="the case's link id for this agency pair "
                                  "(shown to the two agencies of the pair only)")


class OnwardView(Body):
    """An onward referral made from one your agency is party to: to the agency that
    made it, its id and status; to the first sender, where the agreement lets status flow
    back, only that it was made, to whom, of which type and when."""

    id: str | None = Field(None, description="null for the first sender")
    destination: str
    type: str
    submitted_at: float
    status: Status | None = Field(None, description="null for the first sender")


class OnwardList(Body):
    onward: list[OnwardView]


class ReferralList(Body):
    referrals: list[ReferralView]
    offset: int
    limit: int


class History(Body):
    events: list[HistoryEvent]


class AuditTrail(Body):
    events: list[AuditEvent] = Field(description="the entries that match the sealed log, "
                                     "then the events not sealed yet")
    ok: bool = Field(description="every entry of the trail's index matches the sealed log")
    problem: str = Field(description="the first entry that does not ('' when ok)")


class AuditVerdict(Body):
    ok: bool
    entries: int = Field(description="sealed entries checked")
    checkpoints: int = Field(description="signed checkpoints checked")
    problem: str = Field(description="the first thing found wrong, naming the entry")


class ReplyView(Body):
    id: str
    from_agency: str
    to_agency: str
    posted_at: float


class ReplyList(Body):
    replies: list[ReplyView]


class Offboard(Body):
    reason: Literal["left", "lost-device"] = Field(
        description="left: they leave every escalation group too; lost-device: only their "
                    "tokens and sessions end (issue them a new token)")


class Offboarded(Body):
    person: str
    tokens_revoked: int
    schedule_layers: list[str] = Field(
        default_factory=list, description="the layers of schedules.toml the person took turns "
        "on: their turns are uncovered (gaps) until the file changes or an override covers them")
    schedule_entries: list[str] = Field(
        default_factory=list, description="their overrides and away periods: those added live "
        "deleted, those in schedules.toml set aside")
    gaps: list[GapView] = Field(default_factory=list,
                                description="the agency's coverage gaps of the next 7 days, "
                                "after it")


class OffboardedList(Body):
    people: list[str]


class UnreadableView(Body):
    id: str
    type: str
    status: Status
    submitted_at: float


class UnreadableList(Body):
    agency: str
    referrals: list[UnreadableView]


class AgencyView(Body):
    id: str
    name: str
    kind: str
    timezone: str
    root_public_key: str | None
    roster_version: int | None


class SetupReport(Body):
    """What a device page says of its own setup; its keys and pins stay on the device."""

    device_made: StrictBool = Field(description="this browser holds the person's device keys")
    pinned: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]] = Field(
        max_length=500, description="the agencies whose root this device has pinned")


class StepView(Body):
    code: str
    done: bool


class ChecklistView(Body):
    """A checklist the hub ticks from what it knows: for a new staff member, device-made,
    approved, roots-pinned, on-schedule (point persons and backups), drill."""

    kind: str
    subject: str
    steps: list[StepView]


class Me(Body):
    """Who the token or session belongs to, as the CCR's directory knows them."""

    person: str
    name: str
    agency: str
    agency_name: str
    timezone: str = Field(description="the agency's time zone (IANA)")
    roles: list[str]


class AgencyList(Body):
    agencies: list[AgencyView]


class LogHeadView(Body):
    """The roster log's signed head (docs/envelope.md, "Roster log"), all hex."""

    count: int
    head: str
    key: str
    signature: str


class RosterView(Body):
    agency: str
    version: int
    roster: str
    signature: str
    log: LogHeadView | None = Field(None, description="the roster log's head, whose newest "
                                    "entry for this agency is this roster")


class RosterLog(Body):
    entries: list[str] = Field(description="the log's entries from the position asked for, "
                               "each canonical JSON")
    log: LogHeadView | None


class Stored(Body):
    id: str
    created: bool


class PostGrants(Body):
    grants: list[Base64Bytes] = Field(
        description="key grants (docs/envelope.md, 'Key grants'), base64, 1 to 200",
        min_length=1, max_length=200)


class GrantsStored(Body):
    stored: int = Field(description="grants newly stored (the same grant again is not counted)")


class GrantView(Body):
    envelope_id: str = Field(description="the referral's id, or a reply's")
    grantee: str = Field(description="the device id the grant is for")
    grant: Base64Bytes


class GrantList(Body):
    grants: list[GrantView]
    readers: list[str] = Field(description="device ids that can read the referral's own "
                               "envelope: those it was sealed to and those granted it")


class EngineFigures(Body):
    """The escalation engine's heartbeats: seconds since the ticker and the sealer last
    completed a cycle (null: never on this Redis), audit events waiting to be sealed,
    workers heard from within HUB_ENGINE_STALE, rungs fired and how late the last was."""

    ticker_age_s: float | None
    sealer_age_s: float | None
    sealer_backlog: int
    workers: int
    rungs_fired: int
    last_rung_late_s: float | None


class Health(Body):
    """This process and its Redis (what a load balancer needs), with the engine's figures
    beside them (null when Redis could not give them)."""

    status: str
    redis: str
    engine: EngineFigures | None = None


class EngineStatus(EngineFigures):
    """``status`` is "ok" while escalation runs (HTTP 200), "stale" otherwise (503)."""

    status: str


class ErrorDetail(Body):
    code: str
    message: str


class ErrorBody(Body):
    error: ErrorDetail


# on-duty schedules (hub/routing/schedules.py; docs/api.md "Schedules")

Duty = Literal["point_person", "backup"]
PERSON_ID = r"^[a-z0-9][a-z0-9-]{0,31}$"


class AddOverride(Body):
    """Someone takes a duty for a while. Times are ISO 8601: local to the agency unless
    they carry an offset; a bare date is the start of that day (the end of it for until)."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True,
                              validate_by_alias=True, serialize_by_alias=True)
    person: str = Field(pattern=PERSON_ID)
    from_: str = Field(alias="from", min_length=10, max_length=40)
    until: str = Field(min_length=10, max_length=40)
    duty: Duty = "point_person"


class AddAway(Body):
    """Someone is never on duty for a while (leave, training, illness)."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True,
                              validate_by_alias=True, serialize_by_alias=True)
    person: str = Field(pattern=PERSON_ID)
    from_: str = Field(alias="from", min_length=10, max_length=40)
    until: str = Field(min_length=10, max_length=40)


class ScheduleEntry(Body):
    """An override (with its duty) or an away period; ``source`` says whether it is in
    schedules.toml (change the file) or was added live (DELETE removes it)."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True,
                              validate_by_alias=True, serialize_by_alias=True)
    id: str
    person: str
    duty: Duty | None = None
    from_: str = Field(alias="from", description="ISO 8601 in the agency's time zone")
    until: str
    source: Literal["file", "live"]
    by: str | None = None


class OnDutyView(Body):
    point_person: str | None
    backups: list[str]


class LayerView(Body):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True,
                              validate_by_alias=True, serialize_by_alias=True)
    name: str
    duty: Duty
    people: list[str]
    turn_days: int
    starts: str = Field(description="when the first turn began, local to the agency")
    days: list[int] = Field(description="0 = Monday ... 6 = Sunday")
    from_: str = Field(alias="from")
    until: str
    holidays: Literal["work", "off", "only"]
    left: list[str] = Field(default_factory=list,
                            description="people of the layer who left the agency (offboarded): "
                            "their turns are uncovered until schedules.toml changes")


class GroupSchedule(Body):
    types: list[str]
    on_duty: OnDutyView = Field(description="who is on duty now")
    layers: list[LayerView]


class GapView(Body):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True,
                              validate_by_alias=True, serialize_by_alias=True)
    types: list[str]
    from_: str = Field(alias="from")
    until: str
    text: str = Field(description="the gap in words, in the agency's time zone")


class ScheduleView(Body):
    """An agency's coverage: its scheduled groups (none: its point person and backups are
    fixed, ``fixed``), the overrides and away periods not yet over, and the gaps of the
    next 7 days."""

    agency: str
    timezone: str
    groups: list[GroupSchedule]
    fixed: OnDutyView | None
    overrides: list[ScheduleEntry]
    away: list[ScheduleEntry]
    gaps: list[GapView]


class Removed(Body):
    removed: str
B64URL = r"^[A-Za-z0-9_-]+={0,2}$"


class PushKeys(Body):
    p256dh: str = Field(pattern=B64URL, min_length=86, max_length=88,
                        description="the browser's P-256 public key, base64url (65 bytes)")
    auth: str = Field(pattern=B64URL, min_length=22, max_length=24,
                      description="the browser's authentication secret, base64url (16 bytes)")


class PushSubscription(Body):
    """A browser's push subscription, as PushSubscription.toJSON() gives it."""

    endpoint: str = Field(max_length=2048, pattern=r"^https://[^\s]+$|^http://(127\.0\.0\.1|"
                          r"localhost|\[::1\])(:\d+)?/[^\s]*$",
                          description="the push service's URL for this browser (https)")
    keys: PushKeys
    expirationTime: float | None = Field(None, description="when the browser lets it lapse")


class PushSettings(Body):
    """What a browser subscribes with: the hub's VAPID public key (applicationServerKey),
    or null when this hub sends no web push."""

    public_key: str | None
    subscribed: bool = Field(description="whether this device has a subscription")


class StartDrill(Body):
    scenario: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$",
                          description="a scenario's id (config/<ccr>/drills/*.toml)")


class SubmitDrillReferral(Body):
    envelope: Base64Bytes = Field(description="one step's envelope, sealed as a drill "
                                  "(docs/envelope.md: the kind byte's DRILL bit), base64")
    parent: str | None = Field(None, pattern=RID_HEX, description="an onward step: the "
                               "drill's referral of the step it forwards")
    case_link: str | None = Field(None, pattern=LINK_HEX, description="an onward step: the "
                                  "case's link id for this agency pair, hex")


class DrillStepView(Body):
    from_agency: str
    sender: str = Field(description="the person it is sent in the name of")
    to: str
    type: str
    urgency: str
    story: str = Field(description="made up: what the drill's content says")
    needs: list[str]
    onward_from: int | None = Field(None, description="an onward step: the number (from 1) "
                                    "of the step whose referral it forwards")
    purpose: str | None = Field(None, description="an onward step's forwarding purpose")
    covers: list[str] = Field(["*"], description="an onward step: the fields of the earlier "
                              "handoffs that go onward ('*': all)")


class ScenarioView(Body):
    id: str
    title: str
    summary: str
    people: list[str] = Field(description="the only people its notices reach")
    steps: list[DrillStepView]


class ScenarioList(Body):
    scenarios: list[ScenarioView]


class DrillView(Body):
    id: str
    scenario: ScenarioView
    started_by: str
    started_at: float
    referrals: list[str]


class DrillList(Body):
    drills: list[DrillView]


class DrillMoment(Body):
    step: int
    referral: str
    what: str = Field(description="sent, notified, claimed, opened, acknowledged, replied, "
                      "status.*, past-rung (a later rung's notice), rung.skipped")
    who: str
    at: float
    after_sent: float = Field(description="seconds since the referral was sent")
    after_previous: float = Field(description="seconds since the line before")
    detail: str


class DebriefView(Body):
    drill: str
    scenario: str
    moments: list[DrillMoment]
    finishers: list[str] = Field(description="who acknowledged one of its referrals")
    past_rungs: int = Field(description="how often the ladder went past a rung")

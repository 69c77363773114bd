"""The route table: one list drives aiohttp's router, the authentication middleware and
the OpenAPI document, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel

from hub.adapters import INBOUND, RECEIVERS
from hub.api import mdt as case
from hub.api import milestones as ms
from hub.api import schemas as s

from . import (
    directory,
    drills,
    kinds,
    mdt,
    milestones,
    operations,
    push,
    referrals,
    reports,
    schedules,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RID = "{rid:[0-9a-f]{32}}"
SCHEDULE = "/v1/agencies/{agency}/schedule"
ENTRY = "{entry:[a-z0-9-]{1,40}}"
DRILL = "/v1/drills/{did:[0-9a-f]{16}}"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    name: str
    summary: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    auth: bool = True
    audited: bool = False  # the service writes this route's audit event itself
    token_rechecked: bool = False  # the write refuses a revoked token in its atomic step
    octets_in: bool = False
    octets_out: bool = False
    ok: int = 200
    also: tuple[tuple[int, str], ...] = ()  # other statuses answered with ``response``


R = Route
ROUTES: tuple[Route, ...] = (
    R("GET", "/healthz", operations.healthz, "healthz", "Liveness: checks Redis",
      response=s.Health, auth=False),
    R("GET", "/healthz/engine", operations.engine_health, "healthz.engine",
      "Escalation runs: 200 while the ticker and a worker completed a cycle within "
      "HUB_ENGINE_STALE seconds, 503 otherwise", response=s.EngineStatus, auth=False,
      also=((503, "Escalation is not running: the same figures"),)),
    R("GET", "/metrics", operations.metrics, "metrics", "Prometheus figures, to the holder of "
      "the scrape token (HUB_METRICS_TOKEN_FILE); otherwise on the metrics address only",
      auth=False),
    R("GET", "/v1/openapi.json", operations.openapi, "openapi", "This document", auth=False),
    R("GET", "/v1/schemas", kinds.schema_list, "schemas.list",
      "The content kinds clients seal, each with its JSON Schema's address", auth=False),
    R("GET", "/v1/schemas/{kind:[a-z0-9][a-z0-9-]{0,31}}.json", kinds.schema, "schemas.get",
      "The JSON Schema of one kind of sealed content (docs/clients.md)", auth=False),
    R("GET", "/v1/me", directory.me, "me", "Who this token belongs to: person, agency, "
      "roles and the agency's time zone", response=s.Me),
    R("PUT", "/v1/me/setup", directory.report_setup, "me.setup",
      "What your device page says of its own setup (keys made in this browser, the "
      "agencies whose roots it pinned), which your start page's checklist ticks; answered "
      "with that checklist", body=s.SetupReport, response=s.ChecklistView, audited=True),
    R("GET", "/v1/agencies", directory.agencies, "agencies.list",
      "The CCR's agencies with their root keys and roster versions", response=s.AgencyList),
    R("GET", "/v1/agencies/{agency}/roster", directory.get_roster, "roster.get",
      "An agency's current signed roster", response=s.RosterView),
    R("PUT", "/v1/agencies/{agency}/roster", directory.publish_roster, "roster.publish",
      "Publish a new signed roster (agency admin)", body=s.PublishRoster,
      response=s.RosterView, audited=True, ok=201),
    R("POST", "/v1/agencies/{agency}/people/{person}/offboard", directory.offboard,
      "person.offboard", "Revoke every API token (and so page session) of a person of your "
      "agency; with reason 'left', keep them out of the rosters' escalation groups and take "
      "them off the on-duty schedule, in the same step (agency admin)", body=s.Offboard,
      response=s.Offboarded, audited=True),
    R("GET", "/v1/agencies/{agency}/offboarded", directory.offboarded, "person.offboarded",
      "The people of your agency who left (agency admin)", response=s.OffboardedList),
    R("GET", "/v1/agencies/{agency}/unreadable", directory.unreadable, "referral.unreadable",
      "Open referrals that no one on duty now can read yet (no current device of the "
      "people on duty in their escalation group): metadata only (agency admin, "
      "coordinators; ?by=group: no current device of the group at all)",
      response=s.UnreadableList),
    R("GET", "/v1/roster-log", directory.roster_log, "roster.log",
      "The roster log's entries from ?from= (default 0) and its signed head: every roster "
      "the hub has served, in one append-only hash chain", response=s.RosterLog),
    R("GET", SCHEDULE, schedules.show, "schedule.get",
      "An agency's on-duty schedule: who is on duty now, its layers, overrides, away "
      "periods and the gaps of the next 7 days (its own people, coordinators)",
      response=s.ScheduleView),
    R("POST", f"{SCHEDULE}/overrides", schedules.add_override, "schedule.override",
      "Put someone of the escalation group on duty for a while (agency admin); refused for "
      "a person with no current device in the signed roster", body=s.AddOverride,
      response=s.ScheduleEntry, audited=True, ok=201),
    R("DELETE", f"{SCHEDULE}/overrides/{ENTRY}", schedules.removing("override"),
      "schedule.override.remove",
      "Remove an override added live (agency admin)", response=s.Removed, audited=True),
    R("POST", f"{SCHEDULE}/away", schedules.add_away, "schedule.away",
      "Record that someone of the agency is away, never on duty, for a while (agency admin)",
      body=s.AddAway, response=s.ScheduleEntry, audited=True, ok=201),
    R("DELETE", f"{SCHEDULE}/away/{ENTRY}", schedules.removing("away"), "schedule.away.remove",
      "Remove an away period added live (agency admin)", response=s.Removed, audited=True),
    R("GET", f"/v1/devices/{push.DEVICE}/push", push.get_push, "push.get",
      "Whether this device of yours takes push notices, and the hub's VAPID key to "
      "subscribe with", response=s.PushSettings),
    R("PUT", f"/v1/devices/{push.DEVICE}/push", push.subscribe, "push.subscribe",
      "Turn push notices on for this device of yours: the browser's subscription "
      "(a current device of yours in your agency's roster)", body=s.PushSubscription,
      response=s.PushSettings, audited=True, ok=201, also=((200, "Replaced"),)),
    R("DELETE", f"/v1/devices/{push.DEVICE}/push", push.unsubscribe, "push.unsubscribe",
      "Turn push notices off for this device", response=s.PushSettings, audited=True),
    R("POST", "/v1/referrals", referrals.submit, "referral.submit",
      "Submit a sealed referral with its consent metadata", body=s.SubmitReferral,
      response=s.ReferralView, audited=True, token_rechecked=True, ok=201),
    R("GET", "/v1/drills/scenarios", drills.scenarios, "drill.scenarios",
      "The CCR's drill scenarios (coordinators)", response=s.ScenarioList),
    R("GET", "/v1/drills", drills.under_way, "drill.list", "The drills under way "
      "(coordinators)", response=s.DrillList),
    R("POST", "/v1/drills", drills.start, "drill.start", "Start a drill from a scenario; "
      "its envelopes are then sealed by the coordinator's drill sender device and posted to "
      "its referrals (coordinators)", body=s.StartDrill, response=s.DrillView, audited=True,
      ok=201),
    R("GET", DRILL, drills.show, "drill.get", "A drill under way (coordinators)",
      response=s.DrillView),
    R("POST", f"{DRILL}/referrals", drills.submit, "drill.submit", "One of the drill's "
      "referrals, sealed as a drill, routed as its scenario's step says (coordinators)",
      body=s.SubmitDrillReferral, response=s.ReferralView, audited=True, token_rechecked=True,
      ok=201),
    R("GET", f"{DRILL}/referrals/{RID}/envelope", drills.envelope, "drill.envelope",
      "The sealed envelope of one of the drill's referrals, for the drill sender device "
      "that forwards it onward; not an opened receipt (coordinators)", audited=True,
      octets_out=True),
    R("GET", f"{DRILL}/debrief", drills.debrief, "drill.debrief", "Who was notified when, "
      "who claimed, opened and acknowledged, how long each step took, where the ladder went "
      "past a rung: metadata only (coordinators)", response=s.DebriefView),
    R("GET", f"{DRILL}/debrief.csv", drills.debrief_csv, "drill.debrief_csv",
      "The debrief as CSV (coordinators)"),
    R("DELETE", DRILL, drills.end, "drill.end", "End a drill: its debrief, then every "
      "trace of its referrals purged (coordinators)", response=s.DebriefView, audited=True),
    R("GET", "/v1/inbox", referrals.inbox, "referral.inbox",
      "Referrals sent to your agency (?status=a,b&offset=&limit=)", response=s.ReferralList),
    R("GET", "/v1/outbox", referrals.outbox, "referral.outbox",
      "Referrals your agency sent (?status=a,b&offset=&limit=)", response=s.ReferralList),
    R("GET", f"/v1/referrals/{RID}", referrals.get_referral, "referral.get",
      "A referral's metadata", response=s.ReferralView),
    R("GET", f"/v1/referrals/{RID}/onward", referrals.onward, "referral.onward",
      "The onward referrals made from a referral: to the agency that forwarded them, with "
      "their status; to the first sender only where status flows back, only to whom, which "
      "type and when", response=s.OnwardList),
    R("GET", f"/v1/referrals/{RID}/history", referrals.history, "referral.history",
      "A referral's status history and receipts", response=s.History),
    R("GET", f"/v1/referrals/{RID}/audit", referrals.audit_trail, "referral.audit",
      "A referral's audit trail: who did what, when (coordinators, agency admins)",
      response=s.AuditTrail),
    R("GET", "/v1/audit/verify", operations.audit_verify, "audit.verify",
      "Check the sealed audit log and its signed checkpoints (coordinators)",
      response=s.AuditVerdict),
    R("GET", f"/v1/referrals/{RID}/envelope", referrals.envelope, "referral.envelope",
      "Download the sealed envelope (receiving escalation group)", audited=True,
      octets_out=True),
    R("PUT", f"/v1/referrals/{RID}/envelope", referrals.purge_narrative,
      "referral.purge_narrative", "Purge the narrative: put the reduced copy your device "
      "sealed in place of the envelope (receiving escalation group)", body=s.ReplaceEnvelope,
      response=s.ReferralView, audited=True),
    R("POST", f"/v1/referrals/{RID}/grants", referrals.post_grants, "grant.post",
      "Hand the referral (and replies to your agency) on to devices approved after it was "
      "sealed: key grants from a device it was sealed to", body=s.PostGrants,
      response=s.GrantsStored, audited=True, ok=201),
    R("GET", f"/v1/referrals/{RID}/grants", referrals.get_grants, "grant.list",
      "The key grants addressed to your devices (receiving escalation group, its admin)",
      response=s.GrantList, audited=True),
    R("POST", f"/v1/referrals/{RID}/acknowledge", referrals.acknowledge, "referral.acknowledge",
      "Acknowledge with a signed receipt", body=s.Acknowledge, response=s.ReferralView,
      audited=True),
    R("POST", f"/v1/referrals/{RID}/accept", referrals.accept, "referral.accept",
      "Accept the referral", response=s.ReferralView, audited=True),
    R("POST", f"/v1/referrals/{RID}/reject", referrals.reject, "referral.reject",
      "Decline the referral with a reason code", body=s.Reject, response=s.ReferralView,
      audited=True),
    R("POST", f"/v1/referrals/{RID}/progress", referrals.progress, "referral.progress",
      "Record that work is in progress", response=s.ReferralView, audited=True),
    R("POST", f"/v1/referrals/{RID}/complete", referrals.complete, "referral.complete",
      "Close with an outcome code", body=s.Complete, response=s.ReferralView, audited=True),
    R("POST", f"/v1/referrals/{RID}/cancel", referrals.cancel, "referral.cancel",
      "Cancel (sender)", body=s.Cancel, response=s.ReferralView, audited=True),
    R("POST", f"/v1/referrals/{RID}/revoke-consent", referrals.revoke_consent,
      "referral.revoke", "Record that the survivor withdrew consent (either agency): the "
      "content is deleted at once", body=s.RevokeConsent, response=s.ReferralView,
      audited=True),
    R("POST", f"/v1/referrals/{RID}/consent", referrals.narrow_consent, "consent.narrow",
      "Record that the survivor narrowed consent (either agency); never widens it",
      body=s.NarrowConsent, response=s.ReferralView, audited=True),
    R("POST", f"/v1/referrals/{RID}/milestones", milestones.record, "milestone.record",
      "Record a milestone reached (receiving agency): one of the codes milestones.toml "
      "configures for the referral's type; 201 when new, 200 with the record kept when it "
      "was recorded before", body=ms.RecordMilestone, response=ms.MilestoneRecord,
      audited=True, ok=201, also=((200, "Recorded before: the record kept"),)),
    R("GET", f"/v1/referrals/{RID}/milestones", milestones.listing, "milestone.list",
      "The referral's milestones: those of its type with their deadlines and gaps, and "
      "those recorded (a sender kept from the status sees none)", response=ms.MilestoneList),
    R("POST", f"/v1/referrals/{RID}/review-mark", mdt.mark, "mdt.mark",
      "Mark the referral for the team meeting's case review (coordinators, and people of "
      "its two agencies), with a code saying why", body=case.MarkForReview,
      response=case.Marked, audited=True),
    R("DELETE", f"/v1/referrals/{RID}/review-mark", mdt.unmark, "mdt.unmark",
      "Take the referral off the case review (coordinators)", response=case.Marked,
      audited=True),
    R("POST", "/v1/mdt/actions", mdt.add_action, "mdt.action.add",
      "Record a case review's action item on a referral: an owner agency, a code and the "
      "day it is due (coordinators); the deadline engine tracks it", body=case.AddAction,
      response=case.ActionView, audited=True, ok=201),
    R("POST", "/v1/mdt/actions/{aid:[0-9a-f]{16}}/done", mdt.finish_action,
      "mdt.action.done", "Mark an action item done (its owner agency, or coordinators)",
      response=case.ActionView, audited=True),
    R("GET", "/v1/mdt/agenda", mdt.agenda, "mdt.agenda", "The case review's agenda for "
      "?date=YYYY-MM-DD (default today, UTC): referrals past their acknowledgement "
      "deadline or with a gap by the end of that day, marked for review, or with open "
      "action items; codes and references only; ?agency= narrows it to one agency's, "
      "?page= and ?limit= page it (next: the next page's address)", response=case.AgendaView),
    R("POST", f"/v1/referrals/{RID}/replies", referrals.post_reply, "reply.post",
      "Post a sealed reply on the referral's thread", body=s.PostReply, response=s.Stored,
      audited=True, ok=201),
    R("GET", f"/v1/referrals/{RID}/replies", referrals.list_replies, "reply.list",
      "The thread's replies (metadata)", response=s.ReplyList),
    R("GET", f"/v1/referrals/{RID}/replies/{{reply_id:[0-9a-f]{{32}}}}", referrals.reply_envelope,
      "reply.envelope", "Download a sealed reply (its addressee's group)", audited=True,
      octets_out=True),
    *(R("POST", f"/v1/reports/{r.route}", reports.receiving(r), f"report.{r.route}", r.summary,
        body=None if r.form else r.schema, auth=False) for r in RECEIVERS.values()),
    *(R("POST", f"/v1/reports/{r.route}", reports.answering(r), f"answer.{r.route}", r.summary,
        body=None if r.form else r.schema, auth=False) for r in INBOUND.values()),
    R("PUT", f"/v1/referrals/{RID}/attachments/{{index}}", referrals.put_attachment,
      "attachment.put", "Upload a sealed attachment blob (sender)", response=s.Stored,
      audited=True, octets_in=True, ok=201),
    R("GET", f"/v1/referrals/{RID}/attachments/{{index}}", referrals.get_attachment,
      "attachment.get", "Download a sealed attachment blob (receiving group)", audited=True,
      octets_out=True),
)

BY_NAME = {r.name: r for r in ROUTES}


def add_routes(app: web.Application) -> None:
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler, name=route.name)

"""The route table: one list drives aiohttp's router, the authentication middleware and
the OpenAPI document, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel

from hub.adapters import INBOUND, RECEIVERS
from hub.api import schemas as s

from . import directory, kinds, operations, push, referrals, reports, schedules

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RID = "{rid:[0-9a-f]{32}}"
SCHEDULE = "/v1/agencies/{agency}/schedule"
ENTRY = "{entry:[a-z0-9-]{1,40}}"


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
    R("GET", "/v1/agencies", directory.agencies, "agencies.list",
      "The CCR's agencies with their root keys and roster versions", response=s.AgencyList),
    R("GET", "/v1/agencies/{agency}/roster", directory.get_roster, "roster.get",
      "An agency's current signed roster", response=s.RosterView),
    R("PUT", "/v1/agencies/{agency}/roster", directory.publish_roster, "roster.publish",
      "Publish a new signed roster (agency admin)", body=s.PublishRoster,
      response=s.RosterView, audited=True, ok=201),
    R("POST", "/v1/agencies/{agency}/people/{person}/offboard", directory.offboard,
      "person.offboard", "Revoke every API token (and so page session) of a person of your "
      "agency; with reason 'left', keep them out of the rosters' escalation groups "
      "(agency admin)", body=s.Offboard, response=s.Offboarded, audited=True),
    R("GET", "/v1/agencies/{agency}/offboarded", directory.offboarded, "person.offboarded",
      "The people of your agency who left (agency admin)", response=s.OffboardedList),
    R("GET", "/v1/agencies/{agency}/unreadable", directory.unreadable, "referral.unreadable",
      "Open referrals that no current device of their escalation group can read yet: "
      "metadata only (agency admin, coordinators)", response=s.UnreadableList),
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
    R("POST", f"/v1/referrals/{RID}/grants", referrals.post_grants, "grant.post",
      "Hand the referral (and replies to your agency) on to devices approved after it was "
      "sealed: key grants from a device it was sealed to", body=s.PostGrants,
      response=s.GrantsStored, audited=True, ok=201),
    R("GET", f"/v1/referrals/{RID}/grants", referrals.get_grants, "grant.list",
      "The key grants addressed to your devices (receiving escalation group)",
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

"""HTTP handlers for referrals: each parses and authorises, calls one service method and
renders the answer. No business rule lives here."""

from __future__ import annotations

from aiohttp import web

from hub.api import schemas as s
from hub.api.codes import Codes
from hub.crypto.header import MAX_ATTACHMENTS
from hub.errors import BadRequest
from hub.models import Status
from hub.services.flowback import Sight

from .context import (
    METRICS,
    body,
    client_address,
    principal,
    query_int,
    request_id,
    respond,
    services,
    whole_number,
)

OCTETS = "application/octet-stream"
# a set, not a frozenset: pydantic's IncEx names set (it reads any collection of names)
_FROM_REFERRAL = set(s.ReferralView.model_fields) - {"consent_expires_at", "share_outcome"}


def view(seen: Sight) -> s.ReferralView:
    """The view of a referral as its reader may know it (services/flowback.py): made from a
    Sight only, never from a stored referral."""
    if not isinstance(seen, Sight):
        raise TypeError("a referral is answered from its Sight (services/flowback.py)")
    r = seen.referral
    return s.ReferralView(**r.model_dump(include=_FROM_REFERRAL),
                          consent_expires_at=r.consent.expires_at,
                          share_outcome=r.consent.share_outcome)


def _statuses(request: web.Request) -> frozenset[Status] | None:
    raw = request.query.get("status")
    if not raw:
        return None
    try:
        return frozenset(Status(v) for v in raw.split(","))
    except ValueError:
        raise BadRequest(f"unknown status in '{raw}'; use any of "
                         f"{', '.join(s.value for s in Status)}") from None


def _rid(request: web.Request) -> str:
    return request.match_info["rid"]


async def submit(request: web.Request) -> web.Response:
    req = await body(request, s.SubmitReferral)
    seen, created = await services(request).referrals.submit(
        principal(request), req.envelope, req.consent, request_id(request),
        client=client_address(request), parent=req.parent, case_link=req.case_link)
    request.app[METRICS].submissions.labels("created" if created else "existing").inc()
    return respond(view(seen), 201 if created else 200)


async def _listing(request: web.Request, which: str) -> web.Response:
    offset = query_int(request, "offset", 0, 0, 1_000_000)
    limit = query_int(request, "limit", 50, 1, 200)
    service = services(request).referrals
    lister = service.inbox if which == "inbox" else service.outbox
    found = await lister(principal(request), statuses=_statuses(request), offset=offset,
                         limit=limit)
    return respond(s.ReferralList(referrals=[view(seen) for seen in found],
                                  offset=offset, limit=limit))


async def inbox(request: web.Request) -> web.Response:
    return await _listing(request, "inbox")


async def outbox(request: web.Request) -> web.Response:
    return await _listing(request, "outbox")


async def get_referral(request: web.Request) -> web.Response:
    seen = await services(request).referrals.read(principal(request), _rid(request))
    return respond(view(seen))


async def onward(request: web.Request) -> web.Response:
    found = await services(request).onward.onward(principal(request), _rid(request))
    return respond(s.OnwardList(onward=[
        s.OnwardView(id=o.referral.id, destination=o.referral.destination, type=o.referral.type,
                     submitted_at=o.referral.submitted_at, status=o.sight.status)
        if o.sight else
        s.OnwardView(destination=o.referral.destination, type=o.referral.type,
                     submitted_at=o.referral.submitted_at)
        for o in found]))


async def history(request: web.Request) -> web.Response:
    events = await services(request).referrals.history(principal(request), _rid(request))
    return respond(s.History(events=events))


async def audit_trail(request: web.Request) -> web.Response:
    trail = await services(request).referrals.audit_trail(principal(request), _rid(request))
    return respond(s.AuditTrail(events=trail.events, ok=not trail.problem,
                                problem=trail.problem))


async def envelope(request: web.Request) -> web.Response:
    data = await services(request).referrals.download(
        principal(request), _rid(request), request_id(request),
        to_grant=request.query.get("for") == "grant")
    return web.Response(body=data, content_type=OCTETS)


async def acknowledge(request: web.Request) -> web.Response:
    req = await body(request, s.Acknowledge)
    seen = await services(request).lifecycle.acknowledge(
        principal(request), _rid(request), req.receipt, request_id(request))
    return respond(view(seen))


async def accept(request: web.Request) -> web.Response:
    seen = await services(request).lifecycle.accept(principal(request), _rid(request),
                                                        request_id(request))
    return respond(view(seen))


async def reject(request: web.Request) -> web.Response:
    req = await body(request, s.Reject)
    seen = await services(request).lifecycle.reject(principal(request), _rid(request),
                                                        req.reason, request_id(request))
    return respond(view(seen))


async def progress(request: web.Request) -> web.Response:
    seen = await services(request).lifecycle.progress(principal(request), _rid(request),
                                                          request_id(request))
    return respond(view(seen))


async def complete(request: web.Request) -> web.Response:
    req = await body(request, s.Complete)
    seen = await services(request).lifecycle.complete(principal(request), _rid(request),
                                                          req.outcome, request_id(request))
    return respond(view(seen))


async def cancel(request: web.Request) -> web.Response:
    req = await body(request, s.Cancel)
    seen = await services(request).lifecycle.cancel(principal(request), _rid(request),
                                                        req.reason, request_id(request))
    return respond(view(seen))


async def post_reply(request: web.Request) -> web.Response:
    req = await body(request, s.PostReply)
    reply, created = await services(request).threads.post_reply(
        principal(request), _rid(request), req.envelope, request_id(request))
    return respond(s.Stored(id=reply.get("id", ""), created=created), 201 if created else 200)


async def list_replies(request: web.Request) -> web.Response:
    rows = await services(request).threads.replies(principal(request), _rid(request))
    return respond(s.ReplyList(replies=[s.ReplyView.model_validate(
        {k: r[k] for k in ("id", "from_agency", "to_agency", "posted_at")}) for r in rows]))


async def reply_envelope(request: web.Request) -> web.Response:
    data = await services(request).threads.reply_envelope(
        principal(request), _rid(request), request.match_info["reply_id"])
    return web.Response(body=data, content_type=OCTETS)


def _index(request: web.Request) -> int:
    return whole_number(request.match_info["index"], "an attachment index", 0,
                        MAX_ATTACHMENTS - 1, code=Codes.BAD_INDEX)


async def put_attachment(request: web.Request) -> web.Response:
    if request.content_type != OCTETS:
        raise BadRequest(f"upload the sealed attachment as {OCTETS}", code=Codes.BAD_CONTENT_TYPE)
    index = _index(request)
    created = await services(request).threads.put_attachment(
        principal(request), _rid(request), index, await request.read(), request_id(request))
    return respond(s.Stored(id=str(index), created=created), 201 if created else 200)


async def get_attachment(request: web.Request) -> web.Response:
    data = await services(request).threads.attachment(principal(request), _rid(request),
                                                      _index(request))
    return web.Response(body=data, content_type=OCTETS)


async def revoke_consent(request: web.Request) -> web.Response:
    req = await body(request, s.RevokeConsent)
    seen = await services(request).lifecycle.revoke_consent(
        principal(request), _rid(request), req.reason, request_id(request))
    return respond(view(seen))


async def narrow_consent(request: web.Request) -> web.Response:
    req = await body(request, s.NarrowConsent)
    seen = await services(request).lifecycle.narrow_consent(
        principal(request), _rid(request), share_outcome=req.share_outcome,
        request_id=request_id(request))
    return respond(view(seen))


async def purge_narrative(request: web.Request) -> web.Response:
    req = await body(request, s.ReplaceEnvelope)
    seen = await services(request).purge.purge_narrative(
        principal(request), _rid(request), req.envelope, request_id(request))
    return respond(view(seen))


async def post_grants(request: web.Request) -> web.Response:
    req = await body(request, s.PostGrants)
    stored = await services(request).grants.put(principal(request), _rid(request),
                                                list(req.grants), request_id(request))
    return respond(s.GrantsStored(stored=stored), 201 if stored else 200)


async def get_grants(request: web.Request) -> web.Response:
    found, readers = await services(request).grants.mine(principal(request), _rid(request))
    return respond(s.GrantList(grants=[
        s.GrantView(envelope_id=g.envelope_id, grantee=g.grantee_id, grant=g.raw)
        for g in found], readers=sorted(readers)))

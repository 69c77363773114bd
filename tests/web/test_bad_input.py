"""Bad input of every kind gets a clear 4xx with a code and a message, and leaves Redis
exactly as it was: every referral key unchanged, and only one audit event recording the
refusal appended to the log."""

from __future__ import annotations

import base64

import pytest

from hub.crypto import Urgency
from tests.support.redis_scan import dump_values

DEST, TYPE = "harbor-house", "discharge-handoff"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _cases(w):
    nurse = w.first("mercy-hospital", "sender")
    good = w.seal_referral(nurse, DEST, TYPE, b"{}")
    body = w.submit_body(good, DEST, TYPE)
    consent = body["consent"]
    future = w.seal_referral(nurse, DEST, TYPE, b"{}", now=w.now + 3600)
    stale = w.seal_referral(nurse, DEST, TYPE, b"{}", now=w.now - 1800, lifetime=900)
    to_pd = w.seal_referral(nurse, "riverside-pd", "police-report-followup", b"{}") \
        if "riverside-pd" in w.roots else good
    return {
        "malformed json": (b"{not json", 400, "bad_json"),
        "wrong content type": ("text", 400, "bad_content_type"),
        "wrong type for a field": ({**body, "envelope": 12}, 422, "invalid_body"),
        "unknown field": ({**body, "survivor_name": "x"}, 422, "invalid_body"),
        "missing consent": ({"envelope": body["envelope"]}, 422, "invalid_body"),
        "envelope not base64": ({**body, "envelope": "%%%"}, 422, "invalid_body"),
        "unparseable header": ({**body, "envelope": _b64(b"CCRE" + b"\0" * 900)}, 422,
                               "bad_envelope"),
        "consent for another agency": ({**body, "consent": {**consent,
                                                            "agency": "bridge-advocacy"}},
                                       403, "consent_wrong_agency"),
        "consent for another purpose": ({**body, "consent": {**consent,
                                                             "purposes": ["shelter-request"]}},
                                        403, "consent_wrong_purpose"),
        "expired consent": ({**body, "consent": {**consent, "expires_at": w.now - 1}}, 403,
                            "consent_expired"),
        "consent over 90 days": ({**body, "consent": {**consent,
                                                      "expires_at": w.now + 200 * 86400}},
                                 403, "consent_too_long"),
        "envelope from the future": (w.submit_body(future, DEST, TYPE), 422,
                                     "envelope_from_future"),
        "stale envelope": (w.submit_body(stale, DEST, TYPE), 422, "envelope_expired"),
        "type outside every agreement": (w.submit_body(to_pd, "riverside-pd",
                                                       "police-report-followup"), 403,
                                         "no_agreement"),
    }


@pytest.mark.parametrize("case", [
    "malformed json", "wrong content type", "wrong type for a field", "unknown field",
    "missing consent", "envelope not base64", "unparseable header", "consent for another agency",
    "consent for another purpose", "expired consent", "consent over 90 days",
    "envelope from the future", "stale envelope", "type outside every agreement",
])
async def test_bad_submission_is_refused_and_changes_nothing(hub, case) -> None:
    w = hub.world
    nurse = w.first("mercy-hospital", "sender")
    payload, status, code = _cases(w)[case]
    before = await dump_values(hub.store.redis, hub.store.keys.prefix)
    audit_before = await hub.store.audit.length()
    if isinstance(payload, bytes):
        r = await hub.client.post("/v1/referrals", data=payload, headers={
            **nurse.auth, "Content-Type": "application/json"})
    elif isinstance(payload, str):
        r = await hub.client.post("/v1/referrals", data=payload, headers={
            **nurse.auth, "Content-Type": "text/plain"})
    else:
        r = await hub.client.post("/v1/referrals", json=payload, headers=nurse.auth)
    assert r.status == status, await r.text()
    error = (await r.json())["error"]
    assert error["code"] == code and len(error["message"]) > 10
    after = await dump_values(hub.store.redis, hub.store.keys.prefix)
    audit_key = hub.store.keys.audit().encode()
    assert {k: v for k, v in after.items() if k != audit_key} == \
        {k: v for k, v in before.items() if k != audit_key}
    assert await hub.store.audit.length() == audit_before + 1
    (last,) = (await hub.store.audit.events())[-1:]
    assert last.outcome == code and last.actor == nurse.person


async def test_body_over_the_size_limit_is_413(hub) -> None:
    nurse = hub.world.first("mercy-hospital", "sender")
    r = await hub.client.post("/v1/referrals", data=b"x" * (3 * 1024 * 1024),
                              headers={**nurse.auth, "Content-Type": "application/json"})
    assert r.status == 413
    assert (await r.json())["error"]["code"] == "payload_too_large"


async def test_unknown_endpoint_and_method_are_json_errors(hub) -> None:
    nurse = hub.world.first("mercy-hospital", "sender")
    r = await hub.client.get("/v1/nothing-here", headers=nurse.auth)
    assert r.status == 404 and (await r.json())["error"]["code"] == "not_found"
    r = await hub.client.delete("/v1/referrals", headers=nurse.auth)
    assert r.status == 405 and (await r.json())["error"]["code"] == "method_not_allowed"


async def test_same_envelope_twice_returns_the_existing_referral(hub) -> None:
    w = hub.world
    nurse = w.first("mercy-hospital", "sender")
    sealed = w.seal_referral(nurse, DEST, TYPE, b"{}", urgency=Urgency.ROUTINE)
    body = w.submit_body(sealed, DEST, TYPE)
    first = await hub.client.post("/v1/referrals", json=body, headers=nurse.auth)
    again = await hub.client.post("/v1/referrals", json=body, headers=nurse.auth)
    assert (first.status, again.status) == (201, 200)
    assert (await first.json())["id"] == (await again.json())["id"]


async def test_other_bytes_under_the_same_envelope_id_is_409(hub) -> None:
    w = hub.world
    nurse = w.first("mercy-hospital", "sender")
    sealed = w.seal_referral(nurse, DEST, TYPE, b"{}")
    await hub.client.post("/v1/referrals", json=w.submit_body(sealed, DEST, TYPE),
                          headers=nurse.auth)
    forged = bytearray(sealed.envelope)
    forged[-1] ^= 1
    body = {**w.submit_body(sealed, DEST, TYPE), "envelope": _b64(bytes(forged))}
    r = await hub.client.post("/v1/referrals", json=body, headers=nurse.auth)
    assert r.status == 409 and (await r.json())["error"]["code"] == "duplicate_id"

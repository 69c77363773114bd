"""Hostile bytes, fuzzed with hypothesis: the envelope, receipt and certificate parsers take
any bytes and either parse them or raise their one error type, within a bounded time and
memory, and a changed envelope never opens; every endpoint's body (arbitrary JSON, wrong
types, huge strings, deep nesting, random bytes, a consent record with any numbers in it)
gets a clean 4xx in the `{"error": {"code", "message"}}` shape, quickly, and changes
nothing. Generation is derandomized so CI sees the same cases every run."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from hub.adapters.sms_inbound import WebhookReplies
from hub.adapters.sms_reports import WebhookReports
from hub.adapters.voice_reports import WebhookCallReports, WebhookKeypresses
from hub.crypto import (
    CryptoError,
    EnvelopeError,
    ReceiptStatus,
    SignedRoster,
    TrustError,
    open_envelope,
    parse_certificate,
    parse_header,
    parse_receipt,
    rosters,
    sign_receipt,
)
from hub.routing.ccr import load_ccr
from hub.sandbox import make_world
from hub.web.routes import ROUTES, Route
from tests.support.live import (
    DEST,
    EXAMPLE,
    RECIPIENT,
    SENDER,
    TYPE,
    LiveHub,
    live_hub,
    redis_for_module,
)

NOW = 1_800_000_000
# Time bounds catch work that grows with what an attacker sends (a parse that backtracks, a
# body read byte by byte); they are ten times a quiet machine's time, as a test run shares
# its machine with others.
PARSE_SECONDS = 0.5  # one parse of a few KiB
CALL_SECONDS = 5.0  # one request, body up to the 2 MiB limit, over loopback
BODY_LIMIT = 2 * 1024 * 1024
FUZZ = settings(max_examples=40, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

# --- the parsers --------------------------------------------------------------------------

WORLD = make_world(load_ccr(EXAMPLE), NOW)
_nurse, _intake = WORLD.members[SENDER], WORLD.members[RECIPIENT]
SEALED = [WORLD.seal_referral(_nurse, DEST, TYPE, b"x" * n) for n in (0, 700)]
SEALED.append(WORLD.seal_reply(_intake, SEALED[0].header.envelope_id, "mercy-hospital", TYPE,
                               b"ok"))
RECEIPT = sign_receipt(_intake.device, envelope_id=SEALED[0].header.envelope_id,
                       header_hash=SEALED[0].header.hash, status=ReceiptStatus.ACKNOWLEDGED,
                       at=NOW)
CERTIFICATE = _intake.device.certificate.raw


@st.composite
def mutated(draw: st.DrawFn, originals: list[bytes]) -> tuple[bytes, bytes]:
    """(original, changed): bytes flipped, cut, added or spliced, or a length field set to
    anything; the header's fields are where a parser is most easily fooled."""
    original = draw(st.sampled_from(originals))
    data = bytearray(original)
    header_end = min(len(data), 400)
    how = draw(st.sampled_from(["flip", "cut", "extend", "splice", "byte"]))
    if how == "flip":
        at = draw(st.integers(0, len(data) - 1))
        data[at] ^= draw(st.integers(1, 255))
    elif how == "cut":
        del data[draw(st.integers(0, len(data) - 1)):]
    elif how == "extend":
        data += draw(st.binary(min_size=1, max_size=600))
    elif how == "splice":
        at = draw(st.integers(0, header_end))
        data[at:at + draw(st.integers(0, 40))] = draw(st.binary(max_size=40))
    else:  # the recipient count, the kind, the version, a slug or a time field
        at = draw(st.sampled_from([4, 5, 6, 38, 70, 102, 103, 111, 119, 175, header_end - 1]))
        data[at] = draw(st.integers(0, 255))
    return original, bytes(data)


def timed(parse: Callable[[bytes], Any], data: bytes, errors: tuple[type, ...]) -> Any:
    start = time.perf_counter()
    try:
        result = parse(data)
    except errors:
        result = None
    assert time.perf_counter() - start < PARSE_SECONDS
    return result


@FUZZ
@given(st.one_of(st.binary(max_size=3000),
                 mutated([s.envelope for s in SEALED]).map(lambda pair: pair[1])))
def test_header_parser_parses_or_refuses_any_bytes(data: bytes) -> None:
    header = timed(parse_header, data, (EnvelopeError,))
    if header is not None:  # whatever it read is exactly the front of what it was given
        assert data.startswith(header.raw) and header.destination and header.referral_type
        assert header.created_at < header.expires_at


@FUZZ
@given(mutated([s.envelope for s in SEALED[:2]]))
def test_a_changed_envelope_never_opens(pair: tuple[bytes, bytes]) -> None:
    original, changed = pair
    assume(changed != original)
    trust = WORLD.trust(NOW)
    start = time.perf_counter()
    with pytest.raises(CryptoError):
        open_envelope(changed, device=_intake.device, trust=trust, now=NOW)
    assert time.perf_counter() - start < 2.0  # every recipient slot tried, at worst


@FUZZ
@given(st.one_of(st.binary(max_size=400), mutated([RECEIPT]).map(lambda pair: pair[1]),
                 mutated([CERTIFICATE]).map(lambda pair: pair[1])))
def test_receipt_and_certificate_parsers_parse_or_refuse(data: bytes) -> None:
    receipt = timed(parse_receipt, data, (EnvelopeError,))
    assert receipt is None or receipt.raw == data
    certificate = timed(parse_certificate, data, (TrustError,))
    assert certificate is None or certificate.raw == data


@pytest.mark.parametrize("size", [0, 64 * 1024, 4 * 1024 * 1024, 12 * 1024 * 1024])
def test_header_parser_time_and_memory_stay_bounded(size: int) -> None:
    """A header followed by up to 12 MiB: about one copy of the body at most, and no time
    spent on a body over the limit. The time allowed is ten times what a quiet machine
    takes (a test run shares its machine); a parser that read the body byte by byte, or
    copied it once per field, takes longer still."""
    raw = SEALED[1].header.raw
    data = raw + os.urandom(size)
    tracemalloc.start()
    try:
        start = time.perf_counter()
        timed(parse_header, data, (EnvelopeError,))
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 1.2 * size + 64 * 1024, peak
    assert elapsed < 0.5 + size / 20e6, f"{elapsed:.3f} s for {size} bytes"


# --- the endpoints ------------------------------------------------------------------------

SMS_SECRET = "fuzz-report-secret"
ADMIN_AGENCY, ADMIN = "county-prosecutor", "prosecutor-admin"  # roster fuzzing stays here
COORDINATOR = "ccr-coordinator"
JSON_ROUTES = [r for r in ROUTES if r.body is not None]
# who calls each body route: someone who could do it, so a valid body would be acted on
CALLER = {"roster.publish": ADMIN, "referral.acknowledge": RECIPIENT,
          "referral.reject": RECIPIENT, "referral.complete": RECIPIENT,
          "reply.post": RECIPIENT, "report.sms": None, "schedule.override": ADMIN,
          "schedule.away": ADMIN, "report.voice": None,
          "answer.sms-inbound": None, "answer.voice-keypress": None,
          "push.subscribe": RECIPIENT, "person.offboard": ADMIN, "grant.post": RECIPIENT,
          "drill.start": "ccr-coordinator", "drill.submit": "ccr-coordinator",
          "referral.purge_narrative": RECIPIENT, "me.setup": RECIPIENT,
          "milestone.record": RECIPIENT, "mdt.action.add": COORDINATOR}
SIGNED = ("report.sms", "report.voice", "answer.sms-inbound", "answer.voice-keypress")


@pytest.fixture(scope="module")
def live() -> Iterator[LiveHub]:
    with redis_for_module() as url, live_hub(url, max_body_bytes=BODY_LIMIT) as hub:
        receivers = hub.services.deliveries.receivers  # each read once signed
        receivers["sms"] = WebhookReports(SMS_SECRET)
        receivers["voice"] = WebhookCallReports(SMS_SECRET)
        receivers["sms-inbound"] = WebhookReplies(SMS_SECRET)
        receivers["voice-keypress"] = WebhookKeypresses(SMS_SECRET)
        yield hub


@pytest.fixture(scope="module")
def thread(live: LiveHub) -> dict[str, str]:
    device = live.world.members[RECIPIENT].device.certificate.device_id.hex()
    return {**live.thread()[0], "device": device}


def _path(route: Route, thread: dict[str, str]) -> str:
    return route.path.replace("{rid:[0-9a-f]{32}}", thread["rid"]) \
        .replace("{agency}", ADMIN_AGENCY).replace("{device:[0-9a-f]{32}}", thread["device"]) \
        .replace("{person}", ADMIN).replace("{did:[0-9a-f]{16}}", "0" * 16)


def send(live: LiveHub, route: Route, thread: dict[str, str], raw: bytes,
         content_type: str | None = "application/json", timed: bool = True
         ) -> requests.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    if route.name in SIGNED:
        digest = hmac.new(SMS_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature-256"] = f"sha256={digest}"
    start = time.perf_counter()
    r = live.call(route.method, _path(route, thread), CALLER.get(route.name, SENDER),
                  data=raw, headers=headers)
    assert not timed or time.perf_counter() - start < CALL_SECONDS, (route.name, len(raw))
    return r


def assert_clean_refusal(r: requests.Response, *statuses: int) -> str:
    """A 4xx (one of ``statuses`` when given) whose body is exactly {"error": {code,
    message}}; returns the code."""
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert not statuses or r.status_code in statuses, (r.status_code, r.text[:300])
    doc = r.json()
    assert set(doc) == {"error"} and set(doc["error"]) == {"code", "message"}, doc
    assert doc["error"]["code"] and len(doc["error"]["message"]) > 10, doc
    return doc["error"]["code"]


def valid(model: type[BaseModel], data: object) -> bool:
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def snapshot(live: LiveHub, thread: dict[str, str]) -> dict[str, Any]:
    return live.call("GET", f"/v1/referrals/{thread['rid']}", SENDER).json()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=5),
    max_leaves=30)


@pytest.mark.parametrize("route", JSON_ROUTES, ids=lambda r: r.name)
def test_arbitrary_json_is_refused_cleanly_and_changes_nothing(live, thread, route) -> None:
    before = snapshot(live, thread)

    @FUZZ
    @given(JSON | st.dictionaries(st.sampled_from(list(route.body.model_fields)), JSON,
                                  min_size=1))
    def check(data: object) -> None:
        assume(not valid(route.body, data))
        r = send(live, route, thread, json.dumps(data).encode())
        assert assert_clean_refusal(r, 422) == "invalid_body"

    check()
    assert snapshot(live, thread) == before


WRONG = [None, True, 0, -1, 2**70, 1.5, "", "x" * 5000, [], [1], {}, {"a": 1}]


def example(route: Route, live: LiveHub) -> dict[str, Any]:
    """A body of the right shape for each route (it may still be refused for its content)."""
    w = live.world
    sealed = SEALED[0]
    return {
        "roster.publish": w.rosters[ADMIN_AGENCY].to_json(),
        "referral.submit": w.submit_body(sealed, DEST, TYPE),
        "referral.acknowledge": {"receipt": base64.b64encode(RECEIPT).decode()},
        "referral.reject": {"reason": "capacity"}, "referral.complete": {"outcome": "other"},
        "referral.cancel": {"reason": "other"}, "referral.revoke": {"reason": "other"},
        "consent.narrow": {"share_outcome": False},
        "reply.post": {"envelope": base64.b64encode(sealed.envelope).decode()},
        "report.sms": {"id": "SM1", "status": "delivered"},
        "schedule.override": {"person": ADMIN, "from": "2027-01-16T18:00",
                              "until": "2027-01-17T08:00", "duty": "backup"},
        "schedule.away": {"person": ADMIN, "from": "2027-01-16", "until": "2027-01-17"},
        "report.voice": {"id": "CA1", "status": "completed"},
        "answer.sms-inbound": {"from": "+15555550121", "text": "123456"},
        "answer.voice-keypress": {"id": "CA1", "digits": "1"},
        "push.subscribe": {"endpoint": "https://push.example.org/x",
                           "keys": {"p256dh": "B" * 87, "auth": "A" * 22}},
        "person.offboard": {"reason": "lost-device"},
        "grant.post": {"grants": [base64.b64encode(b"not a key grant").decode()]},
        "drill.start": {"scenario": "discharge-2am"},
        "drill.submit": {"envelope": base64.b64encode(sealed.envelope).decode()},
        "referral.purge_narrative": {"envelope": base64.b64encode(sealed.envelope).decode()},
        "me.setup": {"device_made": True, "pinned": [DEST]},
        "milestone.record": {"code": "no-show"},
        "mdt.mark": {"code": "other"},
        "mdt.action.add": {"referral": "0" * 32, "owner": DEST, "code": "other",
                           "due": "2027-01-20"},
    }[route.name]


@pytest.mark.parametrize("route", JSON_ROUTES, ids=lambda r: r.name)
def test_a_wrong_type_for_any_field_is_named_in_the_error(live, thread, route) -> None:
    body = example(route, live)
    fields = sorted(body) + [f"consent.{k}" for k in sorted(body.get("consent", {}))]
    before = snapshot(live, thread)

    @FUZZ
    @given(st.sampled_from(fields), st.sampled_from(WRONG))
    def check(field: str, value: object) -> None:
        outer, _, inner = field.partition(".")
        data = {**body, outer: {**body[outer], inner: value} if inner else value}
        assume(not valid(route.body, data))
        r = send(live, route, thread, json.dumps(data).encode())
        assert assert_clean_refusal(r, 422) == "invalid_body"
        assert field in r.json()["error"]["message"], (field, r.json())

    check()
    assert snapshot(live, thread) == before


TIMES = st.one_of(st.sampled_from([0, -1, NOW, NOW - 60, NOW + 86400, NOW + 90 * 86400 + 1,
                                   2**31, 2**53, -2**53, 2**63, -2**63, 10**300, -10**300]),
                  st.integers(-2**64, 2**64), st.integers())


@settings(FUZZ, max_examples=120)
@given(given_at=TIMES, expires_at=TIMES,
       purposes=st.lists(st.sampled_from([TYPE, TYPE, "shelter-request", "", "x" * 300]),
                         min_size=1, max_size=3),
       agency=st.sampled_from([DEST, DEST, DEST, "bridge-advocacy", "Harbor House"]))
def test_consent_with_any_numbers_in_it_gets_a_clean_answer(live, given_at, expires_at,
                                                            purposes, agency) -> None:
    """Behind a valid sealed envelope, so the consent checks themselves are reached."""
    body = live.world.submit_body(SEALED[1], DEST, TYPE)
    body["consent"] = {**body["consent"], "given_at": given_at, "expires_at": expires_at,
                       "purposes": purposes, "agency": agency}
    r = live.call("POST", "/v1/referrals", SENDER, json=body)
    if r.status_code in (200, 201):  # a consent that holds: the referral is made once
        consent = r.json()
        assert consent["destination"] == DEST and consent["consent_expires_at"] > NOW
    else:
        assert_clean_refusal(r)


def nested(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


HUGE = {
    "string just under the limit": (json.dumps({"reason": "x" * (BODY_LIMIT - 100)}), 422),
    "string over the limit": (json.dumps({"reason": "x" * (BODY_LIMIT + 10)}), 413),
    "a million-element array": ("[" + "0," * 900_000 + "0]", 422),
    "arrays 100,000 deep": (nested(100_000, "array"), 400),
    "objects 100,000 deep": (nested(100_000, "object"), 400),
    "objects 900 deep": (nested(900, "object"), 422),
    "a huge integer": ('{"reason": ' + "9" * 5000 + "}", 400),
    "many keys": ("{" + ",".join(f'"k{i}":{i}' for i in range(100_000)) + "}", 422),
}


@pytest.mark.parametrize("case", sorted(HUGE))
def test_huge_and_deep_bodies_are_refused_in_bounded_time_and_memory(live, thread,
                                                                      case) -> None:
    raw, status = HUGE[case]
    raw = raw.encode() if isinstance(raw, str) else raw
    route = next(r for r in JSON_ROUTES if r.name == "referral.reject")
    assert_clean_refusal(send(live, route, thread, raw), status)  # in bounded time
    tracemalloc.start()  # (which slows every allocation: measured apart)
    try:
        r = send(live, route, thread, raw, timed=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_clean_refusal(r, status)
    # the whole process, client and server: linear in the body (json.loads alone takes ~11x
    # a body of small items, pydantic's list of errors ~45x more), never an explosion
    assert peak < 64 * len(raw) + 16 * 1024 * 1024, peak


CONTENT_TYPES = ["application/json", "application/json; charset=latin-1",
                 "application/json; charset=nonsense", "text/plain", None,
                 "multipart/form-data", "application/x-www-form-urlencoded"]


@pytest.mark.parametrize("route", [*JSON_ROUTES, *(r for r in ROUTES
                                                  if r.name == "report.twilio")],
                         ids=lambda r: r.name)
def test_random_bytes_under_any_content_type_are_refused_cleanly(live, thread, route) -> None:
    before = snapshot(live, thread)

    @FUZZ
    @given(st.binary(max_size=2000), st.sampled_from(CONTENT_TYPES))
    def check(raw: bytes, content_type: str | None) -> None:
        r = send(live, route, thread, raw, content_type)
        assert_clean_refusal(r)

    check()
    assert snapshot(live, thread) == before


def _signed(live: LiveHub, raw: bytes) -> dict[str, str]:
    """``raw`` signed by the agency's root, exactly as an admin's offline tool would."""
    root = live.world.roots[ADMIN_AGENCY]
    return SignedRoster(raw, root.sign(rosters._SIG_CONTEXT + raw)).to_json()


def _publish(live: LiveHub, signed: dict[str, str]) -> requests.Response:
    return live.call("PUT", f"/v1/agencies/{ADMIN_AGENCY}/roster", ADMIN, json=signed)


ROSTER_VALUES = st.sampled_from(WRONG + [2, 3, 2**53, 2**63, 2**64, 10**30, -2**63, NOW + 86400,
                                         "ccr-roster/1", [{"id": "x", "roles": []}]])


ROSTER_FIELDS = sorted(rosters.RosterBody.model_fields)


@settings(FUZZ, max_examples=80)
@given(st.one_of(JSON, st.dictionaries(st.sampled_from(ROSTER_FIELDS), ROSTER_VALUES,
                                       min_size=1, max_size=3)))
def test_a_signed_roster_with_any_body_gets_a_clean_answer(live, changes) -> None:
    """The signature holds, so the hub reads the body: arbitrary JSON, or the agency's real
    roster with some fields set to anything. Whatever is in it, a clean answer, and the
    agency's admin can still publish its next real roster afterwards."""
    real = json.loads(live.world.rosters[ADMIN_AGENCY].body)
    doc = {**real, **changes} if isinstance(changes, dict) and changes \
        and set(changes) <= set(ROSTER_FIELDS) else changes
    r = _publish(live, _signed(live, json.dumps(doc).encode()))
    if r.status_code == 201:
        assert r.json()["version"] == doc["version"]
    else:
        assert_clean_refusal(r)
    again = _publish(live, _signed(live, json.dumps({**real, "version": 2}).encode()))
    assert again.status_code in (200, 201, 409), again.text  # 200: that one, already
    if again.status_code == 409:
        assert assert_clean_refusal(again, 409) == "roster_rollback"

"""The HTTP API fuzzed with schemathesis against /v1/openapi.json, every check on: each
operation with schema-valid and schema-invalid data (examples, coverage and fuzzing
phases), then stateful sequences that follow the document's links from a submitted
referral. A real hub serves on 127.0.0.1 (tests/support/live.py). Nothing may answer 5xx,
invalid data must be refused with a 4xx, responses must match the document, and an
operation that needs a token must never answer without one.

Generation is derandomized and bounded, so CI sees the same cases every run."""

from __future__ import annotations

import base64
import itertools
from collections import Counter
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation

from hub.crypto import ReceiptStatus, Sealed, sign_receipt
from hub.services import tokens
from hub.web.context import SESSION_COOKIE
from hub.web.openapi import openapi_document
from hub.web.routes import ROUTES
from tests.support.live import (
    DEST,
    RECIPIENT,
    SENDER,
    TYPE,
    LiveHub,
    live_hub,
    redis_for_module,
)

NURSE, INTAKE, COORDINATOR, DIRECTOR = SENDER, RECIPIENT, "ccr-coordinator", "harbor-director"
# The schema cannot say what a sealed envelope or a signed receipt is, nor whether consent
# still holds: a schema-valid request may still be refused with 410 or 422, never a 5xx.
ACCEPTED = ["2xx", "401", "403", "404", "409", "410", "413", "422", "429"]
CONFIG = schemathesis.Config.from_dict({
    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
})
# The document fuzzed is the one the hub serves (test_the_fuzzed_document_is_the_served_one).
# /healthz/engine takes no input: its 503 says that no worker runs beside this test's hub
# (tests/web/test_engine_health.py tests it).
schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG).exclude(
    operation_id="healthz.engine")
FUZZ = settings(max_examples=12, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


def positive(case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


def auth(case, who: str, live: LiveHub) -> dict[str, str]:
    """The person's token, unless the case is about a missing or malformed header."""
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        return {}
    return live.world.members[who].auth


def receipt(live: LiveHub, sealed: Sealed) -> str:
    signed = sign_receipt(live.world.members[INTAKE].device,
                          envelope_id=sealed.header.envelope_id, header_hash=sealed.header.hash,
                          status=ReceiptStatus.ACKNOWLEDGED, at=live.world.now)
    return base64.b64encode(signed).decode()


@pytest.fixture(scope="module")
def live():
    # Every failed sign-in from 127.0.0.1 counts towards the rate limit, and the fuzzer makes
    # hundreds: lift the limit here so each answer is the plain 401 (test_signin_flood.py
    # tests the limit itself).
    with pytest.MonkeyPatch.context() as mp, redis_for_module() as url, live_hub(url) as hub:
        mp.setattr(tokens, "FAILURE_LIMIT", 10**9)
        yield hub


@pytest.fixture(scope="module")
def thread(live: LiveHub) -> dict[str, str]:
    """A referral with an attachment and a reply, for the fuzzer to aim at."""
    return live.thread()[0]


def test_the_fuzzed_document_is_the_served_one(live: LiveHub) -> None:
    r = requests.get(f"{live.base_url}/v1/openapi.json", timeout=10)
    assert r.status_code == 200 and r.json() == openapi_document()


PERSONAS = (NURSE, INTAKE, COORDINATOR, DIRECTOR)
_turn = itertools.count()


@schema.parametrize()
@FUZZ
def test_operation_fuzzed(case, live: LiveHub, thread: dict[str, str]) -> None:
    """Each operation as four people in turn (sender, point person, coordinator, agency
    admin); two cases in three aim at the real referral rather than a random id."""
    turn = next(_turn)
    if turn % 3 and positive(case):
        case.path_parameters.update({k: v for k, v in thread.items()
                                     if k in case.path_parameters})
    case.call_and_validate(base_url=live.base_url,
                           headers=auth(case, PERSONAS[turn % len(PERSONAS)], live))


# --- stateful -----------------------------------------------------------------------------

RECIPIENT_OPS = {"referral.envelope", "referral.acknowledge", "referral.accept",
                 "referral.reject", "referral.progress", "referral.complete", "attachment.get",
                 "referral.inbox"}
LIFECYCLE = {"referral.acknowledge", "referral.accept", "referral.reject", "referral.progress",
             "referral.complete", "referral.cancel", "referral.revoke"}
SENDER_OPS = {"referral.submit", "referral.cancel", "attachment.put", "referral.outbox"}
REFERRAL_READS = {"referral.get", "referral.history", "referral.audit", "referral.envelope",
                  "reply.list"}


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    """Sequences along the document's links, from a submission the SDK sealed (the
    fuzzer cannot seal one) through acknowledgement (with a real signed receipt) to the
    end of the lifecycle, each step as the person whose step it is."""

    live: LiveHub
    sealed: dict[str, Sealed] = {}
    seen: Counter = Counter()

    def before_call(self, case) -> None:
        w, name = self.live.world, case.operation.definition.raw.get("operationId")
        if not positive(case):
            return
        if name == "referral.submit":
            sealed = w.seal_referral(w.members[NURSE], DEST, TYPE, b"{}", attachments=(b"a",))
            Workflow.sealed[sealed.header.envelope_id.hex()] = sealed
            case.body = w.submit_body(sealed, DEST, TYPE)
        elif name == "referral.acknowledge" and case.path_parameters.get("rid") in self.sealed:
            case.body = {"receipt": receipt(self.live, self.sealed[case.path_parameters["rid"]])}

    def get_call_kwargs(self, case) -> dict[str, Any]:
        name = case.operation.definition.raw.get("operationId")
        who = NURSE if name in SENDER_OPS else INTAKE if name in RECIPIENT_OPS else \
            PERSONAS[len(self.seen) % len(PERSONAS)]
        return {"base_url": self.live.base_url, "headers": auth(case, who, self.live)}

    def after_call(self, response, case) -> None:
        super().after_call(response, case)
        name = case.operation.definition.raw.get("operationId")
        Workflow.seen[(name, response.status_code)] += 1


def test_stateful_sequences_follow_the_links(live: LiveHub) -> None:
    Workflow.live = live
    Workflow.run(settings=settings(FUZZ, max_examples=40, stateful_step_count=6))
    seen = Workflow.seen
    assert seen[("referral.submit", 201)] > 0, seen
    # the links were followed to the referrals that were made (which reads of a referral
    # the walk takes varies with the run: schemathesis picks links in an order that changes
    # with what ran before it in the process), and moved them along
    followed = {name for (name, status), n in seen.items() if status == 200 and n}
    assert followed & REFERRAL_READS and followed & LIFECYCLE, sorted(seen.items())


# --- credentials --------------------------------------------------------------------------

def _bad_credentials(live: LiveHub) -> dict[str, dict[str, str]]:
    nurse = live.world.members[NURSE]
    token_id = nurse.token.split("_")[1]
    revoked = live.run(live.services.tokens.issue(NURSE))
    live.run(live.services.tokens.revoke(revoked.token_id))
    return {
        "none": {},
        "empty bearer": {"Authorization": "Bearer "},
        "not a token": {"Authorization": "Bearer nope"},
        "unknown token": {"Authorization": f"Bearer ccr_{'0' * 16}_{'A' * 43}"},
        "right id, wrong secret": {"Authorization": f"Bearer ccr_{token_id}_{'A' * 43}"},
        "revoked token": {"Authorization": f"Bearer {revoked.token}"},
        "token without its scheme": {"Authorization": nurse.token},
        "basic scheme": {"Authorization": "Basic " + base64.b64encode(b"nurse:pw").decode()},
        "token in another header": {"X-Api-Token": nurse.token},
        "made-up session cookie": {"Cookie": f"{SESSION_COOKIE}={'A' * 43}"},
    }


def _url(live: LiveHub, path: str, thread: dict[str, str]) -> str:
    path = path.replace("{rid:[0-9a-f]{32}}", thread["rid"]).replace("{index}", "0")
    path = path.replace("{agency}", DEST).replace("{entry:[a-z0-9-]{1,40}}", "o-" + "0" * 16)
    path = path.replace("{device:[0-9a-f]{32}}", "0" * 32).replace("{did:[0-9a-f]{16}}", "0" * 16)
    path = path.replace("{person}", "harbor-night")
    path = path.replace("{aid:[0-9a-f]{16}}", "0" * 16)  # a case review's action item
    return live.base_url + path.replace("{reply_id:[0-9a-f]{32}}", thread["reply_id"])


def test_missing_or_invalid_credentials_are_never_ignored(live: LiveHub, thread) -> None:
    """Every operation that needs a token, aimed at a real referral with a body that would
    otherwise be read: 401 for every kind of missing or wrong credential, and nothing
    moves."""
    referral = f"/v1/referrals/{thread['rid']}"
    before = live.call("GET", referral, NURSE).json()
    credentials = _bad_credentials(live)
    for route in (r for r in ROUTES if r.auth):
        for name, headers in credentials.items():
            r = requests.request(route.method, _url(live, route.path, thread), json={},
                                 headers=headers, timeout=10)
            assert r.status_code == 401, (route.name, name, r.status_code, r.text)
            assert r.json()["error"]["code"] in ("unauthorized", "session_ended"), name
    assert live.call("GET", referral, NURSE).json() == before

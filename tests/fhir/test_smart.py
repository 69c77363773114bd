"""SMART Backend Services: a registered client signs an assertion with its key and gets a
token bound to its own agency; a bad assertion, a replay, or a scope for another agency is
an OperationOutcome with a 4xx, and audited."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from hub.api import fhir
from tests.fhir.conftest import DEST, TOKEN_URL

GRANT = {"grant_type": "client_credentials",
         "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}


def _code(body: dict) -> str:
    fhir.checked(body, "OperationOutcome")
    return body["issue"][0]["details"]["coding"][0]["code"]


async def _ask(fhir_hub, assertion: str, scope: str = ""):
    return await fhir_hub.client.post("/fhir/R4/auth/token", data=GRANT | {
        "client_assertion": assertion, "scope": scope})


async def test_a_client_token_reads_its_agencys_tasks_as_the_person_it_acts_as(fhir_hub
                                                                              ) -> None:
    _, rid = await fhir_hub.submitted()
    ehr = await fhir_hub.token("mercy-ehr")
    r = await fhir_hub.client.get(f"/fhir/R4/Task/{rid}",
                                  headers={"Authorization": f"Bearer {ehr}"})
    assert r.status == 200 and (await r.json())["requester"]["reference"] == \
        "Organization/mercy-hospital"
    r = await fhir_hub.client.get("/fhir/R4/Task", params={"requester":
                                  "Organization/mercy-hospital"},
                                  headers={"Authorization": f"Bearer {ehr}"})
    assert [e["resource"]["id"] for e in (await r.json())["entry"]] == [rid]
    audited = [e.action for e in await fhir_hub.store.audit.events()]
    assert "smart.token" in audited and "fhir.task.read" in audited


async def test_refusals_of_the_token_endpoint(fhir_hub) -> None:
    now = fhir_hub.clock.now()
    mercy = fhir_hub.smart["mercy-ehr"]
    stranger = ec.generate_private_key(ec.SECP384R1())
    cases = [
        (mercy.assertion(now=now, key=stranger), "", 401, "bad_assertion"),
        (mercy.assertion(now=now, aud="https://elsewhere/token"), "", 401, "bad_assertion"),
        (mercy.assertion(now=now - 600), "", 401, "bad_assertion"),  # expired
        (mercy.assertion(now=now, life=3600), "", 401, "bad_assertion"),  # too long-lived
        ("not.a.jwt", "", 401, "bad_assertion"),
        (mercy.assertion(now=now), f"system/Task.read agency/{DEST}", 403, "bad_scope"),
        (mercy.assertion(now=now), "system/Patient.read", 403, "bad_scope"),
    ]
    for assertion, scope, status, code in cases:
        r = await _ask(fhir_hub, assertion, scope)
        assert (r.status, _code(await r.json())) == (status, code), (scope, await r.text())
    r = await fhir_hub.client.post("/fhir/R4/auth/token", data={"grant_type": "password"})
    assert r.status == 400 and _code(await r.json()) == "bad_grant"


async def test_an_assertion_is_taken_once(fhir_hub) -> None:
    once = fhir_hub.smart["mercy-ehr"].assertion(now=fhir_hub.clock.now(), jti="j-1")
    assert (await _ask(fhir_hub, once)).status == 200
    r = await _ask(fhir_hub, once)
    assert r.status == 401 and "used already" in (await r.json())["issue"][0]["diagnostics"]


async def test_a_read_only_token_cannot_write_and_an_expired_one_is_refused(fhir_hub) -> None:
    _, rid = await fhir_hub.submitted()
    r = await _ask(fhir_hub, fhir_hub.smart["mercy-ehr"].assertion(now=fhir_hub.clock.now()),
                   "system/Task.read agency/mercy-hospital")
    body = await r.json()
    assert body["scope"] == "agency/mercy-hospital system/Task.read"
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    task = await (await fhir_hub.client.get(f"/fhir/R4/Task/{rid}", headers=auth)).json()
    r = await fhir_hub.client.put(f"/fhir/R4/Task/{rid}", headers=auth, json=task | {
        "status": "cancelled", "statusReason": fhir.coding(fhir.REASON_SYSTEM, "other")})
    assert r.status == 403 and _code(await r.json()) == "bad_scope"
    fhir_hub.clock.advance(301)
    r = await fhir_hub.client.get(f"/fhir/R4/Task/{rid}", headers=auth)
    assert r.status == 401 and _code(await r.json()) == "unauthorized"


async def test_discovery_names_the_token_endpoint(fhir_hub) -> None:
    r = await fhir_hub.client.get("/fhir/R4/.well-known/smart-configuration")
    config = await r.json()
    assert config["token_endpoint"] == TOKEN_URL
    assert "private_key_jwt" in config["token_endpoint_auth_methods_supported"]

"""The access matrix over the FHIR facade: a person of an agency that neither sent nor
received a referral gets the same 404 OperationOutcome for its Task as for a missing one,
and finds it in no search; a coordinator reads the Task (metadata) but cannot change it."""

from __future__ import annotations

from hub.api import fhir
from tests.fhir.conftest import DEST

MISSING = "0" * 32


def _task(rid: str, status: str) -> dict:
    return {"resourceType": "Task", "id": rid, "intent": "order", "status": status}


async def _answers(hub, who, rid: str) -> list[tuple[int, str]]:
    out = []
    for method, kwargs in (("GET", {}), ("PUT", {"json": _task(rid, "accepted")}),
                           ("PUT", {"json": _task(rid, "cancelled") | {"statusReason": {
                               "coding": [{"system": fhir.REASON_SYSTEM, "code": "other"}]}}})):
        r = await hub.client.request(method, f"/fhir/R4/Task/{rid}", headers=who.auth,
                                     **kwargs)
        body = fhir.checked(await r.json())
        text = body["issue"][0]["diagnostics"] if body["resourceType"] == \
            "OperationOutcome" else body["status"]
        out.append((r.status, text.replace(rid, MISSING)))
    return out


async def test_outsiders_get_the_missing_tasks_404_everywhere(fhir_hub) -> None:
    _, rid = await fhir_hub.submitted()
    outsiders = [m for m in fhir_hub.world.members.values()
                 if m.agency not in ("mercy-hospital", DEST) and "coordinator" not in m.roles]
    assert len({m.agency for m in outsiders}) >= 3
    for who in outsiders:
        real, missing = await _answers(fhir_hub, who, rid), await _answers(fhir_hub, who,
                                                                           MISSING)
        assert real == missing and {s for s, _ in real} == {404}, (who.person, real)
        for params in ({"_id": rid}, {"owner": f"Organization/{DEST}"}, {}):
            r = await fhir_hub.client.get("/fhir/R4/Task", params=params, headers=who.auth)
            assert (await r.json())["entry"] == [], (who.person, params)


async def test_a_coordinator_reads_the_task_and_changes_nothing(fhir_hub) -> None:
    _, rid = await fhir_hub.submitted()
    coordinator = next(m for m in fhir_hub.world.members.values() if "coordinator" in m.roles)
    read, accept, cancel = await _answers(fhir_hub, coordinator, rid)
    assert read == (200, "requested") and accept[0] == 403 and cancel[0] == 403
    r = await fhir_hub.client.get("/fhir/R4/Task", params={"owner": f"Organization/{DEST}"},
                                  headers=coordinator.auth)
    assert rid in await r.text()
    assert (await fhir_hub.store.referrals.get(rid)).status == "requested"

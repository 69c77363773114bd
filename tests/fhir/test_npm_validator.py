"""The facade's answers validate as R4 with the npm `fhir` package (FHIR.js) too, where it
is installed (web/package.json's devDependencies; `make web`): a Task read and written
back, a searchset Bundle, the CapabilityStatement, a Subscription and its $status, an
OperationOutcome."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from hub.api import fhir
from tests.fhir.conftest import DEST, receipt
from tests.fhir.test_subscriptions import Endpoint, _subscribe

WEB = Path(__file__).resolve().parents[2] / "web"
SCRIPT = Path(__file__).with_name("validate.cjs")
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not (WEB / "node_modules" / "fhir").is_dir(),
    reason="the npm fhir package is not installed (cd web && npm ci)")


async def _validated(resources: list[dict]) -> list[dict]:
    proc = await asyncio.create_subprocess_exec(
        NODE, str(SCRIPT), cwd=WEB, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={"NODE_PATH": str(WEB / "node_modules"), "PATH": str(Path(NODE).parent)})
    out, err = await asyncio.wait_for(proc.communicate(json.dumps(resources).encode()), 60)
    assert proc.returncode == 0, err.decode()
    return json.loads(out)


async def test_the_facades_answers_validate_with_the_npm_fhir_package(fhir_hub, aiohttp_server
                                                                      ) -> None:
    sealed, rid = await fhir_hub.submitted()
    point = fhir_hub.world.first(DEST, "point_person")
    client = fhir_hub.client
    task = await (await client.get(f"/fhir/R4/Task/{rid}", headers=point.auth)).json()
    ack = {"type": fhir.coding(fhir.INPUT_SYSTEM, fhir.RECEIPT_INPUT),
           "valueBase64Binary": receipt(point, sealed)}
    r = await client.put(f"/fhir/R4/Task/{rid}", headers=point.auth,
                         json=task | {"status": "received", "input": [ack]})
    acknowledged = await r.json()
    bundle = await (await client.get("/fhir/R4/Task", params={"_count": "1"},
                                     headers=point.auth)).json()
    metadata = await (await client.get("/fhir/R4/metadata")).json()
    sid, auth = await _subscribe(fhir_hub, aiohttp_server, Endpoint(),
                                 "Task?requester=Organization/mercy-hospital")
    subscription = await (await client.get(f"/fhir/R4/Subscription/{sid}", headers=auth)).json()
    status = await (await client.get(f"/fhir/R4/Subscription/{sid}/$status",
                                     headers=auth)).json()
    refused = await (await client.get("/fhir/R4/Task", params={"patient": "1"},
                                      headers=point.auth)).json()
    answers = [task, acknowledged, bundle, metadata, subscription, status, refused]
    found = await _validated(answers)
    assert [f["resourceType"] for f in found] == [
        "Task", "Task", "Bundle", "CapabilityStatement", "Subscription", "Parameters",
        "OperationOutcome"]
    assert [f["errors"] for f in found] == [[]] * len(answers)
    wrong = await _validated([task | {"status": "maybe", "owner": "harbor-house"}])
    assert wrong[0]["errors"], "the validator must see a broken Task"

"""Issue 17, 11: entries sealed after the newest checkpoint could be rewritten unseen for up
to 60 s. The sealer now signs a checkpoint with every batch it seals, at most one a second,
so that window is about a second; exporting the checkpoints is a scheduled job in
docker-compose.yml, and docs/operations.md says plainly what only an export catches."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


async def _audited(hub, n: int) -> None:
    nurse = hub.world.first("mercy-hospital", "sender")
    for _ in range(n):
        assert (await hub.client.get("/v1/outbox", headers=nurse.auth)).status == 200


async def _until(predicate, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not await predicate():
            await asyncio.sleep(0.01)


async def test_each_sealed_batch_is_signed_within_a_second_and_no_more_often(hub) -> None:
    log, stop = hub.services.auditlog, threading.Event()
    sealer = asyncio.create_task(log.run(stop, interval=0.01))
    try:
        await _until(lambda: _covered(hub))  # what install_world wrote
        signed = len(await log.checkpoints())
        for _ in range(5):  # a batch every 0.2 s of the hub's clock, for a second
            await _audited(hub, 3)
            hub.clock.advance(0.2)
            await asyncio.sleep(0.05)
        hub.clock.advance(1.0)
        await _until(lambda: _covered(hub))
        added = len(await log.checkpoints()) - signed
        assert 1 <= added <= 3, added  # every batch covered, at most one a second
    finally:
        stop.set()
        await sealer


async def _covered(hub) -> bool:
    """Every event is sealed and the newest checkpoint counts them all."""
    points = await hub.services.auditlog.checkpoints()
    head = await hub.store.audit.head()
    waiting = await hub.store.audit.intake("0", 10)
    return not waiting and bool(points) and points[-1].count == head.count


def test_exporting_the_log_is_a_scheduled_job_of_its_own() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    jobs = {name: s for name, s in services.items()
            if "hub audit export" in " ".join(s.get("command") or [])}
    assert len(jobs) == 1, "docker-compose.yml has no service exporting the audit log"
    (name, job), = jobs.items()
    command = " ".join(job["command"])
    assert "while" in command and "sleep" in command  # again and again, on its own
    exports = {v.split(":")[0] for v in job.get("volumes", []) if v.split(":")[1] == "/exports"}
    others = {v.split(":")[0] for n, s in services.items() if n != name
              for v in s.get("volumes", [])}
    assert exports and not exports & others, "the exports must be where the hub does not write"


def test_the_operations_doc_says_what_only_an_export_catches() -> None:
    text = " ".join((ROOT / "docs" / "operations.md").read_text().replace("*", "").split())
    text = text.lower()
    assert "only an exported checkpoint catches" in text
    assert "stored checkpoints deleted" in text and "audit-export" in text

"""Submissions under load across a primary's death: nothing acknowledged lost, nothing
doubled, and how long submission and escalation stop.

    python -m bench.failover [--quick] [--clients N] [--seconds S] [--rate R]

A primary with one replica under one sentinel (Valkey processes, AOF with fsync on every
write, loopback; the test suite's tests/faults/harness.py starts them), a real `hub serve`
in production mode (every change waits for the replica's AOF: WAIT, then WAITAOF 1 1) and
a real `hub worker`, both given the Sentinel URL, and an SMTP sink. First, the price of
waiting for the replica: that hub and a second one that does not wait
(HUB_REDIS_REPLICA_ACKS=0), saturated by turns on the same servers (`hub_rps` and
`baseline_rps`, `ratio_waitaof`). Then clients submit sealed referrals for S seconds at
a steady rate (`--rate`), retrying every unknown outcome (no answer, a 503) with the same
envelope, and a third of the way in (once the worker has sent a notice) the primary is
SIGKILLed; Sentinel promotes the replica, and the old primary is started again on its
data as the new replica (what its supervisor would do; until a replica holds them, changes
are answered 503).

- `acked`: submissions answered 201 (or 200 to a retry: it was there already);
- `lost`: acknowledged ones missing from the new primary (target 0);
- `duplicates`: envelope ids answered 201 twice, or stored twice (target 0);
- `unavailable_s`: the longest stretch with no submission answered across the kill
  (target <= 10), counting after the kill only submissions sent after it: one already in
  flight when the primary died says nothing of when the hub came back. The load runs on
  until a second after the old primary has rejoined, however long the failover takes;
- `failover_s`: from the kill to Sentinel naming the new primary;
- `escalation_gap_s`: the longest stretch with no notice reaching the sink across the
  kill (each urgent submission tells the shelter's intake at once: a steady stream).

Prints progress to stderr and one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.submit import drive, log
from tests.faults.harness import (
    HubProcess,
    ReplicaSet,
    Smtp,
    hub_env,
    installed_world,
    serve,
    wait_until,
)
from tests.faults.invariants import stored_referrals

DEST, TYPE = "harbor-house", "discharge-handoff"
TARGETS = {"lost": 0, "duplicates": 0, "unavailable_s": 10}


@dataclass
class Load:
    """What the clients sent and were told, with when each 201 came."""

    bodies: dict[str, bytes] = field(default_factory=dict)  # envelope id -> body
    created: dict[str, int] = field(default_factory=dict)  # 201s per envelope id
    acked: set[str] = field(default_factory=set)
    answered: list[tuple[float, float]] = field(default_factory=list)  # (sent, answered)
    retries: int = 0
    recovered_at: float | None = None  # monotonic: when the old primary had rejoined

    def running(self, stop: float) -> bool:
        """Until ``stop``, and in any case until a second after the failover is over."""
        now = time.monotonic()
        return now <= stop or self.recovered_at is None or now <= self.recovered_at + 1

    def answered_across(self, killed: float) -> list[float]:
        """When answers came: before the kill, and for what was sent after it."""
        return [at for sent, at in self.answered if at <= killed or sent > killed]


def sealed_bodies(world, count: int) -> list[tuple[str, bytes]]:
    nurse = world.first("mercy-hospital", "sender")
    consent = world.consent(DEST, TYPE)
    out = []
    for n in range(count):
        sealed = world.seal_referral(nurse, DEST, TYPE, json.dumps({"n": n}).encode() * 64)
        out.append((sealed.header.envelope_id.hex(), json.dumps(
            {"envelope": base64.b64encode(sealed.envelope).decode(),
             "consent": consent}).encode()))
    return out


async def submit(session: aiohttp.ClientSession, url: str, headers: dict[str, str],
                 rid: str, body: bytes, load: Load) -> None:
    """Until a definite answer: an unknown outcome is retried with the same bytes."""
    load.bodies[rid] = body
    while True:
        sent = time.time()
        try:
            async with session.post(url, data=body, headers=headers,
                                    timeout=aiohttp.ClientTimeout(total=15)) as r:
                status = r.status
                await r.read()
        except (TimeoutError, aiohttp.ClientError):
            status = 0
        if status in (200, 201):
            load.acked.add(rid)
            load.answered.append((sent, time.time()))
            if status == 201:
                load.created[rid] = load.created.get(rid, 0) + 1
            return
        if status not in (0, 503):
            raise RuntimeError(f"a submission was refused: {status}")
        load.retries += 1
        await asyncio.sleep(0.1)


async def under_load(url: str, headers: dict[str, str], todo: list[tuple[str, bytes]],
                     load: Load, clients: int, seconds: float, rate: float) -> None:
    """``clients`` clients submitting from ``todo`` for ``seconds`` (longer if the failover
    is not over by then), at most ``rate`` new submissions a second between them (retries
    come on top)."""
    queue = iter(todo)
    stop = time.monotonic() + seconds
    slot = [time.monotonic()]

    async def client(session: aiohttp.ClientSession) -> None:
        for rid, body in queue:
            now = time.monotonic()
            slot[0] = max(slot[0] + 1 / rate, now)
            await asyncio.sleep(slot[0] - now)
            if not load.running(stop):
                return
            await submit(session, url, headers, rid, body, load)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))


async def kill_primary(replicas: ReplicaSet, after: float, load: Load,
                       notified: Callable[[], bool]) -> tuple[float, float]:
    """SIGKILL the primary ``after`` seconds in, once the worker has ``notified`` (a gap in
    notices needs notices before it: a worker slow to start on a busy machine would leave
    none); when Sentinel has promoted the replica, start the old primary again as its
    replica. When it was killed, and the seconds to the failover."""
    await asyncio.sleep(after)
    await asyncio.to_thread(wait_until, notified, "the worker's first notice", 60)
    replicas.primary.kill()
    killed = time.time()
    await asyncio.to_thread(wait_until, replicas.failed_over, "the failover", 60)
    failover = time.time() - killed
    await asyncio.to_thread(replicas.rejoin)
    load.recovered_at = time.monotonic()
    log(f"primary killed; Sentinel promoted the replica {failover:.1f} s later")
    return killed, failover


def longest_gap(times: list[float], around: float) -> float:
    """The longest stretch between successive moments that spans ``around``."""
    times = sorted(times)
    before = [t for t in times if t <= around]
    after = [t for t in times if t > around]
    if not before or not after:
        return float("inf")
    gap, last = after[0] - before[-1], after[0]
    for t in after[1:]:
        gap, last = max(gap, t - last), t
    return gap


async def price_of_waiting(urls: dict[str, str], bodies: list[tuple[str, bytes]],
                           headers: dict[str, str], args: argparse.Namespace
                           ) -> dict[str, float]:
    """Each hub saturated by turns, ``args.rounds`` times: requests per second."""
    rates: dict[str, list[float]] = {name: [] for name in urls}
    batches = iter([b for _, b in bodies[i::len(urls) * args.rounds]]
                   for i in range(len(urls) * args.rounds))
    for _ in range(args.rounds):
        for name, url in urls.items():
            rps, _ = await drive(url, next(batches), headers, args.clients, args.round_seconds)
            rates[name].append(rps)
    log(", ".join(f"{name} {statistics.fmean(r):.0f} requests/s" for name, r in rates.items()))
    return {name: statistics.fmean(r) for name, r in rates.items()}


async def run(args: argparse.Namespace) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-failover-"))
    replicas = ReplicaSet(tmp / "set")
    replicas.start()
    smtp, procs = Smtp(), []
    prefix = f"failover-{uuid.uuid4().hex[:8]}"
    services = None
    try:
        services, world = await installed_world(replicas.url, prefix, tmp)
        env = hub_env(replicas.url, prefix, tmp, HUB_MODE="production", HUB_LOG_LEVEL="WARNING",
                      HUB_SMTP_PORT=str(smtp.port), HUB_TIMER_LEASE="5",
                      HUB_NOTICE_LIMIT_PERSON="1000000", HUB_NOTICE_LIMIT_AGENCY="1000000",
                      HUB_PERSON_RATE_LIMIT="100000000")
        urls = {}
        for name, acks in (("hub", "1"), ("baseline", "0")):
            (tmp / name).mkdir()
            proc, url = serve({**env, "HUB_REDIS_REPLICA_ACKS": acks}, tmp / name)
            procs.append(proc)
            urls[name] = f"{url}/v1/referrals"
        need = args.rounds * 2 * args.round_seconds * 1500 + (args.seconds + 10) * args.rate
        log(f"sealing {int(need)} referrals")
        bodies = sealed_bodies(world, int(need))
        headers = {**world.first("mercy-hospital", "sender").auth,
                   "Content-Type": "application/json"}
        split = int(args.rounds * 2 * args.round_seconds * 1500)
        rates = await price_of_waiting(urls, bodies[:split], headers, args)
        procs.append(HubProcess(("worker",), env, tmp / "worker.log").start())
        notices_before = len(smtp.inbox.raw)
        load = Load()
        _, (killed, failover) = await asyncio.gather(
            under_load(urls["hub"], headers, bodies[split:], load, args.clients, args.seconds,
                       args.rate),
            kill_primary(replicas, args.seconds / 3, load,
                         lambda: len(smtp.inbox.at) > notices_before))
        log(f"{len(load.acked)} acknowledged, {load.retries} retries")
        await asyncio.to_thread(wait_until, lambda: len(smtp.inbox.at) - notices_before
                                >= len(load.acked), "a notice for every referral", 60)
        stored = await stored_referrals(services.store)
    finally:
        for proc in procs:
            proc.stop()
        smtp.stop()
        if services is not None:
            await services.close()
        replicas.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    from_load = {rid for rid in stored if rid in load.bodies}
    return {
        "acked": len(load.acked), "lost": len(load.acked - from_load),
        "duplicates": sum(n - 1 for n in load.created.values() if n > 1),
        "unavailable_s": round(longest_gap(load.answered_across(killed), killed), 2),
        "failover_s": round(failover, 2),
        "escalation_gap_s": round(longest_gap(smtp.inbox.at[notices_before:], killed), 2),
        "hub_rps": round(rates["hub"], 1), "baseline_rps": round(rates["baseline"], 1),
        "ratio_waitaof": round(rates["hub"] / rates["baseline"], 3),
        "retries": load.retries, "clients": args.clients, "load_seconds": args.seconds,
        "load_rate": args.rate,
        "replicas": 1, "targets": TARGETS,
        "durability": "appendonly yes, appendfsync always; hub: WAIT 1 then WAITAOF 1 1",
        "quick": args.quick}


def main(argv: list[str] | None = None) -> dict[str, object]:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a short run (under 45 s)")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--rate", type=float, default=150, help="new submissions a second across "
                   "the kill (default 150: 75 times a state-wide hub's busiest minute); the "
                   "one worker sends a notice for each as they come")
    p.add_argument("--seconds", type=float, help="how long the load runs (quick 9, else 30)")
    p.add_argument("--tiny", action="store_true",
                   help="a smoke run for the tests: one 1 s round each, 6 s of load")
    args = p.parse_args(argv)
    args.seconds = args.seconds or (6.0 if args.tiny else 9.0 if args.quick else 30.0)
    args.rounds, args.round_seconds = (1, 1.0) if args.tiny else (1, 2.0) if args.quick \
        else (3, 4.0)
    result = asyncio.run(run(args))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

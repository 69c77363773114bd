"""Escalation latency: from a rung's deadline to its notice accepted by a local SMTP server.

    python -m bench.escalation [--quick] [--open N] [--due K] [--seconds S] [--workers W]

Loads N open referrals into a durable embedded Valkey (AOF, fsync always); K of them have
their first rung (notify the point person) fall due spread over S seconds of real time,
the rest later. Starts W `hub worker` processes (one runs the ticker) and an SMTP sink,
and measures, for every rung that fell due, the time from its deadline to the SMTP server
accepting its email. The CCR is bench/rota.py's: half the referrals go to 100 shelters
whose point person is resolved through their schedules when the rung fires (1,000 people,
rotation layers, overrides in the file and added live, away periods), half to 100 shelters
with a fixed point person: the fixed-list baseline, in the same run on the same workers
(`fixed_*`, and `p99_vs_fixed`). Beside them, the timer-only baseline: the same ticker
claiming the same number of bare entries, measured from deadline to claim.

Prints progress to stderr and one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from aiosmtpd.controller import Controller

from hub.adapters.email import message_id
from hub.build import build_services
from hub.config import Settings
from hub.embedded import start_embedded
from hub.escalation.ticker import INTERVAL
from hub.models import Consent, HistoryEvent, Referral, Status
from hub.sandbox import World, make_world
from hub.services.principal import Principal

from .rota import FIXED, GROUPS, PEOPLE, SCHEDULED, TYPE, add_live_changes, write_ccr
from .submit import free_port, log, percentile

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "bench"
RECEIVERS = [a for pair in zip(SCHEDULED, FIXED, strict=True) for a in pair]  # alternating


class Sink:
    def __init__(self) -> None:
        self.arrivals: list[tuple[str, float]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        at = time.time()
        for line in envelope.original_content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                self.arrivals.append((line.split(b":", 1)[1].strip().decode(), at))
        return "250 OK"


def referral(rid: str, dest: str, submitted_at: float, now: float) -> Referral:
    consent = Consent(agency=dest, purposes=(TYPE,), given_at=int(now) - 60, method="written",
                      documented_by="mercy-nurse-1", expires_at=int(now) + 30 * 86400)
    return Referral(id=rid, status=Status.REQUESTED, generation=1,
                    sender_agency="mercy-hospital", sender_person="mercy-nurse-1",
                    destination=dest, type=TYPE, urgency="urgent", created_at=int(now),
                    expires_at=int(now) + 30 * 86400, submitted_at=submitted_at,
                    updated_at=now, header_hash="00" * 32, envelope_digest="00" * 32,
                    consent=consent, ack_due_at=submitted_at + 7200)


async def load(services, sender: Principal, count: int, due: int, seconds: float,
               workers_up: Callable[[], Awaitable[None]]) -> tuple[list[str], float]:
    """N open referrals straight into the store: first those due after the run, then (once
    ``workers_up`` returns) the ``due`` ones, whose first rungs fall due spread over
    ``seconds``. Returns those and when the first falls due."""
    stamps = {a: (await services.directory.routing_roster(a))[0] for a in RECEIVERS}
    now = time.time()
    planner = services.referrals._timers  # the same planner the submit path uses
    made = iter(range(10**9))

    async def one(at: float) -> str:
        rid = os.urandom(16).hex()
        dest = RECEIVERS[next(made) % len(RECEIVERS)]
        r = referral(rid, dest, at, now)
        deadlines, fields = planner.on_submit(r)
        await services.store.referrals.create(
            r, b"\0" * 512, HistoryEvent(at=now, actor="bench", action="submitted"), deadlines,
            services.auditor.event(None, "bench.load", referral=rid),
            token_id=sender.token_id, timer_fields=fields, roster=stamps[dest])
        return rid

    async def batches(times: list[float]) -> list[str]:
        made: list[str] = []
        for i in range(0, len(times), 64):
            made += await asyncio.gather(*(one(at) for at in times[i:i + 64]))
        return made

    await batches([now + 86400 + i for i in range(count - due)])
    await services.auditlog.seal()  # as a running worker's sealer would have, meanwhile
    await workers_up()
    start = time.time() + 2 + due / 1000
    return await batches([start + seconds * i / max(due, 1) for i in range(due)]), start


async def timer_only(services, count: int, seconds: float) -> list[float]:
    """The baseline: bare entries in a sorted set, claimed by the same Lua claim loop."""
    queue, start = f"{PREFIX}:baseline", time.time() + 1
    await services.store.redis.zadd(queue, {f"b{i}": start + seconds * i / count
                                            for i in range(count)})
    lateness: list[float] = []
    while len(lateness) < count and time.time() < start + seconds + 10:
        now = time.time()
        for _, due in await services.store.timers.claim(queue, now, 60, 500):
            lateness.append(now - due)
        await asyncio.sleep(await ticker_pause(services, queue))
    return lateness


async def ticker_pause(services, queue: str) -> float:
    """The ticker's sleep: until the soonest entry, at most its interval."""
    soonest = await services.store.timers.soonest((queue,))
    return INTERVAL if soonest is None else min(INTERVAL, max(soonest - time.time(), 0.0))


async def resolving(services, rounds: int) -> dict[str, float]:
    """What the engine does to learn whom a rung reaches, timed alone in this process:
    through a scheduled group (its live overrides read from Redis, the layers evaluated)
    and through a fixed group, ``rounds`` each, alternating."""
    from hub.escalation.recipients import people_to_notify

    times: dict[bool, list[float]] = {True: [], False: []}
    for i in range(rounds):
        for scheduled, agency in ((True, SCHEDULED[i % GROUPS]), (False, FIXED[i % GROUPS])):
            started = time.perf_counter()
            roster = await services.directory.verified_roster(agency)
            on_duty = await services.schedules.on_duty(agency, TYPE, time.time(), roster)
            people_to_notify(services.ccr, agency, TYPE, "point_person", roster, on_duty)
            times[scheduled].append(time.perf_counter() - started)
    return {"resolve_p50_ms": round(percentile(times[True], 50), 3),
            "resolve_p99_ms": round(percentile(times[True], 99), 3),
            "fixed_resolve_p50_ms": round(percentile(times[False], 50), 3),
            "fixed_resolve_p99_ms": round(percentile(times[False], 99), 3)}


async def install(world: World, services) -> None:
    """Register every root and publish every roster through the hub; a token for the
    sender only (the shelters' people never sign in here)."""
    for agency, root in world.roots.items():
        await services.directory.register_root(agency, root.public)
        admin = next(m for m in world.members.values()
                     if m.agency == agency and "agency_admin" in m.roles)
        await services.directory.publish(admin.principal(), agency,
                                         world.rosters[agency].to_json())
    nurse = world.members["mercy-nurse-1"]
    nurse.token = (await services.tokens.issue(nurse.person)).token


async def ready(services, count: int, within: float = 60.0) -> None:
    """Wait until the ticker and ``count`` workers have each completed a cycle."""
    deadline = time.time() + within
    while time.time() < deadline:
        beats = await services.store.engine.beats(time.time() - 5)
        if beats.ticker is not None and beats.workers >= count:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"the workers did not start within {within:.0f} s")


def start_workers(env: dict[str, str], count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-m", "hub.cli", "worker",
                              *([] if i == 0 else ["--no-ticker"])], env=env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True) for i in range(count)]


async def measure(services, firing: list[str], sink: Sink, start: float,
                  seconds: float) -> dict[str, object]:
    deadline = start + seconds + 30
    while time.time() < deadline and len(sink.arrivals) < len(firing):
        await asyncio.sleep(0.5)
    await asyncio.sleep(2)  # anything late or duplicated arrives now
    arrived: dict[str, list[float]] = {}
    for mid, at in sink.arrivals:
        arrived.setdefault(mid, []).append(at)
    scheduled = set(SCHEDULED)
    by_kind: dict[bool, list[str]] = {True: [], False: []}
    for rid in firing:
        by_kind[(await services.store.referrals.get(rid)).destination in scheduled].append(rid)
    figures = await latency(services, by_kind[True], arrived)
    fixed = await latency(services, by_kind[False], arrived)
    duplicates = sum(len(v) - 1 for v in arrived.values())
    return {"fired": figures.pop("fired") + fixed.pop("fired"),
            "missing": figures.pop("missing") + fixed.pop("missing"), "duplicates": duplicates,
            **figures, **{f"fixed_{k}": v for k, v in fixed.items()},
            "p99_vs_fixed": round(figures["p99_ms"] / max(fixed["p99_ms"], 0.1), 3)}


async def latency(services, firing: list[str], arrived: dict[str, list[float]]
                  ) -> dict[str, float]:
    """Deadline to SMTP acceptance of each referral's first notice, and to its commit."""
    latencies, committed, missing, fired = [], [], 0, 0
    for rid in firing:
        notices = await services.store.notices.of_referral(rid)
        fired += len(notices)
        times = [arrived[message_id(n.id)][0] for n in notices
                 if message_id(n.id) in arrived]
        if not times:
            missing += 1
            continue
        latencies.append(times[0] - notices[0].rung_due)
        committed.append(notices[0].created_at - notices[0].rung_due)
    return {"fired": fired, "missing": missing,
            "p50_ms": round(percentile(latencies, 50), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "max_ms": round(max(latencies, default=0) * 1000, 1),
            "committed_p50_ms": round(percentile(committed, 50), 1)}


async def run(args: argparse.Namespace) -> dict[str, object]:
    data = Path(tempfile.mkdtemp(prefix="bench-escalation-"))
    server = start_embedded(data, durable=True)
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    ccr = write_ccr(data / "ccr")
    settings = Settings(redis_url=server.connection_url, key_prefix=PREFIX, ccr_dir=ccr)
    services = build_services(settings)
    workers: list[subprocess.Popen] = []
    try:
        world = make_world(services.ccr, int(time.time()))
        await install(world, services)
        overrides = await add_live_changes(services, time.time())
        resolve = await resolving(services, 500 if args.quick else 3000)
        log(f"timer-only baseline: {args.due} entries over {args.seconds:.0f} s")
        baseline = await timer_only(services, args.due, args.seconds)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update(HUB_REDIS_URL=server.connection_url, HUB_KEY_PREFIX=PREFIX,
                   HUB_CCR_DIR=str(ccr),
                   HUB_SMTP_PORT=str(smtp.port), HUB_LOG_LEVEL="WARNING",
                   # every rung here notifies the same point person: measure each notice,
                   # not flood control's digest
                   HUB_NOTICE_LIMIT_PERSON="1000000", HUB_NOTICE_LIMIT_AGENCY="1000000")
        workers = start_workers(env, args.workers)
        log(f"loading {args.open} open referrals ({args.due} fall due in the run) while "
            f"{args.workers} workers start")
        nurse = world.members["mercy-nurse-1"].principal()
        firing, start = await load(services, nurse, args.open, args.due, args.seconds,
                                   partial(ready, services, args.workers))
        log(f"{args.workers} workers running; rungs fall due from {start - time.time():.1f} s")
        figures = await measure(services, firing, sink, start, args.seconds)
    finally:
        for proc in workers:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)
        smtp.stop()
        await services.close()
        server.stop()
    log(f"fired {figures['fired']}, p99 {figures['p99_ms']} ms")
    return {"open": args.open, "due": args.due, "groups": GROUPS, "people": GROUPS * PEOPLE,
            "live_overrides": overrides, **figures, **resolve,
            "baseline_timer_only_p50_ms": round(percentile(baseline, 50), 1),
            "baseline_timer_only_p99_ms": round(percentile(baseline, 99), 1),
            "workers": args.workers, "seconds": args.seconds,
            "targets": {"missing": 0, "duplicates": 0, "p99_ms": 500, "max_ms": 2000,
                        "p99_vs_fixed": 1.1},
            "durability": "appendonly yes, appendfsync always", "quick": args.quick}


def main(argv: list[str] | None = None) -> dict[str, object]:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a short run (under 45 s)")
    p.add_argument("--open", type=int, help="open referrals (default 100,000; quick 5,000)")
    p.add_argument("--due", type=int, help="how many fall due during the run")
    p.add_argument("--seconds", type=float, help="how long rungs keep falling due")
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args(argv)
    args.open = args.open or (5_000 if args.quick else 100_000)
    args.due = args.due or (200 if args.quick else 3_000)
    args.seconds = args.seconds or (8.0 if args.quick else 60.0)
    random.seed(1)
    result = asyncio.run(run(args))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

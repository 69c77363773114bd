"""The FHIR facade and the hospital's bridge: how fast an EHR's Task search is answered
over a Redis holding N referrals, and how long the bridge takes from an EHR's handoff
Bundle posted to its answer (sealed, submitted, the Task read back).

    python -m bench.fhir [--quick] [--referrals N] [--requests R] [--redis-url URL]

Loads N referrals (100,000; --quick 5,000) through the store as the dashboard bench does
(bench/dashboard.py Loader: open ones at every stage, and N/10 closed), starts `hub serve`,
and times R requests of each of:

- `task_search_p95_ms`: the shelter's point person polling its Tasks the IG's way,
  `Task?owner=Organization/harbor-house&status=requested,received,accepted,in-progress&_count=50`,
  its first page unfiltered, `Task?owner=...&_count=50`, and what changed in the last five
  minutes, `Task?owner=...&_lastUpdated=gt<5 minutes ago>&_count=50` (the largest p95 of
  the three is the figure; each is reported). Beside it, in the same run,
  `baseline_search_p95_ms`: a bare read of the same index, ZREVRANGE of its 50 newest and
  one HGETALL of each, from a client straight to Redis (no HTTP, no sight, no audit event,
  no FHIR).
- `bridge_submit_p95_ms`: a synthetic EHR's transaction Bundle (ServiceRequest, Patient,
  Consent, the safe-contact answers and a 20 kB C-CDA) posted to a bridge in this process,
  to its answer. Beside it, `baseline_submit_p95_ms`: the same device sealing the same
  handoff and submitting it straight to the JSON API (POST /v1/referrals) and uploading
  the attachment, without FHIR.

Redis: an embedded Valkey without persistence, or --redis-url (prefix `bench-fhir`,
deleted afterwards). Progress on stderr; one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from hub.bridge.app import create_bridge_app
from hub.bridge.core import Bridge
from hub.bridge.example import handoff_bundle
from hub.bridge.mapping import handoff
from hub.build import build_services
from hub.client.agent import Agent
from hub.client.api import HubApi
from hub.config import Settings
from hub.embedded import start_embedded
from hub.sandbox import install_world, make_world

from .dashboard import Loader, plan_closed, plan_open, routes
from .submit import free_port, log, start

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "bench-fhir"
TARGETS = {"task_search_p95_ms": 50.0, "bridge_submit_p95_ms": 100.0}
OWNER = "harbor-house"


def pct(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))], 2)


async def fill(services, n: int, now: float):
    world = make_world(services.ccr, int(now))
    await install_world(world, services)
    rand = random.Random(23)
    every = routes(services.ccr)
    plans = [plan_open(rand.choice(every), now, rand) for _ in range(n)]
    plans += [plan_closed(rand.choice(every), now, rand) for _ in range(n // 10)]
    loader = Loader(services, now)
    await loader.prepare(every, world)
    log(f"loading {n} open and {n // 10} closed referrals")
    started = time.perf_counter()
    await loader.load(plans)
    log(f"loaded in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    await services.tasks.prepare(now)  # what `hub serve` does once over older data
    log(f"change indexes filled from the referrals in {time.perf_counter() - started:.1f} s")
    return world


async def timed_get(session, url: str, token: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        started = time.perf_counter()
        async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as r:
            body = await r.read()
            assert r.status == 200, body[:300]
        out.append((time.perf_counter() - started) * 1000)
    return out


async def bare_index_read(services, count: int) -> list[float]:
    redis, keys = services.store.redis, services.store.keys
    out = []
    for _ in range(count):
        started = time.perf_counter()
        ids = await redis.zrevrange(keys.inbox(OWNER), 0, 49)
        async with redis.pipeline(transaction=False) as pipe:
            for rid in ids:
                pipe.hgetall(keys.referral(rid.decode()))
            await pipe.execute()
        out.append((time.perf_counter() - started) * 1000)
    return out


def bundle(now: float) -> dict:
    return handoff_bundle(now, document=b"<ClinicalDocument>" + b"x" * 20_000
                          + b"</ClinicalDocument>")


async def submits(base: str, world, count: int) -> tuple[list[float], list[float]]:
    me = world.members["mercy-ehr"]
    clock = time.time
    api = HubApi(base, me.token)
    agent = Agent(api, me.device, world.trust(int(clock())), clock=clock)
    bridge = Bridge(agent, clock)
    runner = web.AppRunner(create_bridge_app(bridge))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    via_bridge, direct = [], []
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(count):
                body = bundle(clock())
                started = time.perf_counter()
                async with session.post(f"http://127.0.0.1:{port}/fhir/R4", json=body) as r:
                    answer = await r.read()
                    assert r.status == 200, answer[:300]
                via_bridge.append((time.perf_counter() - started) * 1000)
                h = handoff(bundle(clock()), sender_person="mercy-ehr", now=int(clock()))
                started = time.perf_counter()
                await agent.send(h.destination, h.referral_type, h.content, h.consent,
                                 urgency=h.urgency, attachments=h.attachments)
                direct.append((time.perf_counter() - started) * 1000)
    finally:
        await runner.cleanup()
        await api.close()
    return via_bridge, direct


async def run(args: argparse.Namespace) -> dict[str, object]:
    data = Path(tempfile.mkdtemp(prefix="bench-fhir-"))
    server = None if args.redis_url else start_embedded(data / "valkey", durable=False)
    redis_url = args.redis_url or server.connection_url
    settings = Settings(redis_url=redis_url, key_prefix=PREFIX, data_dir=data,
                        ccr_dir=ROOT / "config" / "example", person_rate_limit=100_000)
    services = build_services(settings)
    proc = None
    try:
        world = await fill(services, args.referrals, time.time())
        port = free_port()
        env = {"HUB_REDIS_URL": redis_url, "HUB_KEY_PREFIX": PREFIX, "HUB_LOG_LEVEL": "WARNING",
               "HUB_CCR_DIR": str(ROOT / "config" / "example"), "HUB_DATA_DIR": str(data),
               "HUB_PERSON_RATE_LIMIT": "100000"}
        proc = start(["-m", "hub.cli", "serve", "--port", str(port)], env, port)
        base = f"http://127.0.0.1:{port}"
        token = world.first(OWNER, "point_person").token
        search = f"{base}/fhir/R4/Task?owner=Organization/{OWNER}&_count=50"
        polling = search + "&status=requested,received,accepted,in-progress"
        since = search + "&_lastUpdated=gt" + time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 300))
        async with aiohttp.ClientSession() as session:
            await timed_get(session, search, token, 5)  # warm up
            first_page = await timed_get(session, search, token, args.requests)
            open_page = await timed_get(session, polling, token, args.requests)
            since_page = await timed_get(session, since, token, args.requests)
        baseline = await bare_index_read(services, args.requests)
        via_bridge, direct = await submits(base, world, args.submits)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        await _cleanup(services.store.redis) if args.redis_url else None
        await services.close()
        if server is not None:
            server.stop()
        shutil.rmtree(data, ignore_errors=True)
    figures = {
        "task_search_p95_ms": max(pct(first_page, 95), pct(open_page, 95),
                                  pct(since_page, 95)),
        "search_first_page_p95_ms": pct(first_page, 95),
        "search_open_statuses_p95_ms": pct(open_page, 95),
        "search_changed_since_p95_ms": pct(since_page, 95),
        "baseline_search_p95_ms": pct(baseline, 95),
        "bridge_submit_p95_ms": pct(via_bridge, 95),
        "baseline_submit_p95_ms": pct(direct, 95),
        "bridge_submit_median_ms": round(statistics.median(via_bridge), 2)}
    return {"open": args.referrals, "closed": args.referrals // 10, **figures,
            "requests": args.requests, "targets": TARGETS,
            "met": {k: figures[k] <= v for k, v in TARGETS.items()},
            "baseline": "search: ZREVRANGE of the owner's 50 newest + HGETALL each, straight "
                        "to Redis; submit: the same handoff sealed by the same device and "
                        "submitted to the JSON API",
            "quick": args.quick}


async def _cleanup(redis: Redis) -> None:
    batch = [k async for k in redis.scan_iter(match=f"{PREFIX}:*", count=5000)]
    for i in range(0, len(batch), 5000):
        await redis.delete(*batch[i:i + 5000])


def main(argv: list[str] | None = None) -> dict[str, object]:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a short run (under 45 s)")
    p.add_argument("--referrals", type=int, help="open referrals (100,000; quick 5,000)")
    p.add_argument("--requests", type=int, help="searches timed per query (200; quick 60)")
    p.add_argument("--submits", type=int, help="handoffs through the bridge (100; quick 30)")
    p.add_argument("--redis-url", help="an existing Redis (default: an embedded one)")
    args = p.parse_args(argv)
    args.referrals = args.referrals or (5_000 if args.quick else 100_000)
    args.requests = args.requests or (60 if args.quick else 200)
    args.submits = args.submits or (30 if args.quick else 100)
    result = asyncio.run(run(args))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

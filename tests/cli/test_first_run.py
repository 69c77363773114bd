"""`make run`'s start-up path on its own data directory with the embedded server: the hub
answers /healthz, a worker is registered, the demo people are ready, `hub demo` plays the
story against it, and Ctrl-C stops everything it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from redis import Redis
from rq import Worker

from .conftest import ROOT, free_port, wait_healthy


def test_hub_run_starts_everything_and_the_demo_plays(tmp_path: Path) -> None:
    port, smtp = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_PORT=str(port), HUB_SMTP_PORT=str(smtp), HUB_DATA_DIR=str(tmp_path / "var"),
               HUB_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", HUB_LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "run"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=(tmp_path / "hub-run.log").open("w"),
                            text=True)  # the log to a file: a full pipe would stall the hub
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, seconds=40)
        lines = []
        while not lines or not lines[-1].startswith("Try: make demo"):
            lines.append(proc.stdout.readline().rstrip("\n"))
        banner = "\n".join(lines)
        assert "harbor-intake" in banner and re.search(r"ccr_[0-9a-f]{16}_", banner)
        tokens = tmp_path / "var" / "demo-tokens.txt"
        assert oct(tokens.stat().st_mode & 0o777) == "0o600"
        redis_url = re.search(r"Redis: (redis://\S+)\)", banner).group(1)
        with Redis.from_url(redis_url) as client:
            for _ in range(100):
                if Worker.all(connection=client):
                    break
                subprocess.run(["sleep", "0.1"])
            assert len(Worker.all(connection=client)) == 1
            assert client.config_get("appendfsync")["appendfsync"] == "always"

        demo = subprocess.run([sys.executable, "-m", "hub.cli", "demo"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert demo.returncode == 0, demo.stderr
        assert "opens the reply" in demo.stdout and "metadata only" in demo.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
    assert proc.returncode == 0

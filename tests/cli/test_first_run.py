"""`make run`'s start-up path on its own data directory with the embedded server: the hub
answers /healthz on the port it was given and says so (the banner, and every demo home's
hub.json), its embedded Valkey listens where HUB_EMBEDDED_REDIS_PORT says, a worker is
registered, the banner's example command runs from here, `hub demo` plays the story against
it with every time in the receiving agency's zone, and Ctrl-C stops everything it started."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from redis import Redis
from rq import Worker

from hub.cli.server import hub_command

from .conftest import ROOT, free_port, wait_healthy


def banner_of(proc: subprocess.Popen) -> str:
    lines: list[str] = []
    while not lines or not lines[-1].startswith("Try: make demo"):
        lines.append(proc.stdout.readline().rstrip("\n"))
    return "\n".join(lines)


def test_hub_run_starts_everything_and_the_demo_plays(tmp_path: Path) -> None:
    port, smtp, valkey = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_PORT=str(port), HUB_SMTP_PORT=str(smtp), HUB_DATA_DIR=str(tmp_path / "var"),
               HUB_EMBEDDED_REDIS_PORT=str(valkey), HUB_LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "run"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=(tmp_path / "hub-run.log").open("w"),
                            text=True)  # the log to a file: a full pipe would stall the hub
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, seconds=40)
        banner = banner_of(proc)
        assert f"running at http://127.0.0.1:{port} " in banner and ":8080" not in banner
        assert "harbor-intake" in banner and re.search(r"ccr_[0-9a-f]{16}_", banner)
        assert f"mail in {tmp_path / 'var' / 'mail'}/ (SMTP on 127.0.0.1:{smtp})" in banner
        assert f"texts (SMS) in {tmp_path / 'var' / 'sms'}/" in banner
        tokens = tmp_path / "var" / "demo-tokens.txt"
        assert oct(tokens.stat().st_mode & 0o777) == "0o600"
        homes = sorted((tmp_path / "var" / "demo" / "homes").iterdir())
        assert homes and {json.loads((h / "hub.json").read_text())["url"] for h in homes} == \
            {f"http://127.0.0.1:{port}"}
        example = re.search(r"ready 'hub' home: (HUB_HOME=\S+ .+)$", banner, re.MULTILINE)
        tried = subprocess.run(["bash", "-c", example.group(1)], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=60)
        assert tried.returncode == 0, (example.group(1), tried.stderr)
        redis_url = re.search(r"Redis: (redis://\S+)\)", banner).group(1)
        assert f":{valkey}" in redis_url
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
        due = re.search(r"acknowledgement due (.+)$", demo.stdout, re.MULTILINE).group(1)
        assert re.fullmatch(r"\w{3} \d\d \w{3} \d{4} \d\d:\d\d (CST|CDT)", due), due
        assert "UTC" not in demo.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
    assert proc.returncode == 0


def test_the_banner_command_is_one_that_runs_from_here(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # a fresh clone: the venv is not activated
    command = hub_command()
    assert command != "hub" and command.endswith("/hub")
    assert subprocess.run([*shlex.split(command), "--help"], cwd=ROOT, capture_output=True,
                          timeout=60).returncode == 0
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin")
    assert hub_command() == "hub"

"""The README, word for word: its walk-through runs as written against `hub run` (make
run's start-up path), and every `hub` command it shows is one the command line accepts."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hub.cli.commands import parser

from .conftest import ROOT, free_port, wait_healthy

README = (ROOT / "README.md").read_text()


def blocks(section: str) -> list[str]:
    start = README.index(f"## {section}")
    end = README.index("\n## ", start + 1)
    return re.findall(r"```sh\n(.*?)```", README[start:end], re.DOTALL)


def hub_lines() -> list[str]:
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.DOTALL):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if re.match(r"^(\.venv/bin/)?hub ", line):
                lines.append(line)
    return lines


@pytest.mark.parametrize("line", hub_lines())
def test_every_hub_command_in_the_readme_parses(line: str) -> None:
    words = [w.replace("REFERRAL_ID", "0" * 32).replace("PUBLIC_KEY", "x")
             for w in shlex.split(line)[1:]]
    parser().parse_args(words)  # exits (fails the test) on a command the CLI does not know


def test_the_walk_through_runs_as_written(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parents[1])
    (tmp_path / "config").symlink_to(ROOT / "config")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_PORT=str(port), HUB_SMTP_PORT=str(free_port()),
               HUB_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", HUB_LOG_LEVEL="WARNING")
    log = tmp_path / "hub-run.log"  # a file, not a pipe nobody reads while it runs
    hub = subprocess.Popen([sys.executable, "-m", "hub.cli", "run"], cwd=tmp_path, env=env,
                           stdout=subprocess.DEVNULL, stderr=log.open("w"),
                           start_new_session=True)
    nurse, point, back = blocks("One referral, from both sides")

    def sh(script: str) -> str:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (script, done.stderr, log.read_text()[-2000:])
        assert "Traceback" not in done.stderr
        return done.stdout

    try:
        wait_healthy(f"http://127.0.0.1:{port}", hub, seconds=40)
        assert "sent:" in sh(nurse)
        outbox = sh("HUB_HOME=var/demo/homes/mercy-nurse-1 .venv/bin/hub outbox --json")
        rid = json.loads(outbox)[0]["id"]
        seen = sh(point.replace("REFERRAL_ID", rid))
        assert seen.index("Do NOT leave a voicemail") < seen.index("Survivor: Jane Example")
        assert "accepted" in seen
        followed = sh(back.replace("REFERRAL_ID", rid))
        assert "accepted" in followed and "Bed held until 9pm" in followed
    finally:
        os.killpg(hub.pid, signal.SIGINT)
        hub.wait(20)

"""In production the hub signs its audit checkpoints with its own key: `hub serve` and
`hub worker` refuse to start without HUB_HUB_SIGNING_KEY_FILE, saying how to make one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.parametrize("command", [("serve",), ("worker", "--burst")])
def test_production_refuses_to_start_without_the_signing_key(redis_url: str,
                                                             command: tuple[str, ...]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_REDIS_URL=redis_url, HUB_MODE="production", HUB_KEY_PREFIX="no-key-test")
    done = subprocess.run([sys.executable, "-m", "hub.cli", *command], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "HUB_HUB_SIGNING_KEY_FILE" in done.stderr and "Traceback" not in done.stderr

"""Driving a server with wrk (Debian's `wrk`, a C load generator) instead of Python: the
load generator then takes little of the machine's CPU from the servers it measures. Each
request posts the next of a list of bodies; wrk reports the rate and the latency
percentiles, and how many answers were not 2xx."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SCRIPT = r"""
local bodies, i, headers = {}, 0, {}
for line in io.lines(os.getenv("WRK_BODIES")) do bodies[#bodies + 1] = line end
for line in string.gmatch(os.getenv("WRK_HEADERS"), "[^\n]+") do
  local k, v = line:match("^(.-):%s*(.*)$")
  headers[k] = v
end
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", nil, headers, bodies[i])
end
done = function(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "bad": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration / 1e6, bad, latency:percentile(50),
    latency:percentile(99)))
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


def drive(url: str, bodies: list[bytes], headers: dict[str, str], clients: int,
          seconds: float) -> tuple[float, float, float]:
    """Requests per second, p50 and p99 in milliseconds, with ``clients`` connections."""
    with tempfile.TemporaryDirectory() as tmp:
        lines = Path(tmp) / "bodies"
        lines.write_bytes(b"\n".join(bodies) + b"\n")
        script = Path(tmp) / "post.lua"
        script.write_text(SCRIPT)
        env = {**os.environ, "WRK_BODIES": str(lines),
               "WRK_HEADERS": "\n".join(f"{k}: {v}" for k, v in headers.items())}
        run = subprocess.run(["wrk", "-t1", f"-c{clients}", f"-d{seconds:.0f}s", "-s",
                              str(script), url], capture_output=True, text=True, env=env)
    last = run.stdout.strip().splitlines()[-1:] or [""]
    if run.returncode or not last[0].startswith("{"):
        raise RuntimeError(f"wrk failed: {run.stdout[-500:]} {run.stderr[-500:]}")
    result = json.loads(last[0])
    if result["bad"]:
        raise RuntimeError(f"{url}: {result['bad']} requests failed")
    return (result["requests"] / result["seconds"], result["p50_us"] / 1000,
            result["p99_us"] / 1000)

"""Every benchmark in one report: runs each `bench/` script (each prints its figures as one
JSON object on its last line, beside a baseline measured in the same run), then writes
`bench/results.json` (every figure, its baseline and its target) and `bench/results.md`
(a table: bench, figure, value, baseline, target, met?).

    python -m bench.report            # full runs (many minutes)
    python -m bench.report --quick    # each script's --quick run (a few minutes in all)
    python -m bench.report --only crypto --only submit
    python -m bench.report --render   # the table again from bench/results.json, no runs

A script is any module in bench/ with a `main` function (helpers such as
`baseline_server` have none). The targets are the table below. A script that fails is
reported, and the command then exits 1; a missed target is only reported.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from hub.clock import SystemClock, iso

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# bench -> figure -> (comparison, target): from the issues that set each target
TARGETS: dict[str, dict[str, tuple[str, float]]] = {
    "crypto": {"seal_ms": ("<=", 0.25), "open_ms": ("<=", 0.30),
               "attachment_mb_s": (">=", 300), "grant_1000_s": ("<=", 2.0),
               "grant_vs_baseline": ("<=", 1.5)},
    "submit": {"ratio": (">=", 0.5), "p99_ms": ("<=", 30)},
    "escalation": {"missing": ("<=", 0), "duplicates": ("<=", 0), "p99_ms": ("<=", 500),
                   "max_ms": ("<=", 2000), "p99_vs_fixed": ("<=", 1.1)},
    "dashboard": {"queue_ms_p95": ("<=", 100), "figures_ms_p95": ("<=", 300)},
    "failover": {"lost": ("<=", 0), "duplicates": ("<=", 0), "unavailable_s": ("<=", 10)},
    "fhir": {"task_search_p95_ms": ("<=", 50), "bridge_submit_p95_ms": ("<=", 100)},
}
# A figure's baseline is `baseline_<figure>` in the same output, or `baseline_<the rest>`
# after a `hub_` or page-name prefix (`queue_ms_p95` -> `baseline_ms_p95`), unless named here.
BASELINES = {("escalation", "p50_ms"): "baseline_timer_only_p50_ms",
             ("escalation", "p99_ms"): "baseline_timer_only_p99_ms",
             ("escalation", "resolve_p50_ms"): "fixed_resolve_p50_ms",
             ("escalation", "resolve_p99_ms"): "fixed_resolve_p99_ms",
             ("fhir", "task_search_p95_ms"): "baseline_search_p95_ms",
             ("fhir", "search_first_page_p95_ms"): "baseline_search_p95_ms",
             ("fhir", "search_open_statuses_p95_ms"): "baseline_search_p95_ms",
             ("fhir", "search_changed_since_p95_ms"): "baseline_search_p95_ms"}
# What a run was asked to do rather than what it measured: shown once per bench.
PARAMETERS = {"quick", "open", "due", "workers", "seconds", "clients", "requests",
              "audit_sealer", "durability", "hub_processes", "closed", "owed_past",
              "owed_24h", "owed_later", "rounds", "round_seconds", "round_ratios", "driver",
              "forked_processes", "forked_round_ratios", "paced_rate", "load_seconds", "load_rate",
              "replicas", "extrapolated_to", "envelope_bytes", "groups", "people",
              "live_overrides"}
COMPARE = {"<=": lambda value, target: value <= target,
           ">=": lambda value, target: value >= target}


@dataclass(frozen=True)
class Row:
    bench: str
    figure: str
    value: float | None  # None: the script did not report it
    baseline: float | None
    baseline_name: str | None
    target: str | None  # "<= 0.25"
    met: bool | None  # None: no target


def discover(directory: Path = HERE) -> list[str]:
    """The benchmark scripts: modules with a top-level `main`, this report excepted."""
    names = []
    for path in sorted(directory.glob("*.py")):
        if path.stem.startswith("_") or path.stem == "report":
            continue
        tree = ast.parse(path.read_text(), str(path))
        if any(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "main"
               for node in tree.body):
            names.append(path.stem)
    return names


def _is_figure(name: str, value: object) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and name not in PARAMETERS and not name.startswith("baseline_"))


def _baseline(bench: str, figure: str, output: Mapping[str, object]) -> str | None:
    named = BASELINES.get((bench, figure))
    candidates = [named] if named else [f"baseline_{figure}",
                                        f"baseline_{figure.partition('_')[2]}"]
    return next((c for c in candidates if isinstance(output.get(c), int | float)), None)


def _row(bench: str, figure: str, output: Mapping[str, object]) -> Row:
    value = output.get(figure)
    value = value if _is_figure(figure, value) else None
    base = _baseline(bench, figure, output)
    target = TARGETS.get(bench, {}).get(figure)
    met = None
    if target is not None:
        met = value is not None and COMPARE[target[0]](value, target[1])
    return Row(bench, figure, value, output.get(base) if base else None, base,
               f"{target[0]} {target[1]:g}" if target else None, met)


def build_rows(outputs: Mapping[str, Mapping[str, object]],
               targets: Mapping[str, Mapping[str, tuple[str, float]]] = TARGETS) -> list[Row]:
    """Every figure of every bench's output with its baseline and target, in the output's
    order; a target whose figure is missing (or whose bench failed) is a row that is not
    met."""
    rows = []
    for bench, output in outputs.items():
        figures = [k for k, v in output.items() if _is_figure(k, v)]
        figures += [f for f in targets.get(bench, {}) if f not in figures]
        rows += [_row(bench, figure, output) for figure in figures]
    return rows


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _met(row: Row) -> str:
    if row.met is None:
        return ""
    if row.value is None:
        return "**missing**"
    return "yes" if row.met else "**no**"


def render_markdown(rows: Sequence[Row], runs: Mapping[str, Mapping[str, object]],
                    heading: str) -> str:
    """The table, then one line per bench: how it was run, or why it failed."""
    lines = [heading, "", "| bench | figure | value | baseline | target | met? |",
             "|---|---|---:|---:|---|---|"]
    for row in rows:
        baseline = _number(row.baseline)
        if row.baseline_name and row.baseline_name != f"baseline_{row.figure}":
            baseline += f" (`{row.baseline_name}`)"  # when its name does not say whose
        lines.append(f"| {row.bench} | `{row.figure}` | {_number(row.value)} | {baseline} | "
                     f"{row.target or ''} | {_met(row)} |")
    lines.append("")
    for bench, run in runs.items():
        if run.get("error"):
            lines.append(f"- **{bench}** failed: {run['error']}")
            continue
        output = run.get("output", {})
        params = ", ".join(f"{k} {output[k]}" for k in output if k in PARAMETERS)
        lines.append(f"- {bench}: `{run['command']}`, {run['seconds']:.0f} s"
                     + (f"; {params}" if params else ""))
    return "\n".join(lines) + "\n"


def run_one(name: str, flags: Sequence[str], timeout: float) -> dict[str, object]:
    """Run `python -m bench.NAME FLAGS`, its progress passed through to stderr; its last
    stdout line is its JSON."""
    command = [sys.executable, "-m", f"bench.{name}", *flags]
    shown = " ".join(["python", "-m", f"bench.{name}", *flags])
    started = time.perf_counter()
    print(f"== {shown}", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    except subprocess.TimeoutExpired:
        return {"command": shown, "seconds": timeout, "error": f"timed out after {timeout} s"}
    seconds = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    try:
        output = json.loads(lines[-1]) if done.returncode == 0 and lines else None
    except json.JSONDecodeError:
        output = None
    if not isinstance(output, dict):
        return {"command": shown, "seconds": seconds,
                "error": f"exit {done.returncode}, no JSON object on its last line"}
    return {"command": shown, "seconds": seconds, "output": output}


def write(runs: Mapping[str, dict], quick: bool, directory: Path = HERE,
          when: str | None = None) -> list[Row]:
    outputs = {name: run.get("output", {}) for name, run in runs.items()}
    rows = build_rows(outputs)
    when = when or iso(SystemClock().now())
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    doc = {"generated_at": when, "quick": quick, "machine": machine,
           "targets": {b: {f: list(t) for f, t in ts.items()} for b, ts in TARGETS.items()},
           "rows": [asdict(r) for r in rows], "runs": runs}
    (directory / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
    heading = (f"Benchmarks, {when}{' (--quick)' if quick else ''}, on {machine}. "
               "Each baseline is measured in the same run.")
    (directory / "results.md").write_text(render_markdown(rows, runs, heading))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="each script's short run")
    parser.add_argument("--only", action="append", metavar="NAME", help="just these benches")
    parser.add_argument("--render", action="store_true",
                        help="run nothing: rebuild results.md (and the rows) from results.json")
    args = parser.parse_args(argv)
    if args.render:
        last = json.loads((HERE / "results.json").read_text())
        runs, quick, when = last["runs"], last["quick"], last["generated_at"]
    else:
        names = [n for n in discover() if not args.only or n in args.only]
        flags = ["--quick"] if args.quick else []
        runs = {name: run_one(name, flags, 900 if args.quick else 3600) for name in names}
        quick, when = args.quick, None
    write(runs, quick, when=when)
    print((HERE / "results.md").read_text())
    return 1 if any("error" in run for run in runs.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

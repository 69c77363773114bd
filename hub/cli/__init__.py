"""The `hub` command: running the hub, agency administration, device keys and trust, and
the daily work. Every failure is one line saying what to do (or, with --json, one JSON
object) and an exit code of its kind (problems.py, docs/cli.md); never a traceback."""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Sequence

from .commands import parser
from .failures import problem_of
from .problems import EXIT_INTERRUPTED, EXIT_OK, Problem


def _report(problem: Problem, as_json: bool) -> None:
    if as_json:
        doc = {"error": {"code": problem.kind, "message": problem.message,
                         "exit": problem.code}}
        print(json.dumps(doc, indent=2, sort_keys=True), flush=True)
    else:
        print(f"hub: {problem.message}", file=sys.stderr, flush=True)


def _quiet_stdout() -> None:
    """The reader went away (`hub outbox | head -3`): what is left has nowhere to go, and
    the interpreter's last flush must not complain about it either."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    try:
        args = parser().parse_args(argv)
        return args.fn(args)
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:
        problem = problem_of(error)
        if os.environ.get("HUB_DEBUG"):
            traceback.print_exc()
    try:
        _report(problem, as_json)
    except BrokenPipeError:
        _quiet_stdout()
    return problem.code

"""Output for people (aligned tables, plain sentences, times in the receiving agency's
zone with the zone named) and for scripts (--json: the same facts as JSON)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from pydantic import BaseModel

from hub.display import local_time

from .problems import EXIT_DECLINED, Problem


def when(epoch: float | None, zone: str) -> str:
    """A time as the receiving agency's wall clock reads it, the zone named."""
    return "-" if not epoch else local_time(epoch, zone, year=False)


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
             for row in (headers, *rows)]
    return "\n".join(lines)


def _plain(data: object) -> object:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list):
        return [_plain(d) for d in data]
    return data


def emit(as_json: bool, data: object, text: str) -> None:
    """Print ``data`` as JSON for scripts, or ``text`` for people."""
    if as_json:
        print(json.dumps(_plain(data), indent=2, sort_keys=True))
    else:
        print(text)


def say(message: str) -> None:
    """Progress and hints go to stderr so stdout stays clean for --json."""
    print(message, file=sys.stderr, flush=True)


def confirm(question: str, *, yes: bool) -> None:
    """Ask ``question`` (y/N) on stderr, reading the answer from stdin; anything but yes
    stops the command with EXIT_DECLINED and nothing changed. ``yes`` (--yes) skips it."""
    if yes:
        return
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    if answer.strip().lower() not in ("y", "yes"):
        where = "" if answer else " (no answer: add --yes to do it without asking)"
        raise Problem(f"nothing was changed{where}", EXIT_DECLINED)

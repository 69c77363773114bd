"""Output for people (aligned tables, plain sentences) and for scripts (--json)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel


def when(epoch: float | None) -> str:
    if not epoch:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
             for row in (headers, *rows)]
    return "\n".join(lines)


def emit(as_json: bool, data: object, text: str) -> None:
    """Print ``data`` as JSON for scripts, or ``text`` for people."""
    if as_json:
        if isinstance(data, BaseModel):
            data = data.model_dump(mode="json")
        elif isinstance(data, list):
            data = [d.model_dump(mode="json") if isinstance(d, BaseModel) else d for d in data]
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        print(text)


def say(message: str) -> None:
    """Progress and hints go to stderr so stdout stays clean for --json."""
    print(message, file=sys.stderr, flush=True)

"""The command line's value types: each says what was wrong with a value in words, and
argparse turns that into a usage error (exit 2) before anything is read or sent."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import date

from hub.display import STATUS_NAMES

REFERRAL_ID = re.compile(r"^[0-9a-f]{32}$")


def referral_id(text: str) -> str:
    value = text.strip().lower()
    if not REFERRAL_ID.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a referral id: it is 32 hex digits, as 'hub inbox' and 'hub "
            "outbox' show it")
    return value


def whole(low: int, high: int, what: str) -> Callable[[str], int]:
    """A whole number from ``low`` to ``high``, named ``what`` in the message."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"'{text}' is not {what}: give a whole number "
                                             f"from {low} to {high}")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def meeting_day(text: str) -> date:
    """A day written YYYY-MM-DD."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a day: write it YYYY-MM-DD, e.g. "
                                         "2026-12-08") from None


def some_text(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("the text is empty: write what the other agency "
                                         "should read")
    return text


STATUS_CODES = {**{code: code for code in STATUS_NAMES},
                **{name: code for code, name in STATUS_NAMES.items()}}


def status(text: str) -> str:
    """A status by its code (received) or its name (acknowledged)."""
    code = STATUS_CODES.get(text.strip().lower())
    if code is None:
        known = ", ".join(f"{c} ({n})" if c != n else c for c, n in STATUS_NAMES.items())
        raise argparse.ArgumentTypeError(f"unknown status '{text}'; one of {known}")
    return str(code)


def one_of(values: tuple[str, ...], what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in values:
            raise argparse.ArgumentTypeError(f"unknown {what} '{text}'; one of "
                                             f"{', '.join(values)}")
        return text

    parse.__name__ = what
    return parse

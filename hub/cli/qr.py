"""A pin bundle as a QR code, for an admin to hand over from a screen or on paper instead of
as a file: the code holds the bundle file's bytes exactly, so what a colleague scans is
what 'hub trust import' (or the device page) checks against the one fingerprint."""

from __future__ import annotations

import io
from pathlib import Path

import segno

from .problems import Problem

BORDER = 4  # the quiet zone the standard asks for, in modules


def _code(data: bytes) -> segno.QRCode:
    try:
        return segno.make_qr(data, error="L", boost_error=True)
    except segno.DataOverflowError:
        raise Problem(f"the bundle ({len(data)} bytes) is too large for one QR code; hand "
                      "over the file instead") from None


def terminal_art(data: bytes) -> str:
    """The code in half blocks, two rows of modules a line, light modules drawn (for the
    usual dark terminal: on a light one the code shows inverted, which most scanners read
    too; --qr-png makes one for paper)."""
    out = io.StringIO()
    _code(data).terminal(out=out, compact=True, border=BORDER)
    return out.getvalue()


def save_png(data: bytes, path: Path) -> None:
    """The code as a PNG, dark on light, 8 pixels a module."""
    _code(data).save(str(path), kind="png", scale=8, border=BORDER)

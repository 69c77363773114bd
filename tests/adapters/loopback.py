"""Small shared helpers for the notification-adapter tests: a free loopback port and a
notice builder with realistic, content-free text."""

from __future__ import annotations

import socket

from hub.adapters.base import Notice

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def make_notice(key: str = "ref-1:g1:s0:r0:alice:email", *, to: str = "alice@example.org",
                text: str = "CCR Hub: referencia 0a1b2c3d requiere acción.",
                html: str | None = "<p>CCR Hub: referencia <b>0a1b2c3d</b> requiere acción.</p>",
                ) -> Notice:
    return Notice(key=key, to=to, subject="CCR Hub: referencia 0a1b2c3d requiere acción",
                  text=text, html=html)

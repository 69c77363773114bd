"""Development only: a local SMTP server that keeps every message as a file under
var/mail/, so notices can be read without sending anything anywhere."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


class _Keep:
    def __init__(self, directory: Path):
        self.directory = directory

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}.eml"
        (self.directory / name).write_bytes(envelope.original_content or b"")
        return "250 kept"


def start_mail_sink(directory: Path, port: int) -> Controller:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-connection chatter
    controller = Controller(_Keep(directory), hostname="127.0.0.1", port=port)
    controller.start()
    return controller

"""`hub serve --with-worker` (dev mode): one process serves the API and runs the deadline
ticker and the jobs, so a referral's first notice reaches the point person's mailbox."""

from __future__ import annotations

import asyncio
import email
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aiohttp
from aiosmtpd.controller import Controller

from hub.build import build_services
from hub.config import Settings
from hub.sandbox import install_world, make_world

from .conftest import ROOT, free_port, wait_healthy

EXAMPLE = ROOT / "config" / "example"


class Inbox:
    def __init__(self) -> None:
        self.to: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.to.append(email.message_from_bytes(envelope.original_content)["To"])
        return "250 OK"


async def prepared_world(redis_url: str, prefix: str):
    services = build_services(Settings(redis_url=redis_url, key_prefix=prefix,
                                       ccr_dir=EXAMPLE))
    world = make_world(services.ccr, int(time.time()))
    await install_world(world, services)
    await services.close()
    return world


async def test_a_dev_server_with_its_worker_notifies_the_point_person(redis_url: str,
                                                                     tmp_path: Path) -> None:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    prefix, port = f"cli-{uuid.uuid4().hex[:10]}", free_port()
    world = await prepared_world(redis_url, prefix)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_REDIS_URL=redis_url, HUB_KEY_PREFIX=prefix, HUB_PORT=str(port),
               HUB_CCR_DIR=str(EXAMPLE), HUB_SMTP_PORT=str(smtp.port), HUB_LOG_LEVEL="WARNING",
               HUB_DATA_DIR=str(tmp_path / "var"))
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "serve", "--with-worker"],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=log.open("w"))
    url = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(wait_healthy, url, proc)
        nurse = world.first("mercy-hospital", "sender")
        sealed = world.seal_referral(nurse, "harbor-house", "discharge-handoff", b"{}")
        async with aiohttp.ClientSession() as http:
            r = await http.post(f"{url}/v1/referrals", headers=nurse.auth, json=world.submit_body(
                sealed, "harbor-house", "discharge-handoff"))
            assert r.status == 201, await r.text()
        for _ in range(300):  # seconds, not tenths, under a busy test run's load
            if inbox.to:
                break
            await asyncio.sleep(0.1)
        assert inbox.to == ["intake@harbor.example.org"], log.read_text()[-3000:]
    finally:
        proc.terminate()
        assert proc.wait(15) is not None  # the worker's threads stop with the server
        smtp.stop()


def test_the_in_process_worker_is_refused_in_production(redis_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_REDIS_URL=redis_url, HUB_MODE="production")
    done = subprocess.run([sys.executable, "-m", "hub.cli", "serve", "--with-worker"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "in production run 'hub worker'" in done.stderr
    assert "Traceback" not in done.stderr

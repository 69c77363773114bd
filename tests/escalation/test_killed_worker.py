"""A real `hub worker` killed with SIGKILL in the middle of delivering a notice: another
worker re-fires the step once the lease runs out, and the notice arrives exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

from aiosmtpd.controller import Controller

from hub.build import build_services
from hub.config import Settings
from hub.models import Consent
from hub.sandbox import install_world, make_world

from ..cli.conftest import ROOT
from ..conftest import EXAMPLE
from .conftest import free_port


class StallingMailbox:
    """Hangs on the first message (the worker is killed meanwhile), accepts the rest."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.messages: list[bytes] = []
        self.stall = True

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.stall:
            self.stall = False
            self.entered.set()
            await asyncio.sleep(30)
            return "451 too late"
        self.messages.append(envelope.original_content)
        return "250 OK"


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


async def test_a_killed_worker_step_is_re_fired_and_delivered_once(redis_url: str) -> None:
    prefix = f"kill-{uuid.uuid4().hex[:8]}"
    mailbox = StallingMailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    settings = Settings(redis_url=redis_url, key_prefix=prefix, ccr_dir=EXAMPLE)
    services = build_services(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_REDIS_URL=redis_url, HUB_KEY_PREFIX=prefix, HUB_CCR_DIR=str(EXAMPLE),
               HUB_SMTP_PORT=str(smtp.port), HUB_TIMER_LEASE="3", HUB_LOG_LEVEL="WARNING")
    workers = []
    try:
        world = make_world(services.ccr, int(time.time()))
        await install_world(world, services)
        nurse = world.first("mercy-hospital", "sender")
        sealed = world.seal_referral(nurse, "harbor-house", "discharge-handoff", b"{}")
        seen, _ = await services.referrals.submit(
            nurse.principal(), sealed.envelope,
            Consent.model_validate(world.consent("harbor-house", "discharge-handoff")))
        referral = seen.referral
        workers.append(start_worker(env))
        assert await asyncio.to_thread(mailbox.entered.wait, 30), "no delivery began"
        os.killpg(workers[0].pid, signal.SIGKILL)  # the worker and its work horse
        workers[0].wait(10)
        workers.append(start_worker(env))
        for _ in range(200):
            if mailbox.messages:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(4)  # past another lease: nothing more arrives
        assert len(mailbox.messages) == 1
        (notice,) = await services.store.notices.of_referral(referral.id)
        assert notice.status == "sent"
    finally:
        for proc in workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(10)
        smtp.stop()
        keys = [k async for k in services.store.redis.scan_iter(match=f"{prefix}:*")]
        keys += [k async for k in services.store.redis.scan_iter(match=f"rq:*{prefix}*")]
        if keys:
            await services.store.redis.delete(*keys)
        await services.close()

"""Quiet hours, per policy: routine notices wait for the person's morning and urgent and
emergent ones go at once, unless a policy says otherwise (``quiet_hours = "hold"`` holds
even an emergent one, "override" sends even a routine one)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from hub.build import build_services
from hub.config import Settings
from hub.crypto import Urgency
from hub.sandbox import install_world, make_world
from hub.web.app import create_app
from tests.conftest import EXAMPLE, Hub
from tests.web.pages.support import Escalation, Outbox

from .test_ladder import CHICAGO, DEST, INTAKE, TYPE

BASE = "https://hub.example.org"
LATE_EVENING = datetime(2027, 1, 19, 23, 0, tzinfo=CHICAGO).timestamp()  # a Tuesday


def ccr_with(tmp_path: Path, urgency: str, switch: str) -> Path:
    directory = tmp_path / "ccr"
    shutil.copytree(EXAMPLE, directory)
    policies = directory / "policies.toml"
    old = f'type = "discharge-handoff"\nurgency = "{urgency}"\n'
    text = policies.read_text()
    assert old in text
    policies.write_text(text.replace(old, f'{old}quiet_hours = "{switch}"\n', 1))
    return directory


async def first_notice(tmp_path, aiohttp_client, store, clock, redis_url, urgency: str,
                       switch: str | None) -> tuple[list, list]:
    ccr_dir = ccr_with(tmp_path, urgency, switch) if switch else EXAMPLE
    settings = Settings(redis_url=redis_url, ccr_dir=ccr_dir, public_base_url=BASE)
    clock.set(LATE_EVENING)
    services = build_services(settings, store=store, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    hub = Hub(await aiohttp_client(create_app(settings, services)), services, world, store,
              clock)
    email, sms = Outbox("email"), Outbox("sms")
    escalation = Escalation(hub, services.engine({"email": email, "sms": sms}, BASE), email,
                            sms)
    nurse = world.first("mercy-hospital", "sender")
    sealed = world.seal_referral(nurse, DEST, TYPE, b"{}", now=int(LATE_EVENING),
                                 urgency=Urgency[urgency.upper()])
    body = {**world.submit_body(sealed, DEST, TYPE),
            "consent": {**world.consent(DEST, TYPE), "given_at": int(LATE_EVENING) - 60,
                        "expires_at": int(LATE_EVENING) + 30 * 86400}}
    r = await hub.client.post("/v1/referrals", json=body, headers=nurse.auth)
    assert r.status == 201, await r.text()
    await escalation.run_due()
    return [n.to for n in email.sent], await store.notices.of_referral((await r.json())["id"])


@pytest.mark.parametrize(("urgency", "switch", "sent_at_once"), [
    ("routine", None, False), ("emergent", None, True), ("urgent", None, True),
    ("emergent", "hold", False), ("routine", "override", True)])
async def test_a_policy_decides_whether_quiet_hours_hold_its_notices(
        tmp_path, aiohttp_client, store, clock, redis_url, urgency, switch,
        sent_at_once) -> None:
    sent, notices = await first_notice(tmp_path, aiohttp_client, store, clock, redis_url,
                                       urgency, switch)
    assert sent == ([INTAKE] if sent_at_once else [])  # her quiet hours run to 07:00
    assert [n.status for n in notices] == ["sent" if sent_at_once else "queued"]

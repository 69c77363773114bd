"""The SDK and the `hub` command retry a 503 with the very bytes they sent, never sealing
again, and no sooner than its Retry-After: a submission whose answer was lost (the hub
stored it, then answered 503, as when Redis stalls after a write or no replica confirmed
it in time) becomes one referral, not two. A loopback front passes every request to a
real hub and answers the first submission 503 once the hub has stored it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from hub.cli.home import Home
from hub.client import Agent, HubApi, consent_for
from hub.demo import homes, prepare_demo
from tests.support.live import DEST, SENDER, TYPE, LiveHub, live_hub

from ..cli.conftest import ROOT
from ..escalation.conftest import ThreadedServer

RETRY_AFTER = 1  # seconds the front asks for


class LosingFront:
    """Passes requests through to ``target``; the first submission's answer is lost."""

    def __init__(self, target: str):
        self.target = target
        self.submissions: list[tuple[float, bytes]] = []  # when, and the body sent

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items()
                   if k in ("Authorization", "Content-Type")}
        async with aiohttp.ClientSession() as session, session.request(
                request.method, self.target + request.path_qs, data=body,
                headers=headers) as r:
            answer = await r.read()
            status, kind = r.status, r.content_type
        if request.method == "POST" and request.path == "/v1/referrals":
            self.submissions.append((time.monotonic(), body))
            if len(self.submissions) == 1:
                assert status == 201, answer
                return web.json_response(
                    {"error": {"code": "unavailable", "message": "retry shortly"}},
                    status=503, headers={"Retry-After": str(RETRY_AFTER)})
        return web.Response(status=status, body=answer, content_type=kind)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app


@pytest.fixture
def live(redis_url: str):
    with live_hub(redis_url) as hub:
        hub.clock.set(time.time())  # the SDK and the command seal and consent on real time
        yield hub


@pytest.fixture
def front(live: LiveHub, tmp_path: Path):
    """The losing front, and the example CCR's people with homes pointed at it."""
    losing = LosingFront(live.base_url)
    server = ThreadedServer(losing.app())
    try:
        live.run(prepare_demo(live.services, tmp_path, server.url))
        yield losing
    finally:
        server.stop()


def one_referral_sent_twice_alike(live: LiveHub, front: LosingFront) -> None:
    (first_at, first), (again_at, again) = front.submissions
    assert first == again, "the retry did not send the same bytes"
    assert again_at - first_at >= RETRY_AFTER, "the retry came before its Retry-After"
    outbox = live.run(live.store.referrals.count(live.store.keys.outbox("mercy-hospital")))
    assert outbox == 1, f"{outbox} referrals for one envelope"


async def test_the_sdk_retries_a_503_with_the_same_envelope(live: LiveHub, front,
                                                            tmp_path: Path) -> None:
    home = Home(homes(tmp_path) / SENDER)
    url, token = home.login()
    async with HubApi(url, token) as api:
        agent = Agent(api, home.device(), home.trust())
        referral = await agent.send(DEST, TYPE, b'{"needs": ["shelter"]}',
                                    consent_for(DEST, TYPE, documented_by=SENDER))
    one_referral_sent_twice_alike(live, front)
    assert referral.status == "requested"


HANDOFF = {"survivor": {"name": "Jane Example"}, "needs": ["shelter"],
           "discharge_at": "2027-01-15T14:00:00-06:00",
           "safe_contact": {"channels": ["sms"], "phone": "+15555550199",
                            "voicemail_ok": False},
           "consent": {"method": "written", "given_at": "2027-01-15T10:00:00-06:00",
                       "documented_by": SENDER, "scope": "shelter intake"}}


def test_the_command_retries_a_503_with_the_same_envelope(live: LiveHub, front,
                                                           tmp_path: Path) -> None:
    content = tmp_path / "handoff.json"
    content.write_text(json.dumps(HANDOFF))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["HUB_HOME"] = str(homes(tmp_path) / SENDER)
    done = subprocess.run([sys.executable, "-m", "hub.cli", "send", "--to", DEST, "--type",
                           TYPE, "--content", str(content), "--consent-by", SENDER],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sent: ")
    one_referral_sent_twice_alike(live, front)

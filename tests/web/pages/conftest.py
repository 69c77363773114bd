"""Helpers for the pages: a signed-in browser-like client per person (cookie jar, CSRF
tokens read off the forms), referrals submitted and moved along through the API, the hub's
app again with other settings (fast live updates, production mode), and the escalation
engine firing due rungs at the fake clock's time."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer

from hub.config import Settings
from hub.crypto import ReceiptStatus, Urgency, sign_receipt
from hub.models import AuditEvent
from hub.web.app import create_app
from hub.web.pages.session import COOKIE
from tests.conftest import EXAMPLE

from .support import BASE_URL, Escalation, Outbox

DEST, TYPE = "harbor-house", "discharge-handoff"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)


@dataclass
class Browser:
    client: TestClient

    async def get(self, path: str, **kw):
        return await self.client.get(path, allow_redirects=False, **kw)

    async def text(self, path: str) -> tuple[int, str]:
        r = await self.get(path)
        return r.status, await r.text()

    async def post_form(self, path: str, data: dict, page: str = "/dashboard"):
        """Post a form the way the page would: with the CSRF token from ``page``."""
        html = await (await self.client.get(page)).text()
        return await self.client.post(path, data={"csrf": csrf_of(html), **data},
                                      allow_redirects=False)

    async def post(self, path: str, data: dict):
        """Post a form as it is (no CSRF token added)."""
        return await self.client.post(path, data=data, allow_redirects=False)

    @property
    def session_id(self) -> str | None:
        found = [c.value for c in self.client.session.cookie_jar if c.key == COOKIE]
        return found[0] if found else None


async def open_browser(aiohttp_client, server: TestServer, token: str | None = None) -> Browser:
    """A browser of its own on ``server``: signed in with ``token``, unless None."""
    client = await aiohttp_client(server, cookie_jar=CookieJar(unsafe=True))
    if token is not None:
        form = await (await client.get("/signin")).text()
        r = await client.post("/signin", data={"csrf": csrf_of(form), "token": token,
                                               "next": "/dashboard"}, allow_redirects=False)
        assert r.status == 303, await r.text()
    return Browser(client)


@pytest.fixture
def sign_in(hub, aiohttp_client):
    """``await sign_in(person_id)``: a Browser with its own cookie jar, signed in."""
    async def open_as(person: str) -> Browser:
        return await open_browser(aiohttp_client, hub.client.server,
                                  hub.world.members[person].token)
    return open_as


@pytest.fixture
async def visitor(hub, aiohttp_client) -> Browser:
    """A browser that has not signed in."""
    return await open_browser(aiohttp_client, hub.client.server)


async def app_with(hub, aiohttp_client, redis_url: str, **settings) -> TestServer:
    """The hub's app again, over the same services, with other ``settings``."""
    app = create_app(Settings(redis_url=redis_url, ccr_dir=EXAMPLE, **settings), hub.services)
    return (await aiohttp_client(app)).server


@pytest.fixture
def live(hub, aiohttp_client, redis_url):
    """``await live(person)``: a Browser signed in to an app whose live updates check for
    changes every 50 ms."""
    servers: list[TestServer] = []

    async def open_as(person: str) -> Browser:
        if not servers:
            servers.append(await app_with(hub, aiohttp_client, redis_url, live_every=0.05))
        return await open_browser(aiohttp_client, servers[0], hub.world.members[person].token)
    return open_as


@pytest.fixture
def escalation(hub) -> Escalation:
    """The escalation engine over the hub's services, sending on channels that accept
    every notice (``escalation.email.refuse`` makes some addresses bounce)."""
    email, sms = Outbox("email"), Outbox("sms")
    return Escalation(hub, hub.services.engine({"email": email, "sms": sms}, BASE_URL),
                      email, sms)


async def submit(hub, *, urgency: Urgency = Urgency.URGENT, dest: str = DEST,
                 type_: str = TYPE, sender_agency: str = "mercy-hospital",
                 share_outcome: bool = False) -> tuple[object, str]:
    """``share_outcome``: the survivor agreed that the sender learns how it went."""
    w = hub.world
    nurse = w.first(sender_agency, "sender")
    sealed = w.seal_referral(nurse, dest, type_, b"{}", urgency=urgency,
                             now=int(hub.clock.now()))
    body = w.submit_body(sealed, dest, type_)
    body["consent"]["share_outcome"] = share_outcome
    r = await hub.client.post("/v1/referrals", json=body, headers=nurse.auth)
    assert r.status == 201, await r.text()
    return sealed, sealed.header.envelope_id.hex()


async def acknowledge(hub, sealed, rid: str, dest: str = DEST) -> None:
    point = hub.world.first(dest, "point_person")
    raw = sign_receipt(point.device, envelope_id=sealed.header.envelope_id,
                       header_hash=sealed.header.hash, status=ReceiptStatus.ACKNOWLEDGED,
                       at=int(hub.clock.now()))
    r = await hub.client.post(f"/v1/referrals/{rid}/acknowledge",
                              json={"receipt": base64.b64encode(raw).decode()},
                              headers=point.auth)
    assert r.status == 200, await r.text()


async def act(hub, rid: str, action: str, body: dict | None = None, dest: str = DEST) -> dict:
    """The receiving point person moves the referral on: accept, reject, progress, complete."""
    point = hub.world.first(dest, "point_person")
    r = await hub.client.post(f"/v1/referrals/{rid}/{action}", json=body,
                              headers=point.auth)
    assert r.status == 200, await r.text()
    return await r.json()


async def audit_events(hub, **match: object) -> list[AuditEvent]:
    """Every audit event written so far whose fields equal ``match``."""
    events = await hub.store.audit.events()
    return [e for e in events if all(getattr(e, k) == v for k, v in match.items())]

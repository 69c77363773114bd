"""Helpers for the pages: a signed-in browser-like client per person (cookie jar, CSRF
tokens read off the forms), and referrals submitted through the API."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient

from hub.crypto import ReceiptStatus, Urgency, sign_receipt

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


@pytest.fixture
def sign_in(hub, aiohttp_client):
    """``await sign_in(person_id)``: a Browser with its own cookie jar, signed in."""
    async def open_as(person: str) -> Browser:
        client = await aiohttp_client(hub.client.server, cookie_jar=CookieJar(unsafe=True))
        form = await (await client.get("/signin")).text()
        r = await client.post("/signin", data={"csrf": csrf_of(form),
                                               "token": hub.world.members[person].token,
                                               "next": "/dashboard"}, allow_redirects=False)
        assert r.status == 303, await r.text()
        return Browser(client)
    return open_as


async def submit(hub, *, urgency: Urgency = Urgency.URGENT, dest: str = DEST,
                 type_: str = TYPE, sender_agency: str = "mercy-hospital") -> tuple[object, str]:
    w = hub.world
    nurse = w.first(sender_agency, "sender")
    sealed = w.seal_referral(nurse, dest, type_, b"{}", urgency=urgency,
                             now=int(hub.clock.now()))
    body = w.submit_body(sealed, dest, type_)
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

"""Web push through a loopback push service that decrypts what it is given (RFC 8291,
aes128gcm, with http_ece and the subscription's private key made here, as a browser holds
it): the payload holds nothing from the referral. A person subscribes from a device of
theirs in the roster, over the API; a 410 from the push service drops the subscription and
the person is reached on their next contact; a device leaving the roster takes its
subscription with it."""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import http_ece
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from hub.adapters.push import WebPush, vapid_key
from hub.build import build_services
from hub.config import Settings
from hub.crypto import make_roster
from hub.sandbox import install_world, make_world
from hub.web.app import create_app
from tests.conftest import EXAMPLE, Hub
from tests.escalation.test_ladder import CANARY, INTAKE, submit
from tests.web.pages.support import Escalation, Outbox

BASE = "https://hub.example.org"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass
class Browser:
    """A browser's push subscription: its own P-256 key pair and auth secret."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict:
        public = self.key.public_key().public_bytes(Encoding.X962,
                                                    PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint,
                "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)}}


@dataclass
class PushService:
    """A loopback push service: keeps each push it takes for a known endpoint, answers
    ``gone`` endpoints with 410."""

    pushes: dict[str, list[tuple[Mapping[str, str], bytes]]] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name in self.gone:
            return web.Response(status=410)
        self.pushes.setdefault(name, []).append((request.headers.copy(), await request.read()))
        return web.Response(status=201)


def ccr_pushing_first(tmp_path: Path) -> Path:
    """The example CCR with push first in the intake advocate's contacts."""
    directory = tmp_path / "ccr"
    shutil.copytree(EXAMPLE, directory)
    people = directory / "people.toml"
    text = people.read_text()
    old = f'channels = [{{ kind = "email", address = "{INTAKE}" }},'
    assert old in text
    people.write_text(text.replace(old, f'channels = [{{ kind = "push" }}, '
                                        f'{{ kind = "email", address = "{INTAKE}" }},', 1))
    return directory


@dataclass
class Pushing:
    hub: Hub
    service: PushService
    escalation: Escalation
    url: str


@pytest.fixture
async def pushing(tmp_path, aiohttp_client, aiohttp_server, store, clock, redis_url
                  ) -> Pushing:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "vapid.pem"
    pem.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    service = PushService()
    app = web.Application()
    app.router.add_post("/push/{name}", service.handle)
    server = await aiohttp_server(app)
    settings = Settings(redis_url=redis_url, ccr_dir=ccr_pushing_first(tmp_path),
                        public_base_url=BASE, vapid_private_key_file=pem,
                        vapid_subject="mailto:ops@ccr.example.org")
    services = build_services(settings, store=store, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    hub = Hub(await aiohttp_client(create_app(settings, services)), services, world, store,
              clock)
    push = WebPush.from_settings(settings, services.push)
    assert vapid_key(settings) is not None and push is not None
    email, sms = Outbox("email"), Outbox("sms")
    escalation = Escalation(hub, services.engine({"push": push, "email": email, "sms": sms},
                                                 BASE), email, sms)
    return Pushing(hub, service, escalation, str(server.make_url("/push")))


def intake(hub: Hub):
    return hub.world.members["harbor-intake"]


async def subscribe(pushing: Pushing, browser: Browser, who=None) -> object:
    member = who or intake(pushing.hub)
    device = member.device.certificate.device_id.hex()
    return await pushing.hub.client.put(f"/v1/devices/{device}/push",
                                        json=browser.subscription(), headers=member.auth)


def decrypt(browser: Browser, body: bytes) -> dict:
    return json.loads(http_ece.decrypt(body, private_key=browser.key,
                                       auth_secret=browser.auth, version="aes128gcm"))


async def test_a_push_decrypts_to_a_content_free_notice(pushing) -> None:
    browser = Browser(f"{pushing.url}/phone")
    r = await subscribe(pushing, browser)
    assert r.status == 201 and (await r.json())["subscribed"] is True
    _, rid = await submit(pushing.hub, CANARY.encode())
    await pushing.escalation.run_due()
    ((headers, body),) = pushing.service.pushes["phone"]
    assert headers["Content-Encoding"] == "aes128gcm"
    assert headers["Authorization"].startswith("vapid t=") and int(headers["TTL"]) > 0
    assert CANARY.encode() not in body
    payload = decrypt(browser, body)
    assert payload == {"title": "CCR Hub", "body": "A referral for your agency is waiting. "
                       "Open the hub to acknowledge it.", "link": f"{BASE}/inbox", "lang": "en"}
    flat = json.dumps(payload)
    assert rid[:8] not in flat and rid not in flat and "Harbor" not in flat
    assert pushing.escalation.email.sent == []  # push reached her: no email
    (notice,) = await pushing.hub.store.notices.of_referral(rid)
    assert (notice.channel, notice.to, notice.status) == ("push", "harbor-intake", "sent")


async def test_a_gone_subscription_is_dropped_and_the_next_contact_is_tried(pushing) -> None:
    browser = Browser(f"{pushing.url}/old-phone")
    await subscribe(pushing, browser)
    pushing.service.gone.add("old-phone")
    _, rid = await submit(pushing.hub)
    await pushing.escalation.run_due()
    assert await pushing.hub.store.push.of("harbor-intake") == {}
    assert [n.to for n in pushing.escalation.email.sent] == [INTAKE]
    channels = {n.channel: n.status for n in await pushing.hub.store.notices.of_referral(rid)}
    assert channels == {"push": "dead", "email": "sent"}


async def test_with_no_subscription_the_next_contact_is_tried(pushing) -> None:
    await submit(pushing.hub)
    await pushing.escalation.run_due()
    assert [n.to for n in pushing.escalation.email.sent] == [INTAKE]


async def test_only_a_current_device_of_ones_own_subscribes_and_can_turn_it_off(
        pushing) -> None:
    hub, browser = pushing.hub, Browser(f"{pushing.url}/phone")
    other = hub.world.first("harbor-house", "backup")
    r = await hub.client.put(
        f"/v1/devices/{intake(hub).device.certificate.device_id.hex()}/push",
        json=browser.subscription(), headers=other.auth)
    assert r.status == 404 and (await r.json())["error"]["code"] == "not_your_device"
    bad = {**browser.subscription(), "endpoint": "http://push.example.org/x"}
    device = intake(hub).device.certificate.device_id.hex()
    r = await hub.client.put(f"/v1/devices/{device}/push", json=bad, headers=intake(hub).auth)
    assert r.status == 422
    assert (await subscribe(pushing, browser)).status == 201
    assert (await subscribe(pushing, browser)).status == 200  # the same again: replaced
    r = await hub.client.get(f"/v1/devices/{device}/push", headers=intake(hub).auth)
    doc = await r.json()
    assert doc["subscribed"] is True and len(base64.urlsafe_b64decode(
        doc["public_key"] + "==")) == 65
    r = await hub.client.delete(f"/v1/devices/{device}/push", headers=intake(hub).auth)
    assert (r.status, (await r.json())["subscribed"]) == (200, False)
    assert await hub.store.push.of("harbor-intake") == {}


async def test_a_device_leaving_the_roster_takes_its_subscription(pushing) -> None:
    hub = pushing.hub
    await subscribe(pushing, Browser(f"{pushing.url}/phone"))
    assert list(await hub.store.push.of("harbor-intake"))
    world, gone = hub.world, intake(hub).device.certificate.device_id
    current = world.trust().roster("harbor-house", world.now)
    signed = make_roster(world.roots["harbor-house"], agency="harbor-house", version=2,
                         issued_at=world.now - 60, expires_at=world.now + 90 * 86400,
                         people=list(current.body.people),
                         devices=[c for d, c in current.devices.items() if d != gone],
                         groups=list(current.body.groups))
    admin = world.first("harbor-house", "agency_admin")
    r = await hub.client.put("/v1/agencies/harbor-house/roster", json=signed.to_json(),
                             headers=admin.auth)
    assert r.status == 201, await r.text()
    assert await hub.store.push.of("harbor-intake") == {}


async def test_the_service_worker_is_served_and_shows_only_what_the_push_says(pushing) -> None:
    r = await pushing.hub.client.get("/static/push-sw.js")
    assert r.status == 200 and "javascript" in r.content_type
    script = await r.text()
    assert "showNotification" in script and "notificationclick" in script

"""Twin hubs for the masking tests: two hubs on their own key prefixes, sharing one fake
clock and one simulated CCR (the same roots, rosters and devices, so one sealed envelope is
the same referral, with the same id, on both). A test builds two worlds that differ only in
what one party may not learn, then asks both hubs the same questions as that party: the
answers must be the same."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from hub.build import Services, build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.crypto import ReceiptStatus, Sealed, sign_receipt
from hub.escalation.engine import Engine
from hub.sandbox import World, install_world, make_world
from hub.store import Store
from hub.web.app import create_app
from tests.conftest import EXAMPLE
from tests.web.pages.support import BASE_URL, Outbox


async def submit(hub, sender: str = "mercy-nurse-1", dest: str = "harbor-house",
                 kind: str = "discharge-handoff", *, attachments: tuple[bytes, ...] = (),
                 **consent: object) -> tuple[str, Sealed]:
    """A referral sealed by ``sender`` and submitted to the one hub of the ``hub`` fixture,
    with ``consent`` changes: its id and the sealed envelope."""
    w = hub.world
    sealed = w.seal_referral(w.members[sender], dest, kind, b"{}", now=int(hub.clock.now()),
                             attachments=attachments)
    body = w.submit_body(sealed, dest, kind)
    body["consent"] |= consent
    r = await hub.client.post("/v1/referrals", json=body, headers=w.members[sender].auth)
    assert r.status == 201, await r.text()
    return (await r.json())["id"], sealed


@dataclass
class Side:
    """One of the twin hubs, with everyone's token and page session on it."""

    name: str
    client: TestClient
    services: Services
    store: Store
    tokens: dict[str, str]
    engine: Engine
    sessions: dict[str, tuple[str, str]]  # person -> (session id, CSRF token)
    outboxes: tuple[Outbox, ...] = ()  # the channels the engine sent on

    def told(self, people: set[str]) -> list[tuple[str, str, str]]:
        """The notices sent to ``people``: to whom, the subject and the text."""
        ccr = self.services.ccr
        to = {c.address for p in people for c in ccr.find_person(p).channels}
        return sorted((n.to, n.subject, n.text) for box in self.outboxes for n in box.sent
                      if n.to in to)

    def auth(self, person: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[person]}"}

    async def session(self, person: str) -> tuple[str, str]:
        if person not in self.sessions:
            sid, found = await self.services.sessions.sign_in(self.tokens[person], "127.0.0.1")
            self.sessions[person] = (sid, found.csrf)
        return self.sessions[person]

    async def call(self, method: str, path: str, person: str, **kw):
        return await self.client.request(method, path, headers={**self.auth(person),
                                                                **kw.pop("headers", {})}, **kw)

    async def ok(self, method: str, path: str, person: str, **kw) -> dict:
        r = await self.call(method, path, person, **kw)
        assert r.status in (200, 201), f"{self.name}: {method} {path}: {await r.text()}"
        return await r.json() if r.content_type == "application/json" else {}

    async def run_due(self) -> None:
        """Fire every due timer and send every due notice, at the shared clock's time."""
        store, clock = self.store, self.services.clock
        for _ in range(50):
            timers = await store.timers.claim(store.keys.deadlines(), clock.now(), 60, 100)
            notices = await store.timers.claim(store.keys.deliveries(), clock.now(), 60, 100)
            if not timers and not notices:
                return
            for member, _ in timers:
                await self.engine.fire(member)
            for member, _ in notices:
                await self.engine.deliver(member)
        raise AssertionError("timers kept coming")


@dataclass
class Twins:
    a: Side
    b: Side
    world: World
    clock: FakeClock

    @property
    def sides(self) -> tuple[Side, Side]:
        return self.a, self.b

    async def submit(self, sender: str, dest: str, kind: str, *,
                     share_outcome: bool = False) -> tuple[str, Sealed]:
        """The same sealed referral submitted to both hubs: the same id on each."""
        w = self.world
        sealed = w.seal_referral(w.members[sender], dest, kind, b"{}",
                                 now=int(self.clock.now()))
        body = w.submit_body(sealed, dest, kind)
        body["consent"] |= {"share_outcome": share_outcome,
                            "documented_by": sender, "given_at": int(self.clock.now()) - 60,
                            "expires_at": int(self.clock.now()) + 30 * 86400}
        ids = {(await side.ok("POST", "/v1/referrals", sender, json=body))["id"]
               for side in self.sides}
        assert len(ids) == 1
        return ids.pop(), sealed

    def receipt(self, person: str, sealed: Sealed) -> dict[str, str]:
        signed = sign_receipt(self.world.members[person].device,
                              envelope_id=sealed.header.envelope_id,
                              header_hash=sealed.header.hash,
                              status=ReceiptStatus.ACKNOWLEDGED, at=int(self.clock.now()))
        return {"receipt": base64.b64encode(signed).decode()}


@pytest.fixture
async def twins(aiohttp_client, redis: Redis, redis_url: str,
                clock: FakeClock) -> AsyncIterator[Twins]:
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE, max_body_bytes=2 * 1024 * 1024)
    world: World | None = None
    sides = []
    for name in ("A", "B"):
        store = Store.open(redis, f"test-{uuid.uuid4().hex[:12]}")
        services = build_services(settings, store=store, clock=clock)
        world = world or make_world(services.ccr, int(clock.now()))
        await install_world(world, services)
        tokens = {person: m.token for person, m in world.members.items()}
        client = await aiohttp_client(create_app(settings, services))
        boxes = (Outbox("email"), Outbox("sms"))
        engine = services.engine({box.kind: box for box in boxes}, BASE_URL)
        sides.append(Side(name, client, services, store, tokens, engine, {}, boxes))
    yield Twins(sides[0], sides[1], world, clock)
    for side in sides:
        keys = [k async for k in redis.scan_iter(match=f"{side.store.keys.prefix}:*",
                                                 count=1000)]
        if keys:
            await redis.delete(*keys)

"""The services as the web and the workers use them (build_services), over a real Redis on
the test's own key prefix and a fake clock, with the example CCR installed; no HTTP. What a
service decides is asserted here directly: the web's tests check how it is answered."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest

from hub.build import Services, build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.crypto import ReceiptStatus, Sealed, Urgency, sign_receipt
from hub.models import Consent, Referral
from hub.sandbox import Member, World, install_world, make_world
from hub.services.flowback import Sight
from hub.services.principal import Principal
from hub.store import Store
from tests.conftest import EXAMPLE

HOSPITAL, SHELTER, TYPE = "mercy-hospital", "harbor-house", "discharge-handoff"
ADVOCACY, PROSECUTOR = "bridge-advocacy", "county-prosecutor"
HOUR = 3600.0


@dataclass
class Sent:
    """A referral submitted through the service, with what its sender sealed."""

    seen: Sight  # as the sender was answered
    sealed: Sealed
    sender: Member

    @property
    def rid(self) -> str:
        return self.seen.referral.id


@dataclass
class Rig:
    services: Services
    world: World
    clock: FakeClock
    store: Store

    def member(self, agency: str, role: str) -> Member:
        return self.world.first(agency, role)

    def who(self, agency: str, role: str) -> Principal:
        return self.member(agency, role).principal()

    def person(self, person: str) -> Principal:
        return self.world.members[person].principal()

    async def submit(self, *, sender: str = HOSPITAL, to: str = SHELTER, kind: str = TYPE,
                     urgency: Urgency = Urgency.URGENT, share_outcome: bool = False,
                     **consent: object) -> Sent:
        member = self.member(sender, "sender")
        sealed = self.world.seal_referral(member, to, kind, b"{}", urgency=urgency,
                                          now=int(self.clock.now()))
        seen, created = await self.services.referrals.submit(
            member.principal(), sealed.envelope, self.consent(member, to, kind,
                                                              share_outcome, **consent))
        assert created
        return Sent(seen, sealed, member)

    def consent(self, member: Member, to: str, kind: str, share_outcome: bool = False,
                **changes: object) -> Consent:
        doc = self.world.consent(to, kind, documented_by=member.person)
        return Consent.model_validate(doc | {"share_outcome": share_outcome} | changes)

    def receipt(self, sent: Sent, member: Member,
                status: ReceiptStatus = ReceiptStatus.ACKNOWLEDGED) -> str:
        raw = sign_receipt(member.device, envelope_id=sent.sealed.header.envelope_id,
                           header_hash=sent.sealed.header.hash, status=status,
                           at=int(self.clock.now()))
        return base64.b64encode(raw).decode()

    async def acknowledge(self, sent: Sent, member: Member | None = None) -> Sight:
        member = member or self.member(sent.seen.referral.destination, "point_person")
        return await self.services.lifecycle.acknowledge(member.principal(), sent.rid,
                                                         self.receipt(sent, member))

    async def stored(self, rid: str) -> Referral | None:
        return await self.store.referrals.get(rid)

    async def audited(self, action: str) -> list[str]:
        """The outcomes of the audit events named ``action``, oldest first."""
        return [e.outcome for e in await self.store.audit.events() if e.action == action]


@pytest.fixture
async def rig(store: Store, clock: FakeClock, redis_url: str, tmp_path) -> Rig:
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE, data_dir=tmp_path)
    services = build_services(settings, store=store, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    return Rig(services, world, clock, store)

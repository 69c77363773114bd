"""Build the services once, in one place, for the web app, the workers and the CLI; and the
escalation engine over them, for the workers (engine_from_settings)."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hub.adapters import receivers_from_settings, senders_from_settings
from hub.adapters.base import Sender
from hub.adapters.push import vapid_public_key
from hub.adapters.render import render_claim
from hub.adapters.resthook import RestHook
from hub.clock import Clock, SystemClock
from hub.config import Settings, read_secret
from hub.crypto.auditlog import HubKey
from hub.errors import ConfigError
from hub.escalation.actions import ActionsDue
from hub.escalation.delivery import Delivery
from hub.escalation.duty import Rota
from hub.escalation.endings import Endings
from hub.escalation.engine import Engine
from hub.escalation.flood import Flood, FloodLimits
from hub.escalation.gaps import GapNotices
from hub.escalation.hooks import HookDelivery
from hub.escalation.missed import Missed
from hub.escalation.notify import Notifier
from hub.escalation.nudges import Nudges
from hub.routing.ccr import Ccr, load_ccr
from hub.routing.deadlines import DeadlineCalculator
from hub.routing.ladder import Ladder
from hub.services.auditlog import AuditLog
from hub.services.auditor import Auditor
from hub.services.checklists import ChecklistService
from hub.services.claims import ClaimCodes, ClaimService
from hub.services.consent import ConsentService
from hub.services.deliveries import DeliveryReports
from hub.services.directory import DirectoryService
from hub.services.drills import DrillService
from hub.services.engine import EngineService
from hub.services.figures import FiguresService
from hub.services.grants import GrantService
from hub.services.lifecycle import LifecycleService
from hub.services.limits import RequestLimits
from hub.services.mdt import MdtService
from hub.services.milestones import MilestoneService
from hub.services.monitor import MonitorService
from hub.services.onward import OnwardService
from hub.services.oversight import OversightService
from hub.services.purge import PurgeService
from hub.services.push import PushService
from hub.services.queue import QueueService
from hub.services.readability import ReadabilityService
from hub.services.referrals import ReferralService
from hub.services.rosterlog import RosterLogService
from hub.services.schedules import ScheduleService
from hub.services.sessions import SessionService
from hub.services.smart import SmartService, load_clients
from hub.services.staff import StaffService
from hub.services.subscriptions import SubscriptionService
from hub.services.tasksearch import TaskSearch
from hub.services.threads import ThreadService
from hub.services.timers import TimerPlanner
from hub.services.tokens import TokenService
from hub.services.worklist import WorklistService
from hub.store import Store, connect


@dataclass
class Services:
    store: Store
    clock: Clock
    ccr: Ccr
    auditor: Auditor
    tokens: TokenService
    directory: DirectoryService
    referrals: ReferralService
    lifecycle: LifecycleService
    purge: PurgeService
    threads: ThreadService
    grants: GrantService
    monitor: MonitorService
    deliveries: DeliveryReports
    auditlog: AuditLog
    rosterlog: RosterLogService
    readability: ReadabilityService
    staff: StaffService
    ladder: Ladder
    sessions: SessionService
    limits: RequestLimits
    queue: QueueService
    figures: FiguresService
    engine_health: EngineService
    schedules: ScheduleService
    codes: ClaimCodes  # claim codes and the keyed hashes kept of them
    claims: ClaimService
    push: PushService  # browsers' push subscriptions (and the push adapter's book)
    smart: SmartService  # the FHIR facade's SMART Backend Services clients
    tasks: TaskSearch  # the FHIR facade's Task search
    subscriptions: SubscriptionService = field(init=False)  # its Subscriptions
    oversight: OversightService = field(init=False)  # nudges commit for the workers to send
    worklist: WorklistService = field(init=False)  # the browser's inbox and thread pages
    drills: DrillService = field(init=False)  # drills on the real hub
    checklists: ChecklistService = field(init=False)  # start pages' checklists
    milestones: MilestoneService = field(init=False)  # recorded by the receiving agency
    mdt: MdtService = field(init=False)  # the team meeting's case review
    onward: OnwardService = field(init=False)  # onward referrals: who learns of them
    resthook: RestHook = field(default_factory=RestHook)  # Subscriptions' notifications

    def notifier(self, base_url: str, lease: float = 60.0) -> Notifier:
        return Notifier(store=self.store, clock=self.clock, ccr=self.ccr,
                        auditor=self.auditor, base_url=base_url, codes=self.codes, lease=lease)

    def gap_notices(self, base_url: str) -> GapNotices:
        """The watch that tells agency admins of new coverage gaps (the ticker runs it)."""
        return GapNotices(store=self.store, clock=self.clock, ccr=self.ccr,
                          schedules=self.schedules, auditor=self.auditor, base_url=base_url)

    def nudges(self, base_url: str) -> Nudges:
        """A coordinator's nudges: committed here, sent by the workers."""
        return Nudges(store=self.store, clock=self.clock, ccr=self.ccr, ladder=self.ladder,
                      directory=self.directory, notifier=self.notifier(base_url),
                      schedules=self.schedules)

    def engine(self, senders: Mapping[str, Sender], base_url: str, *,
               lease: float = 60.0, limits: FloodLimits = FloodLimits()) -> Engine:  # noqa: B008
        """The escalation engine over these services, delivering with ``senders``."""
        notifier = self.notifier(base_url, lease)
        return Engine(
            store=self.store, clock=self.clock, ccr=self.ccr, ladder=self.ladder,
            directory=self.directory, notifier=notifier, lease=lease,
            rota=Rota(ccr=self.ccr, ladder=self.ladder, schedules=self.schedules),
            endings=Endings(store=self.store, clock=self.clock, ccr=self.ccr,
                            ladder=self.ladder, directory=self.directory,
                            auditor=self.auditor, notifier=notifier,
                            changed=self.subscriptions.changed),
            missed=Missed(store=self.store, clock=self.clock, ccr=self.ccr,
                          auditor=self.auditor, notifier=notifier),
            actions=ActionsDue(store=self.store, clock=self.clock, ccr=self.ccr,
                               ladder=self.ladder, notifier=notifier),
            changed=self.subscriptions.changed,
            delivery=Delivery(store=self.store, clock=self.clock, ccr=self.ccr,
                              notifier=notifier, senders=senders, base_url=base_url,
                              lease=lease,
                              flood=Flood(store=self.store, ccr=self.ccr, limits=limits),
                              hooks=HookDelivery(
                                  store=self.store, clock=self.clock, poster=self.resthook,
                                  base_url=base_url, secrets={
                                      c.id: c.webhook_secret for c in self.smart.clients.values()
                                      if c.webhook_secret})))

    async def close(self) -> None:
        await self.resthook.close()
        await self.store.close()


def _create_whole(path: Path, text: str) -> None:
    """Write a new file (mode 0600) that nobody ever sees half-written: a private temporary
    file linked into place, so when two builders race, one wins and both read the same."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process or thread made it first
    finally:
        temporary.unlink()


def hub_key(settings: Settings) -> HubKey | None:
    """The hub's checkpoint-signing key: from HUB_HUB_SIGNING_KEY_FILE (64 hex digits of
    seed), or in dev mode one kept under the data directory, made on first use. Production
    refuses to start without one: its audit checkpoints would go unsigned."""
    path = settings.hub_signing_key_file
    if path is None and settings.mode == "production":
        raise ConfigError("production needs the hub's signing key: set "
                          "HUB_HUB_SIGNING_KEY_FILE to a file of 64 hex digits (e.g. from "
                          "'python -c \"import secrets; print(secrets.token_hex(32))\"'), "
                          "mounted as a secret", path="environment", key="hub_signing_key_file")
    if path is None and settings.mode == "dev":
        path = settings.data_dir / "hub-signing.key"
        if not path.exists():
            _create_whole(path, HubKey.generate().seed.hex() + "\n")
    seed = read_secret(path)
    if seed is None:
        return None
    try:
        return HubKey.from_seed(bytes.fromhex(seed))
    except ValueError:
        raise ConfigError("not a hub signing key (64 hex digits)", path=str(path)) from None


def claim_secret(key: HubKey | None) -> bytes:
    """The secret claim codes are made and hashed with: drawn from the hub's own key, so
    every process of the hub makes and checks the same codes (a hub without a key, outside
    production, makes one of its own per process)."""
    if key is None:
        return secrets.token_bytes(32)
    return hashlib.blake2b(key.seed, digest_size=32, person=b"ccrhub-claims").digest()


def build_services(settings: Settings, *, store: Store | None = None, clock: Clock | None = None,
                   ccr: Ccr | None = None, lenient_replicas: bool = False) -> Services:
    """The services over ``settings``'s Redis (or ``store``). Each change is answered once
    ``settings.replica_acks`` replicas hold it; ``lenient_replicas`` (the engine's
    processes) goes on without them rather than stop escalating while a replica is away."""
    if store is None:
        if settings.redis_url is None:
            raise ValueError("no Redis URL: set HUB_REDIS_URL or use 'hub run'")
        store = connect(settings.redis_url, settings.key_prefix,
                        timeout=settings.redis_timeout, replicas=settings.replica_acks,
                        lenient=lenient_replicas)
    clock = clock or SystemClock()
    ccr = ccr or load_ccr(settings.ccr_dir)
    auditor = Auditor(store=store, clock=clock)
    signing_key = hub_key(settings)
    consent = ConsentService(ccr=ccr, max_days=settings.consent_max_days)
    rosterlog = RosterLogService(store=store, key=signing_key)
    directory = DirectoryService(store=store, clock=clock, ccr=ccr, auditor=auditor,
                                 rosterlog=rosterlog)
    calculator = DeadlineCalculator(ccr)
    timers = TimerPlanner(Ladder(ccr, calculator))
    tokens = TokenService(store=store, clock=clock, ccr=ccr, auditor=auditor)
    codes = ClaimCodes(claim_secret(signing_key))
    referrals = ReferralService(store=store, clock=clock, directory=directory, consent=consent,
                                deadlines=calculator, timers=timers, tokens=tokens,
                                auditor=auditor)
    schedules = ScheduleService(store=store, clock=clock, ccr=ccr, directory=directory,
                                auditor=auditor)
    readability = ReadabilityService(store=store, clock=clock, directory=directory,
                                     schedules=schedules)
    services = Services(
        store=store, clock=clock, ccr=ccr, auditor=auditor, tokens=tokens,
        directory=directory, referrals=referrals,
        lifecycle=LifecycleService(store=store, clock=clock, directory=directory,
                                   referrals=referrals, timers=timers, auditor=auditor),
        purge=PurgeService(store=store, clock=clock, directory=directory, referrals=referrals,
                           consent=consent, auditor=auditor),
        threads=ThreadService(store=store, clock=clock, directory=directory, referrals=referrals,
                              consent=consent, auditor=auditor),
        grants=GrantService(store=store, clock=clock, directory=directory, referrals=referrals,
                            consent=consent, auditor=auditor, readability=readability),
        monitor=MonitorService(store=store, ccr=ccr), ladder=timers.ladder,
        deliveries=DeliveryReports(store=store, clock=clock, auditor=auditor,
                                   receivers=receivers_from_settings(settings)),
        auditlog=AuditLog(store=store, clock=clock, key=signing_key), codes=codes,
        claims=ClaimService(store=store, clock=clock, ccr=ccr, auditor=auditor, codes=codes,
                            wording=render_claim, base_url=settings.public_base_url),
        push=PushService(store=store, clock=clock, directory=directory, auditor=auditor,
                         public_key=vapid_public_key(settings)),
        rosterlog=rosterlog,
        readability=readability,
        staff=StaffService(store=store, clock=clock, ccr=ccr, auditor=auditor,
                           schedules=schedules),
        sessions=SessionService(store=store, clock=clock, ccr=ccr, tokens=tokens,
                                auditor=auditor),
        limits=RequestLimits(store=store, clock=clock, limit=settings.person_rate_limit,
                             window=settings.person_rate_window),
        queue=QueueService(store=store, clock=clock, ccr=ccr),
        figures=FiguresService(store=store, clock=clock, ccr=ccr),
        engine_health=EngineService(store=store, clock=clock, stale=settings.engine_stale),
        schedules=schedules,
        smart=SmartService(store=store, clock=clock, ccr=ccr, auditor=auditor,
                           clients=load_clients(settings.smart_clients_file, ccr),
                           token_url=f"{settings.public_base_url.rstrip('/')}/fhir/R4/auth/token"),
        tasks=TaskSearch(store=store, referrals=referrals))
    services.milestones = MilestoneService(store=store, clock=clock, ccr=ccr, auditor=auditor)
    services.mdt = MdtService(store=store, clock=clock, ccr=ccr, auditor=auditor)
    services.oversight = OversightService(
        store=store, clock=clock, ccr=ccr, auditor=auditor, timers=timers,
        nudger=services.nudges(settings.public_base_url).nudge)
    services.subscriptions = SubscriptionService(
        store=store, clock=clock, ccr=ccr, referrals=referrals, dev=settings.mode == "dev",
        clients_with_secrets=frozenset(c.id for c in services.smart.clients.values()
                                       if c.webhook_secret))
    referrals.after_change = services.lifecycle.after_change = services.subscriptions.changed
    services.onward = OnwardService(store=store, directory=directory, referrals=referrals)
    services.worklist = WorklistService(store=store, clock=clock, ccr=ccr, referrals=referrals,
                                        timers=timers)
    services.drills = DrillService(store=store, clock=clock, ccr=ccr, referrals=referrals,
                                   auditor=auditor, auditlog=services.auditlog)
    services.checklists = ChecklistService(
        store=store, clock=clock, ccr=ccr, directory=directory, schedules=services.schedules,
        readability=readability, auditor=auditor)

    async def drill_done(person: str, _drill: object) -> None:
        await services.checklists.record_drill_done(person)

    services.drills.finished.append(drill_done)  # a drill ends: its people's step ticks
    return services


@asynccontextmanager
async def engine_from_settings(settings: Settings) -> AsyncIterator[Engine]:
    """The escalation engine a worker process runs its jobs on (hub/escalation/runtime.py):
    the services over ``settings`` (going on without a replica rather than stop escalating),
    delivering with the adapters the settings configure."""
    services = build_services(settings, lenient_replicas=True)
    senders = senders_from_settings(settings, services.push)
    try:
        yield services.engine(senders, settings.public_base_url, lease=settings.timer_lease,
                              limits=FloodLimits(settings.notice_limit_person,
                                                 settings.notice_limit_agency,
                                                 settings.notice_window))
    finally:
        for adapter in senders.values():
            await adapter.close()
        await services.close()

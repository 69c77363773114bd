"""The background worker: RQ workers on the hub's queue, the ticker that hands due timers
and deliveries to them, and the audit log's sealer (each in a thread of the same process).
Jobs take ids only.

Every loop here waits out a Redis outage of any length and carries on (hub/loops.py); one
that fails with anything else ends the process with a non-zero exit, so that its
supervisor starts a fresh one: a worker never lives on with a dead ticker or sealer."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Protocol, TypeVar

from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested
from rq.timeouts import TimerDeathPenalty

from hub.build import engine_from_settings
from hub.clock import Clock, SystemClock
from hub.config import Settings
from hub.escalation import runtime
from hub.loops import Guard, guarded_thread, hold
from hub.store import REDIS_ERRORS, TRANSIENT_ERRORS
from hub.store.connection import jobs_redis_at
from hub.store.engine import WorkerBeat
from hub.store.keys import Keys

log = logging.getLogger(__name__)
T = TypeVar("T")


def queue_name(settings: Settings) -> str:
    return f"{settings.key_prefix}-jobs"


def _tick_forever(settings: Settings, queue: Queue, stop: threading.Event) -> None:
    from hub.build import build_services
    from hub.escalation.ticker import Ticker

    async def go() -> None:
        services = build_services(settings, lenient_replicas=True)
        try:
            await Ticker(services.store, services.clock, queue, services.ladder,
                         lease=settings.timer_lease,
                         watch=services.gap_notices(settings.public_base_url).watch).run(stop)
        finally:
            await services.close()

    asyncio.run(go())


def _seal_forever(settings: Settings, stop: threading.Event) -> None:
    """The audit log's sealer, on a thread and loop of its own so it never delays a tick."""
    from hub.build import build_services

    async def go() -> None:
        services = build_services(settings, lenient_replicas=True)
        try:
            await services.auditlog.run(stop)
        finally:
            await services.close()

    asyncio.run(go())


class SurvivingWorker(SimpleWorker):
    """RQ's SimpleWorker (jobs run in this process and share one engine: its Redis
    connection, verified rosters and mail and SMS sessions outlive a single job) that waits
    out Redis outages. RQ leaves its loop on any error, a Redis TimeoutError included, and
    its own reconnection neither jitters nor covers timeouts; here every step that talks to
    Redis is held through an outage (hub.loops.hold), so what reaches RQ's loop is a real
    fault, and `run_worker` then ends the process. A job caught by an outage runs again
    when Redis is back (jobs are idempotent). The worker waits for jobs a second at a time
    and leaves a heartbeat (`beat`) each time. RQ's remote-command listener (`rq shutdown`
    and the like, a thread of its own) is not started: the hub's workers are stopped by
    signals."""

    def __init__(self, *args, beat: Callable[[str], Callable[[float], None]] | None = None,
                 clock: Clock | None = None, **kwargs):
        kwargs.setdefault("worker_ttl", 16)  # RQ waits max(1, ttl - 15) = 1 s per dequeue
        super().__init__(*args, **kwargs)
        self.stopping = False
        self.queue_class = _held_queue(self._hold)
        self._beat = beat(self.name) if beat else None
        self._clock = clock or SystemClock()

    def _asked_to_stop(self) -> bool:
        return self.stopping or self._stop_requested

    def _hold(self, what: str, step: Callable[[], T]) -> T:
        try:
            return hold(f"worker: {what}", step, stopping=self._asked_to_stop)
        except TRANSIENT_ERRORS:  # raised only once a stop was asked for
            raise StopRequested() from None

    def bootstrap(self, *args, **kwargs) -> None:
        self._hold("starting", lambda: super(SurvivingWorker, self).bootstrap(*args, **kwargs))

    def check_for_suspension(self, burst: bool) -> None:
        self._hold("suspension check",
                   lambda: super(SurvivingWorker, self).check_for_suspension(burst))

    def run_maintenance_tasks(self) -> None:
        self._hold("maintenance", super().run_maintenance_tasks)

    def get_redis_server_version(self):
        return self._hold("server version", super().get_redis_server_version)

    def set_state(self, state: str, pipeline=None) -> None:
        if pipeline is not None:
            return super().set_state(state, pipeline)
        return self._hold("state", lambda: super(SurvivingWorker, self).set_state(state))

    def heartbeat(self, timeout: int | None = None, pipeline=None) -> None:
        if pipeline is not None:
            return super().heartbeat(timeout, pipeline)
        self._hold("heartbeat", lambda: super(SurvivingWorker, self).heartbeat(timeout))
        beat = self._beat
        if beat is not None:
            self._hold("heartbeat", lambda: beat(self._clock.now()))

    def execute_job(self, job, queue) -> None:
        self._hold(f"job {job.id}",
                   lambda: super(SurvivingWorker, self).execute_job(job, queue))

    def subscribe(self) -> None:
        pass

    def teardown(self) -> None:
        """RQ's records of this worker's end. Failing to write them (Redis is away) is no
        reason to fail: they expire."""
        try:
            super().teardown()
        except REDIS_ERRORS as e:
            log.warning("worker: could not record its end in Redis (%s)", type(e).__name__)

    def request_stop(self, signum, frame) -> None:
        self.stopping = True
        super().request_stop(signum, frame)


class Holding(Protocol):
    """SurvivingWorker._hold: ``step`` retried through Redis outages, its result."""

    def __call__(self, what: str, step: Callable[[], T]) -> T: ...


def _held_queue(holding: Holding) -> type[Queue]:
    """RQ's Queue whose wait for the next job is held through Redis outages."""

    class HeldQueue(Queue):
        @classmethod
        def dequeue_any(cls, *args, **kwargs):
            return holding("waiting for jobs",
                           lambda: super(HeldQueue, cls).dequeue_any(*args, **kwargs))

    return HeldQueue


def _prepare(settings: Settings, guard: Guard
             ) -> tuple[Queue, threading.Event, list[threading.Thread]]:
    """This process's engine for ``settings``, the queue, and the ticker and sealer
    threads (not started) with the event that stops them."""
    if settings.redis_url is None:
        raise ValueError("no Redis URL: set HUB_REDIS_URL or use 'hub run'")
    runtime.install(partial(engine_from_settings, settings))
    runtime.prepare()  # before the first job, which would otherwise wait for it
    queue = Queue(queue_name(settings), connection=jobs_redis_at(settings.redis_url))
    stop = threading.Event()
    threads = [guarded_thread(guard, "ticker", partial(_tick_forever, settings, queue, stop),
                              stop),
               guarded_thread(guard, "sealer", partial(_seal_forever, settings, stop), stop)]
    return queue, stop, threads


def _beats(settings: Settings, queue: Queue) -> Callable[[str], WorkerBeat]:
    return partial(WorkerBeat, queue.connection, Keys(settings.key_prefix))


def run_worker(settings: Settings, *, burst: bool = False, ticker: bool = True,
               guard: Guard | None = None) -> bool:
    """Work the queue until stopped (or, with ``burst``, until it is empty). Unless
    ``ticker`` is off, the ticker and the sealer run on threads the whole time. False when
    a loop failed (the log says which and why): the process must then exit non-zero."""
    guard = guard or Guard()
    queue, stop, threads = _prepare(settings, guard)
    ticking = ticker and not burst
    for thread in threads if ticking else ():
        thread.start()
    try:
        worker = hold("worker: starting", lambda: SurvivingWorker(  # it names itself in Redis
            [queue], connection=queue.connection, beat=_beats(settings, queue)))
        worker.work(burst=burst)
    except StopRequested:  # asked to stop while it was still starting
        pass
    finally:
        stop.set()
        for thread in threads if ticking else ():
            thread.join(5)
        runtime.reset()
    if not (burst or worker.stopping or guard.failure):
        guard.note("the job loop", "RQ left its loop (the error is logged above)")
    return guard.failure is None


class ThreadWorker(SurvivingWorker):
    """The worker on a thread of the dev web server, which keeps the signals for itself.
    It times jobs out with a timer thread instead of SIGALRM."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass

    def stop(self) -> None:
        self.stopping = True
        self._stop_requested = True  # what RQ's own signal handler sets when busy


def start_beside_server(settings: Settings, guard: Guard) -> Callable[[], None]:
    """Dev mode (`hub serve --with-worker`): the worker, the ticker and the sealer on
    threads of this process; a failing one ends the process through ``guard``. Returns
    the function that stops them."""
    queue, stop, threads = _prepare(settings, guard)
    worker = hold("worker: starting", lambda: ThreadWorker(
        [queue], connection=queue.connection, beat=_beats(settings, queue)))
    threads.append(guarded_thread(guard, "worker", worker.work, stop))
    for thread in threads:
        thread.start()

    def halt() -> None:
        stop.set()
        worker.stop()
        for thread in threads:
            thread.join(5)
        runtime.reset()
        queue.connection.close()

    return halt

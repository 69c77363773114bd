"""The Lua scripts behind every atomic state change, run by their SHA1 and loaded into
Redis again whenever it has forgotten them (a restart, SCRIPT FLUSH).

Each script is sent with the prelude in front (lua/_lib.lua: the helpers several scripts
share), and hashed as sent. The store calls a script by the names its first lines give its
keys and arguments (signature.py), not by their places.

Script calls made in the same turn of the event loop (several requests reaching their
write at once) travel to Redis together: one pipeline, one round trip, instead of one
each. Each script still runs atomically on its own and answers its own caller; only the
trip is shared. On a busy hub this halves what the round trips cost in Python."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from .replication import Replication
from .signature import Signature

_NAMES = ("create_referral", "transition", "mark_receipt", "put_blob", "put_roster", "put_root",
          "claim_due", "reap", "advance_timer", "claim_notice", "delivery_report",
          "take_send_slot", "seal_audit", "end_consent", "narrow_consent", "record_failure",
          "release_tallies", "engine_alarm", "update_notice", "claim_referral",
          "put_grants", "append_roster_log", "replace_envelope", "record_milestone",
          "mark_gap", "mark_for_review", "add_action", "finish_action",
          "climb_action")


@dataclass
class _Call:
    script: Script
    keys: Sequence[object]
    args: Sequence[object]
    answer: asyncio.Future[object] = field(repr=False)


class RoundTrips:
    """Collects the script calls of one turn of the event loop and sends them together;
    with ``replication``, the same trip waits for the replicas to confirm them."""

    def __init__(self, redis: Redis, replication: Replication | None = None):
        self._redis = redis
        self._replication = replication
        self._waiting: list[_Call] = []
        self._sending: set[asyncio.Task[None]] = set()

    def run(self, script: Script, keys: Sequence[object], args: Sequence[object]
            ) -> asyncio.Future[object]:
        loop = asyncio.get_running_loop()
        if not self._waiting:
            loop.call_soon(self._send_waiting)
        call = _Call(script, keys, args, loop.create_future())
        self._waiting.append(call)
        return call.answer

    def _send_waiting(self) -> None:
        calls, self._waiting = self._waiting, []
        task = asyncio.get_running_loop().create_task(self._send(calls))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, calls: list[_Call], *, loaded: bool = False) -> None:
        try:
            answers = await self._trip(calls)
        except asyncio.CancelledError:
            _fail(calls, None)
            raise
        except Exception as error:  # the trip failed: every call on it failed alike
            _fail(calls, error)
            return
        forgotten = []
        for c, answer in zip(calls, answers, strict=True):
            if isinstance(answer, NoScriptError) and not loaded:
                forgotten.append(c)
            elif isinstance(answer, Exception):  # an error reply: this call's alone
                _fail([c], answer)
            elif not c.answer.done():
                c.answer.set_result(answer)
        if forgotten:
            await self._load_and_send(forgotten)

    async def _trip(self, calls: list[_Call]) -> list[object]:
        """One pipeline: the calls, then the replicas' confirmation of them (if asked)."""
        replication = self._replication
        waits = replication.commands() if replication else []
        async with self._redis.pipeline(transaction=False) as pipe:
            for c in calls:
                pipe.execute_command("EVALSHA", c.script.sha, len(c.keys), *c.keys, *c.args)
            for wait in waits:
                pipe.execute_command(*wait)
            answers = await pipe.execute(raise_on_error=False)
        if replication and waits:
            replication.settle(answers[len(calls):])
        return answers[:len(calls)]

    async def confirm(self, mark: str) -> None:
        """Wait until the replicas hold every write made so far, on any connection: bump
        ``mark`` and wait for that write (replication offsets only grow)."""
        replication = self._replication
        waits = replication.commands() if replication else []
        if not replication or not waits:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.incr(mark)
            for wait in waits:
                pipe.execute_command(*wait)
            answers = await pipe.execute(raise_on_error=False)
        replication.settle(answers[1:])

    async def _load_and_send(self, calls: list[_Call]) -> None:
        """Teach Redis the scripts it had forgotten, then send their calls again."""
        try:
            for script in {c.script.sha: c.script for c in calls}.values():
                await self._redis.script_load(script.script)
        except Exception as error:
            _fail(calls, error)
            return
        await self._send(calls, loaded=True)


def _fail(calls: list[_Call], error: Exception | None) -> None:
    """Raise ``error`` to each caller still waiting (None: cancel them)."""
    for c in calls:
        if c.answer.done():
            continue
        if error is None:
            c.answer.cancel()
        else:
            c.answer.set_exception(error)


class Script:
    """One script, run by its SHA1. ``sha`` and ``script`` (the prelude, then the script's
    own text) are what a redis-py pipeline loads scripts by."""

    def __init__(self, trips: RoundTrips, name: str, source: str, prelude: str = ""):
        self._trips = trips
        self.signature = Signature.of(name, source)
        self.script = prelude + source
        self.sha = hashlib.sha1(self.script.encode()).hexdigest()

    async def __call__(self, keys: Sequence[object] = (), args: Sequence[object] = (),
                       **named: object) -> object:
        """Run the script with its keys and arguments given by name (the store's way), or
        as the KEYS and ARGV lists themselves."""
        if named:
            if keys or args:
                raise TypeError("give a script's keys and arguments by name or as lists, not both")
            keys, args = self.signature.lists(named)
        return await self._trips.run(self, keys, args)


class Scripts:
    def __init__(self, redis: Redis, replication: Replication | None = None):
        lua = files("hub.store") / "lua"
        prelude = (lua / "_lib.lua").read_text()
        trips = self.trips = RoundTrips(redis, replication)
        for name in _NAMES:
            source = (lua / f"{name}.lua").read_text()
            setattr(self, name, Script(trips, name, source, prelude))

    create_referral: Script
    transition: Script
    mark_receipt: Script
    put_blob: Script
    put_roster: Script
    put_root: Script
    claim_due: Script
    reap: Script
    advance_timer: Script
    claim_notice: Script
    delivery_report: Script
    take_send_slot: Script
    seal_audit: Script
    end_consent: Script
    narrow_consent: Script
    record_failure: Script
    release_tallies: Script
    engine_alarm: Script
    update_notice: Script
    claim_referral: Script
    put_grants: Script
    append_roster_log: Script
    replace_envelope: Script
    record_milestone: Script
    mark_gap: Script
    mark_for_review: Script
    add_action: Script
    finish_action: Script
    climb_action: Script

"""The Lua scripts behind every atomic state change, run by their SHA1 and loaded into
Redis again whenever it has forgotten them (a restart, SCRIPT FLUSH)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib.resources import files

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

_NAMES = ("create_referral", "transition", "mark_receipt", "put_blob", "put_roster", "put_root",
          "claim_due", "reap", "advance_timer", "claim_notice", "delivery_report",
          "take_send_slot", "seal_audit", "end_consent", "narrow_consent")


class Script:
    """One script: EVALSHA, and on NOSCRIPT, SCRIPT LOAD and EVALSHA again. (redis-py's
    AsyncScript does the same through two more layers per call, a few per cent of the
    submit path.) ``sha`` and ``script`` are what a redis-py pipeline loads scripts by."""

    def __init__(self, redis: Redis, script: str):
        self._redis = redis
        self.script = script
        self.sha = hashlib.sha1(script.encode()).hexdigest()

    async def __call__(self, keys: Sequence[object] = (), args: Sequence[object] = ()) -> object:
        try:
            return await self._redis.execute_command("EVALSHA", self.sha, len(keys), *keys,
                                                     *args)
        except NoScriptError:
            await self._redis.script_load(self.script)
            return await self._redis.execute_command("EVALSHA", self.sha, len(keys), *keys,
                                                     *args)


class Scripts:
    def __init__(self, redis: Redis):
        lua = files("hub.store") / "lua"
        for name in _NAMES:
            setattr(self, name, Script(redis, (lua / f"{name}.lua").read_text()))

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

"""The Lua scripts behind every atomic state change, loaded once per connection."""

from __future__ import annotations

from importlib.resources import files

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

_NAMES = ("create_referral", "transition", "mark_receipt", "put_blob", "put_roster", "put_root",
          "claim_due", "reap", "advance_timer", "claim_notice", "delivery_report",
          "take_send_slot", "seal_audit", "end_consent", "narrow_consent")


class Scripts:
    def __init__(self, redis: Redis):
        lua = files("hub.store") / "lua"
        for name in _NAMES:
            setattr(self, name, redis.register_script((lua / f"{name}.lua").read_text()))

    create_referral: AsyncScript
    transition: AsyncScript
    mark_receipt: AsyncScript
    put_blob: AsyncScript
    put_roster: AsyncScript
    put_root: AsyncScript
    claim_due: AsyncScript
    reap: AsyncScript
    advance_timer: AsyncScript
    claim_notice: AsyncScript
    delivery_report: AsyncScript
    take_send_slot: AsyncScript
    seal_audit: AsyncScript
    end_consent: AsyncScript
    narrow_consent: AsyncScript

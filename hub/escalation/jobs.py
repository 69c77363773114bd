"""The RQ jobs. Their arguments are ids only (a timer member `{referral}:{timer}` or a
notice id), never anything identifying; everything else is read from Redis."""

from __future__ import annotations

from . import runtime


def fire_timer(member: str) -> str:
    return runtime.run(lambda engine: engine.fire(member))


def deliver_notice(nid: str) -> str:
    return runtime.run(lambda engine: engine.deliver(nid))

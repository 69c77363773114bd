"""The RQ jobs. Their arguments are ids only (timer members `{referral}:{timer}` or notice
ids), never anything identifying; everything else is read from Redis. One job carries the
entries one tick claimed together (up to the ticker's chunk), run concurrently on the
process's engine, so a burst of deadlines falling due at once (business hours opening on a
Monday) is not worked through one at a time."""

from __future__ import annotations

from . import runtime


def fire_timers(members: list[str]) -> list[str]:
    return runtime.run(lambda engine: engine.each(engine.fire, members))


def deliver_notices(nids: list[str]) -> list[str]:
    return runtime.run(lambda engine: engine.each(engine.deliver, nids))

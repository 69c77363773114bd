"""The survivor's case from the command line: its timeline, put together on this device
(`hub case show`), and forwarding a referral onward with the record (`hub case forward`)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from pydantic import ValidationError

from hub.api.casefile import Forwarding
from hub.api.schemas import ReferralView
from hub.client import consent_for
from hub.client.cases import Step, Timeline, case_timeline, refer_onward
from hub.client.contents import parse_content
from hub.client.reading import as_text
from hub.display import status_name

from .output import emit, table, when
from .problems import EXIT_OK, usage
from .session import agent_session, run, zones
from .work import _check_send, _referral, _summary


def cmd_show(args: argparse.Namespace) -> int:
    async def go() -> tuple[Timeline, dict[str, str], float]:
        async with agent_session(args.home) as agent, _referral(args.rid):
            return (await case_timeline(agent, args.rid), await zones(agent.api),
                    agent.clock())

    timeline, zone, now = run(go())
    emit(args.json, _as_json(timeline, now), _as_text(timeline, zone, now))
    return EXIT_OK


def _as_text(timeline: Timeline, zone: dict[str, str], now: float) -> str:
    rows = [(when(s.at, zone[s.destination]), s.sender, s.destination, s.type,
             status_name(s.status) if s.status else "(not yours to follow)",
             _follow_up(s, now, zone[s.destination]))
            for s in timeline.steps]
    lines = [f"agencies involved: {', '.join(timeline.agencies)}", "",
             table(rows, ("SENT", "FROM", "TO", "TYPE", "STATUS", "FOLLOW-UP"))]
    lines += _milestone_lines(timeline, zone, now)
    if timeline.forwarding:
        covers = ", ".join(timeline.forwarding.covers)
        lines += ["", f"forwarded for {timeline.forwarding.purpose}; the survivor's consent "
                  f"covers: {covers}"]
    for s in timeline.steps:
        if s.content is not None:
            lines += ["", f"-- {s.sender} to {s.destination} ({s.type}) --",
                      as_text(parse_content(_bytes(s.content), s.type))]
    return "\n".join(lines)


def _follow_up(step: Step, now: float, zone: str) -> str:
    due = step.follow_up(now)
    if due == "missed":
        return f"acknowledgement MISSED (due {when(step.ack_due_at, zone)})"
    if due == "pending":
        return f"acknowledgement due {when(step.ack_due_at, zone)}"
    return ""


MILESTONE_WORDS = {"recorded": "recorded {at}", "pending": "due {at}",
                   "missed": "MISSED, a gap since {at}"}


def _milestone_lines(timeline: Timeline, zone: dict[str, str], now: float) -> list[str]:
    """Each referral's milestones this agency may know of: recorded, owed, or missed."""
    lines = []
    for s in timeline.steps:
        shown = [(m, state) for m in s.milestones if (state := m.state(now))]
        if not shown:
            continue
        lines += ["", f"milestones of {s.sender} to {s.destination} ({s.type}):"]
        for m, state in shown:
            at = {"recorded": m.at, "pending": m.due_at}.get(state, m.gap_at or m.due_at)
            lines.append(f"  {m.label} ({m.code}): "
                         + MILESTONE_WORDS[state].format(at=when(at, zone[s.destination])))
    return lines


def _bytes(content: dict[str, Any]) -> bytes:
    return json.dumps(content).encode()


def _as_json(timeline: Timeline, now: float) -> dict[str, Any]:
    return {"referral": timeline.referral, "agencies": list(timeline.agencies),
            "forwarding": timeline.forwarding.model_dump() if timeline.forwarding else None,
            "steps": [{"referral": s.referral, "from": s.sender, "to": s.destination,
                       "type": s.type, "at": s.at, "status": s.status,
                       "ack_due_at": s.ack_due_at, "follow_up": s.follow_up(now),
                       "milestones": [{"code": m.code, "label": m.label,
                                       "state": m.state(now), "at": m.at,
                                       "due_at": m.due_at, "gap_at": m.gap_at}
                                      for m in s.milestones],
                       "content": s.content} for s in timeline.steps]}


def cmd_forward(args: argparse.Namespace) -> int:
    content = _check_send(args)
    try:
        forwarding = Forwarding(purpose=args.purpose, covers=tuple(
            c.strip() for c in args.covers.split(",") if c.strip()))
    except ValidationError as e:
        raise usage(f"--purpose and --covers: {e.errors()[0]['msg']}") from None

    async def go() -> ReferralView:
        async with agent_session(args.home) as agent, _referral(args.rid):
            consent = consent_for(args.to, args.type, documented_by=args.consent_by,
                                  method=args.consent_method, days=args.consent_days,
                                  share_outcome=args.share_outcome)
            try:
                return await refer_onward(agent, args.rid, args.to, args.type, content,
                                          consent, forwarding, urgency=args.urgency)
            except ValueError as e:
                raise usage(str(e)) from None

    referral = run(go())
    emit(args.json, referral, f"forwarded: {_summary(referral)}\nwith the record of {args.rid}")
    return EXIT_OK

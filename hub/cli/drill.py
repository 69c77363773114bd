"""`hub drill`: a coordinator's drills on the real hub. `start` asks the hub for a drill,
then seals each of its steps here, on the drill sender device (a hub home of its own:
`--sender-home`, by default `drill-senders/AGENCY` inside yours; a device of the step's sending
agency, approved into its roster as any other), marked DRILL, and posts them. The hub never
holds the private key. `debrief` and `end` give the team's debrief (text or CSV); `end`
then purges every trace of the drill's referrals."""

from __future__ import annotations

import argparse
from pathlib import Path

from hub.api.schemas import DebriefView, DrillView, ReferralView, ScenarioList
from hub.client import Agent
from hub.client.drills import CannotForward, seal_steps

from .output import emit, say, table
from .problems import EXIT_OK, EXIT_REFUSED, EXIT_TRUST, Problem
from .session import api_session, home, run

BANNER = "DRILL: practice only. Every name, number and story is made up."


def _sender_home(args: argparse.Namespace, agency: str) -> Path:
    """The hub home of the drill sender device for ``agency``: ``--sender-home`` (or
    ``drill-senders`` in your own home), or its subfolder named after the agency when a
    scenario sends from several agencies."""
    base = args.sender_home or home(args.home).path / "drill-senders"
    return base / agency if (base / agency).is_dir() else base


def cmd_scenarios(args: argparse.Namespace) -> int:
    async def go() -> ScenarioList:
        async with api_session(args.home) as api:
            return await api.drill_scenarios()

    found = run(go())
    lines = [f"{x.id}: {x.title} ({len(x.steps)} step{'s' if len(x.steps) > 1 else ''}; "
             f"tells only {', '.join(x.people)})" for x in found.scenarios]
    emit(args.json, found, "\n".join(lines) or "no drill scenarios in this CCR")
    return EXIT_OK


def cmd_start(args: argparse.Namespace) -> int:
    async def go() -> tuple[DrillView, list[ReferralView]]:
        async with api_session(args.home) as api:
            found = await api.drill_scenarios()  # a coordinator's: anyone else is told so
            scenario = next((x for x in found.scenarios if x.id == args.scenario), None)
            if scenario is None:
                raise Problem(f"no drill scenario '{args.scenario}': 'hub drill scenarios' "
                              "lists them", EXIT_REFUSED, kind="unknown_scenario")
            agents = {a: (Agent(api, where.device(), where.trust()), where) for a, where in
                      ((a, home(_sender_home(args, a)))
                       for a in {x.from_agency for x in scenario.steps})}
            drill = await api.drill(args.drill) if args.drill else \
                await api.start_drill(args.scenario)
            if drill.scenario.id != args.scenario:
                raise Problem(f"drill {drill.id} is of the scenario '{drill.scenario.id}', not "
                              f"'{args.scenario}'", EXIT_REFUSED, kind="bad_drill_step")
            try:
                sent = await seal_steps(lambda agency: agents[agency][0], drill)
            except CannotForward as e:
                raise Problem(str(e), EXIT_TRUST, kind="not-a-recipient") from None
            finally:
                for agent, where in agents.values():
                    where.save_trust(agent.trust)
            return drill, sent

    drill, sent = run(go())
    say(BANNER)
    lines = [f"drill {drill.id} started: {drill.scenario.title}",
             *(f"  sent {r.id[:8]} to {r.destination} ({r.type}, {r.urgency})" + (
                 f", forwarded by {x.from_agency} onward from step {x.onward_from}"
                 if x.onward_from else "") for x, r in zip(drill.scenario.steps, sent,
                                                           strict=True)),
             f"notices go only to {', '.join(drill.scenario.people)}",
             f"debrief: hub drill debrief {drill.id}; end and purge: hub drill end {drill.id}"]
    emit(args.json, {"drill": drill.model_dump(mode="json"),
                     "referrals": [r.model_dump(mode="json") for r in sent]}, "\n".join(lines))
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    async def go():
        async with api_session(args.home) as api:
            return await api.drills()

    found = run(go())
    rows = [(d.id, d.scenario.id, d.started_by, str(len(d.referrals))) for d in found.drills]
    emit(args.json, found, table(rows, ("DRILL", "SCENARIO", "STARTED BY", "REFERRALS"))
         if rows else "no drill under way")
    return EXIT_OK


def describe(debrief: DebriefView) -> str:
    rows = [(str(m.step), m.referral[:8], m.what, m.who, f"+{m.after_sent:.0f}s",
             f"+{m.after_previous:.0f}s", m.detail) for m in debrief.moments]
    out = [f"{BANNER}", f"debrief of drill {debrief.drill} ({debrief.scenario})",
           table(rows, ("STEP", "REF", "WHAT", "WHO", "AFTER SENT", "AFTER LAST", "DETAIL")),
           f"finished by: {', '.join(debrief.finishers) or 'no one acknowledged'}",
           f"the ladder went past a rung {debrief.past_rungs} time(s)"]
    return "\n".join(out)


def _save_csv(path: Path | None, text: str) -> None:
    if path is not None:
        path.write_text(text)
        say(f"debrief saved as CSV: {path}")


def cmd_debrief(args: argparse.Namespace) -> int:
    async def go() -> tuple[DebriefView, str]:
        async with api_session(args.home) as api:
            return await api.drill_debrief(args.drill), await api.drill_debrief_csv(args.drill)

    debrief, csv = run(go())
    _save_csv(args.csv, csv)
    emit(args.json, debrief, describe(debrief))
    return EXIT_OK


def cmd_end(args: argparse.Namespace) -> int:
    async def go() -> tuple[DebriefView, str]:
        async with api_session(args.home) as api:
            csv = await api.drill_debrief_csv(args.drill)
            return await api.end_drill(args.drill), csv

    debrief, csv = run(go())
    _save_csv(args.csv, csv)
    emit(args.json, debrief, describe(debrief) + f"\ndrill {args.drill} ended: its referrals "
         "are purged from the hub")
    return EXIT_OK

"""`hub schedule`: an agency's on-duty coverage from the command line: who is on duty now,
the layers, overrides and away periods, the gaps of the coming week; and an agency
admin's live changes (override, away, remove), through the hub's API."""

from __future__ import annotations

import argparse

from hub.api.schemas import ScheduleEntry, ScheduleView
from hub.display import code_name

from .output import emit, table
from .problems import EXIT_OK
from .session import api_session, run

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


async def _own_agency(api, agency: str | None) -> str:
    return agency or (await api.me()).agency


def _days(days: list[int]) -> str:
    return "every day" if len(days) == 7 else ", ".join(DAYS[d] for d in days)


def _entries(rows: list[ScheduleEntry], duty: bool) -> str:
    if not rows:
        return "  none"
    lines = [(e.id, e.person, *((code_name(e.duty or ""),) if duty else ()),
              e.from_.replace("T", " "), e.until.replace("T", " "),
              "schedules.toml" if e.source == "file" else f"live, by {e.by}") for e in rows]
    heads = ("ID", "PERSON", *(("DUTY",) if duty else ()), "FROM", "UNTIL", "SET IN")
    return "\n".join("  " + line for line in table(lines, heads).splitlines())


def describe(view: ScheduleView) -> str:
    out = [f"{view.agency} (times in {view.timezone})"]
    if view.fixed is not None:
        backups = ", ".join(view.fixed.backups) or "none"
        out.append(f"no schedule: point person {view.fixed.point_person}, backups {backups} "
                   "(people.toml)")
    for group in view.groups:
        now = group.on_duty
        out.append(f"{', '.join(group.types)}: on duty now: point person "
                   f"{now.point_person or 'no one'}; backups {', '.join(now.backups) or 'none'}")
        for layer in group.layers:
            out.append(f"  layer {layer.name} ({code_name(layer.duty)}): "
                       f"{', '.join(layer.people)} in {layer.turn_days}-day turns from "
                       f"{layer.starts.replace('T', ' ')}; {_days(layer.days)} "
                       f"{layer.from_}-{layer.until}; holidays: {layer.holidays}"
                       + (f"; left the agency: {', '.join(layer.left)} (their turns are "
                          "gaps until schedules.toml changes)" if layer.left else ""))
    if view.groups:
        out += ["overrides:", _entries(view.overrides, True), "away:",
                _entries(view.away, False), gap_lines(view)]
    return "\n".join(out)


def gap_lines(view: ScheduleView) -> str:
    if not view.groups:
        return f"{view.agency} has no schedule, so no gaps: its point person is fixed"
    if not view.gaps:
        return "gaps in the next 7 days: none"
    return "gaps in the next 7 days:\n" + "\n".join(f"  {g.text}" for g in view.gaps)


def cmd_show(args: argparse.Namespace) -> int:
    async def go() -> ScheduleView:
        async with api_session(args.home) as api:
            return await api.schedule(await _own_agency(api, args.agency))

    view = run(go())
    emit(args.json, view, describe(view))
    return EXIT_OK


def cmd_gaps(args: argparse.Namespace) -> int:
    async def go() -> ScheduleView:
        async with api_session(args.home) as api:
            return await api.schedule(await _own_agency(api, args.agency))

    view = run(go())
    emit(args.json, view.gaps, gap_lines(view))
    return EXIT_OK


def cmd_override(args: argparse.Namespace) -> int:
    async def go() -> ScheduleEntry:
        async with api_session(args.home) as api:
            return await api.add_override(args.agency, args.person, args.start, args.until,
                                          args.duty)

    entry = run(go())
    emit(args.json, entry, f"{entry.person} is {code_name(entry.duty or '')} at "
         f"{args.agency} from {entry.from_.replace('T', ' ')} until "
         f"{entry.until.replace('T', ' ')} (override {entry.id})")
    return EXIT_OK


def cmd_away(args: argparse.Namespace) -> int:
    async def go() -> tuple[str, ScheduleEntry]:
        async with api_session(args.home) as api:
            agency = await _own_agency(api, args.agency)
            return agency, await api.add_away(agency, args.person, args.start, args.until)

    agency, entry = run(go())
    emit(args.json, entry, f"{entry.person} is away from {entry.from_.replace('T', ' ')} "
         f"until {entry.until.replace('T', ' ')}: not on duty at {agency} (away {entry.id})")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    async def go():
        async with api_session(args.home) as api:
            return await api.remove_schedule_entry(args.agency, args.entry)

    removed = run(go())
    emit(args.json, removed, f"removed {removed.removed} from {args.agency}'s schedule")
    return EXIT_OK

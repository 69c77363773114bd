"""`hub mdt`: the team meeting's case review from the command line: the agenda for a
meeting day (CSV, or a table), and `hub milestone` to record a milestone reached. Codes and
references only, as the hub gives them."""

from __future__ import annotations

import argparse
import sys

from hub.api.mdt import MAX_LIMIT, agenda_csv
from hub.display import code_name

from .output import emit, table
from .problems import EXIT_OK
from .session import api_session, run


def cmd_agenda(args: argparse.Namespace) -> int:
    async def go():
        async with api_session(args.home) as api:  # every page, one after another
            first = page = await api.mdt_agenda(args.date, args.agency, 1, MAX_LIMIT)
            items = list(first.items)
            while page.next is not None:
                page = await api.mdt_agenda(args.date, args.agency, page.page + 1, MAX_LIMIT)
                items += page.items
            return first.model_copy(update={"items": items, "page": 1, "pages": 1,
                                            "next": None})

    agenda = run(go())
    if args.csv and not args.json:
        sys.stdout.write(agenda_csv(agenda))
        return EXIT_OK
    rows = [(r.reference, r.from_agency, r.to_agency, r.type, code_name(r.status),
             ", ".join(r.reasons), " ".join(r.gaps) or "-", str(len(r.actions)))
            for r in agenda.items]
    emit(args.json, agenda.model_dump(mode="json"),
         f"case review {agenda.date.isoformat()}"
         f"{f' ({args.agency})' if args.agency else ''}: {len(rows)} referrals\n" + table(
             rows, ("REF", "FROM", "TO", "TYPE", "STATUS", "WHY", "GAPS", "ACTIONS")))
    return EXIT_OK


def cmd_milestone(args: argparse.Namespace) -> int:
    async def go():
        async with api_session(args.home) as api:
            return await api.record_milestone(args.rid, args.code)

    kept = run(go())
    emit(args.json, kept.model_dump(mode="json"),
         f"milestone {kept.code} recorded on {args.rid}"
         f"{'' if kept.in_time else ' (after its deadline: it stays counted as missed)'}")
    return EXIT_OK

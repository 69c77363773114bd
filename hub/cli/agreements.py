"""`hub agreements check FROM TO TYPE`: what the CCR's sharing agreements allow, answered
from the configuration alone (the same rule the hub applies when routing)."""

from __future__ import annotations

import argparse

from hub.routing.ccr import load_ccr

from .output import emit
from .problems import EXIT_OK, EXIT_REFUSED, Problem, not_found
from .settings import settings_from


def cmd_check(args: argparse.Namespace) -> int:
    ccr = load_ccr(settings_from(args).ccr_dir)
    for agency in (args.from_agency, args.to_agency):
        if ccr.find_agency(agency) is None:
            raise not_found(f"no agency '{agency}' in {settings_from(args).ccr_dir}; see "
                            "agencies.toml for the ids")
    if ccr.referral_type(args.type) is None:
        raise not_found(f"unknown referral type '{args.type}'; known: "
                        f"{', '.join(t.code for t in ccr.referral_types)}")
    agreement = ccr.agreement(args.from_agency, args.to_agency, args.type)
    if agreement is None:
        raise Problem(f"refused: no sharing agreement lets {args.from_agency} send "
                      f"'{args.type}' to {args.to_agency}", EXIT_REFUSED)
    doc = {"allowed": True, "from": args.from_agency, "to": args.to_agency, "type": args.type,
           "status_flows_back": agreement.status_flows_back,
           "outcome_flows_back": agreement.outcome_flows_back,
           "retain_after_close": str(agreement.retain_after_close)}
    flows = {True: "flows", False: "does not flow"}
    emit(args.json, doc, f"allowed: {args.from_agency} may send '{args.type}' to "
         f"{args.to_agency}; status {flows[agreement.status_flows_back]} back, outcome "
         f"{flows[agreement.outcome_flows_back]} back; content kept "
         f"{agreement.retain_after_close} after closing")
    return EXIT_OK

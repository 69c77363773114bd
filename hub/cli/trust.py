"""Partner agencies' roots on this computer: pin one after comparing the fingerprint its
agency read out, or import every root of the pin bundle your agency admin signed, checked
against your own agency's one fingerprint."""

from __future__ import annotations

import argparse
import base64
from datetime import UTC, datetime

from hub.crypto import TrustError, open_pin_bundle, short_fingerprint

from .output import emit, table
from .problems import EXIT_OK, EXIT_TRUST, Problem, not_found
from .session import api_session, home, run


def cmd_pin(args: argparse.Namespace) -> int:
    """Pin a partner agency's root: the hub offers the key, the fingerprint decides."""
    async def offered() -> bytes:
        async with api_session(args.home) as api:
            listed = {a.id: a for a in await api.agencies()}
        if args.agency not in listed:
            raise not_found(f"no agency '{args.agency}' on this hub; known: "
                            f"{', '.join(sorted(listed))}")
        root = listed[args.agency].root_public_key
        if not root:
            raise not_found(f"the hub has no root key for '{args.agency}' yet: its operator "
                            "registers it first")
        return base64.b64decode(root)

    public = run(offered())
    store = home(args.home).trust()
    try:
        store.pin(args.agency, public, fingerprint=args.fingerprint)
    except TrustError as e:
        raise Problem(f"NOT pinned: {e}. Call the agency on a number you know and compare "
                      "again.", EXIT_TRUST, kind=e.reason) from None
    home(args.home).save_trust(store)
    emit(args.json, {"agency": args.agency, "fingerprint": short_fingerprint(public)},
         f"pinned {args.agency} ({short_fingerprint(public)})")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    store = home(args.home).trust()
    rows = [(agency, short_fingerprint(root),
             str(store.rosters[agency].version) if agency in store.rosters else "-")
            for agency, root in sorted(store.roots.items())]
    emit(args.json, [dict(zip(("agency", "fingerprint", "roster_version"), r, strict=True))
                     for r in rows],
         table(rows, ("AGENCY", "FINGERPRINT", "ROSTER")) if rows else "no agencies pinned")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Check the bundle against the fingerprint first; then pin all of its roots, or none."""
    try:
        data = args.bundle.read_bytes()
        bundle = open_pin_bundle(data, args.fingerprint)
        store = home(args.home).trust()
        new = store.pin_all(bundle.pins)
    except TrustError as e:
        raise Problem(f"NOT imported: {e}. Ask your agency admin to read you your agency's "
                      "fingerprint again.", EXIT_TRUST, kind=e.reason) from None
    home(args.home).save_trust(store)
    made = datetime.fromtimestamp(bundle.issued_at, UTC).strftime("%Y-%m-%d")
    emit(args.json, {"from": bundle.agency, "issued_at": bundle.issued_at, "pinned": new,
                     "already_pinned": sorted(set(bundle.pins) - set(new))},
         f"imported {bundle.agency}'s pin bundle of {made}: pinned {len(new)} agencies"
         + (f" ({', '.join(new)})" if new else "") + f"; {len(bundle.pins) - len(new)} were "
         "already pinned")
    return EXIT_OK

"""A person's own set-up: sign in to the hub, create this computer's device keys, install
the certificate their agency admin issued, and pin partner agencies' roots by fingerprint."""

from __future__ import annotations

import argparse
import base64
import getpass
import json
import os
import sys

from hub.crypto import (
    DeviceIdentity,
    DeviceKeys,
    TrustError,
    export_device_keys,
    import_device_keys,
    parse_certificate,
    short_fingerprint,
)

from .home import passphrase, write_private
from .output import emit, table
from .problems import EXIT_OK, EXIT_TRUST, Problem
from .session import api_session, home, run


def cmd_login(args: argparse.Namespace) -> int:
    token = os.environ.get("HUB_TOKEN") or (
        sys.stdin.readline().strip() if not sys.stdin.isatty()
        else getpass.getpass("API token (from your agency admin): ").strip())
    if not token.startswith("ccr_"):
        raise Problem("that is not a hub API token (they start with 'ccr_')")
    home().save_login(args.url, token)
    print(f"signed in to {args.url}; token kept in {home().path / 'token'} (mode 0600)")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    where = home()
    keys = DeviceKeys.generate()
    write_private(where.device_key, export_device_keys(keys, passphrase()))
    request = {"agency": args.agency, "person": args.person,
               "device_id": os.urandom(16).hex(),
               "box_public": base64.b64encode(keys.box_public).decode(),
               "sign_public": base64.b64encode(keys.sign_public).decode()}
    out = where.path / "device-request.json"
    out.write_text(json.dumps(request, indent=2) + "\n")
    print(f"device keys created in {where.device_key} (mode 0600; they never leave here)")
    print(f"send {out} to your agency admin to approve; device fingerprint "
          f"{short_fingerprint(keys.sign_public)}")
    return EXIT_OK


def cmd_install(args: argparse.Namespace) -> int:
    where = home()
    try:
        cert = parse_certificate(base64.b64decode(args.certificate.read_text()))
        keys = import_device_keys(where.device_key.read_bytes(), passphrase())
        DeviceIdentity(keys, cert)
    except OSError as e:
        raise Problem(f"cannot read {e.filename}: {e.strerror}") from None
    except (TrustError, ValueError):
        raise Problem("that certificate is not for this device's keys", EXIT_TRUST) from None
    where.device_cert.write_text(base64.b64encode(cert.raw).decode() + "\n")
    print(f"device approved for {cert.person} at {cert.agency}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    device = home().device()
    cert = device.certificate
    data = {"agency": cert.agency, "person": cert.person, "device_id": cert.device_id.hex(),
            "fingerprint": short_fingerprint(cert.sign_public), "expires_at": cert.expires_at}
    emit(args.json, data, "\n".join(f"{k:<12} {v}" for k, v in data.items()))
    return EXIT_OK


def cmd_pin(args: argparse.Namespace) -> int:
    """Pin a partner agency's root: the hub offers the key, the fingerprint decides."""
    async def offered() -> bytes:
        async with api_session() as api:
            listed = {a.id: a for a in await api.agencies()}
        if args.agency not in listed or not listed[args.agency].root_public_key:
            raise Problem(f"the hub has no root key for '{args.agency}'")
        return base64.b64decode(listed[args.agency].root_public_key)

    public = run(offered())
    store = home().trust()
    try:
        store.pin(args.agency, public, fingerprint=args.fingerprint)
    except TrustError as e:
        raise Problem(f"NOT pinned: {e}. Call the agency and compare again.", EXIT_TRUST) \
            from None
    home().save_trust(store)
    print(f"pinned {args.agency} ({short_fingerprint(public)})")
    return EXIT_OK


def cmd_pins(args: argparse.Namespace) -> int:
    store = home().trust()
    rows = [(agency, short_fingerprint(root),
             str(store.rosters[agency].version) if agency in store.rosters else "-")
            for agency, root in sorted(store.roots.items())]
    emit(args.json, [dict(zip(("agency", "fingerprint", "roster_version"), r, strict=True))
                     for r in rows],
         table(rows, ("AGENCY", "FINGERPRINT", "ROSTER")) if rows else "no agencies pinned")
    return EXIT_OK

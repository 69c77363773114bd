"""An agency admin's key work, done on their own computer: create the agency's offline root
key, show its fingerprint, approve a colleague's device, and sign and publish the roster.
The root key file never goes near the hub."""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

from hub.client.rosters import escalation_groups, roster_people
from hub.clock import SystemClock
from hub.crypto import (
    AgencyRoot,
    export_agency_root,
    import_agency_root,
    make_roster,
    numeric_fingerprint,
    parse_certificate,
    short_fingerprint,
)
from hub.crypto.certificates import issue_certificate
from hub.routing.directory import load_ccr

from .home import passphrase, write_private
from .output import say
from .problems import EXIT_OK, Problem
from .session import api_session, run
from .settings import settings_from


def _load_root(path: Path) -> AgencyRoot:
    if not path.exists():
        raise Problem(f"no root key file at {path}; create one with 'hub agency init'")
    return import_agency_root(path.read_bytes(), passphrase())


def print_fingerprints(public: bytes) -> None:
    digits = numeric_fingerprint(public)
    groups = " ".join(digits[i:i + 5] for i in range(0, len(digits), 5))
    print(f"short fingerprint:   {short_fingerprint(public)}")
    print(f"read-aloud form:     {groups}")


def cmd_init(args: argparse.Namespace) -> int:
    root = AgencyRoot.generate()
    write_private(args.out, export_agency_root(root, passphrase()))
    public = base64.b64encode(root.public).decode()
    print(f"agency root key for {args.agency} written to {args.out} (mode 0600; keep it offline)")
    print(f"public key:          {public}")
    print_fingerprints(root.public)
    say(f"Next: the hub operator runs 'hub admin register-root {args.agency} {public}', and "
        "partner agencies pin the short fingerprint you read them.")
    return EXIT_OK


def cmd_fingerprint(args: argparse.Namespace) -> int:
    print_fingerprints(_load_root(args.root).public)
    return EXIT_OK


def cmd_approve(args: argparse.Namespace) -> int:
    root = _load_root(args.root)
    try:
        request = json.loads(args.request.read_text())
        fields = {k: request[k] for k in ("agency", "person", "device_id", "box_public",
                                          "sign_public")}
    except (OSError, ValueError, KeyError, TypeError):
        raise Problem(f"{args.request} is not a device request made by 'hub device init'") \
            from None
    if fields["agency"] != args.agency:
        raise Problem(f"that device is for {fields['agency']}, not {args.agency}")
    now = int(SystemClock().now())
    cert = issue_certificate(
        root, agency=fields["agency"], person=fields["person"],
        device_id=bytes.fromhex(fields["device_id"]),
        box_public=base64.b64decode(fields["box_public"]),
        sign_public=base64.b64decode(fields["sign_public"]),
        issued_at=now - 60, expires_at=now + args.days * 86400)
    args.out.write_text(base64.b64encode(cert.raw).decode() + "\n")
    print(f"approved {fields['person']}'s device {fields['device_id']} for {args.days} days: "
          f"{args.out}")
    print(f"device fingerprint: {short_fingerprint(cert.sign_public)} (compare with the "
          "person's 'hub device show')")
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    root = _load_root(args.root)
    ccr = load_ccr(settings_from(args).ccr_dir)
    if ccr.find_agency(args.agency) is None:
        raise Problem(f"{args.agency} is not an agency of this CCR ({args.config or 'default'})")
    certs = []
    for path in args.certs:
        try:
            certs.append(parse_certificate(base64.b64decode(path.read_text())))
        except (OSError, ValueError):
            raise Problem(f"{path} is not a device certificate from 'hub agency approve'") \
                from None

    async def go() -> int:
        async with api_session() as api:
            listed = {a.id: a for a in await api.agencies()}
            version = (listed[args.agency].roster_version or 0) + 1
            now = int(SystemClock().now())
            signed = make_roster(root, agency=args.agency, version=version, issued_at=now - 60,
                                 expires_at=now + args.days * 86400,
                                 people=roster_people(ccr, args.agency), devices=certs,
                                 groups=escalation_groups(ccr, args.agency))
            await api.publish_roster(args.agency, signed.to_json())
            return version

    version = run(go())
    print(f"published roster version {version} of {args.agency} with {len(certs)} device(s)")
    return EXIT_OK

"""The agency's recovery key (docs/operations.md, "The recovery key"): made once by the
agency admin with the root, kept offline like it, listed in the roster as a device of the
person 'recovery' so that every envelope of the agency is also sealed to it, and used only
to break glass: hand open referrals to new devices when no device of the group can."""

from __future__ import annotations

import argparse
import base64
import os
from pathlib import Path

from hub.client import Agent
from hub.crypto import (
    DeviceIdentity,
    EnvelopeError,
    TrustError,
    certify_device,
    export_device_keys,
    import_device_keys,
    parse_certificate,
    short_fingerprint,
)
from hub.crypto.keys import DeviceKeys
from hub.crypto.rosters import RECOVERY

from .agency import _load_root, _now
from .home import new_passphrase, unlock, write_private
from .output import confirm, emit, say
from .problems import EXIT_OK, EXIT_TRUST, EXIT_USAGE, Problem
from .session import api_session, home, run

YEARS = 10


def cmd_recovery_key(args: argparse.Namespace) -> int:
    root = _load_root(args.root)
    key_file, cert_file = args.out / f"{args.agency}-recovery.key", \
        args.out / f"{args.agency}-recovery.cert"
    if key_file.exists():
        raise Problem(f"{key_file} already exists: an agency has one recovery key; move it "
                      "away first to make a new one (and remove the old from the roster)")
    secret = new_passphrase("recovery key", none=args.no_passphrase)
    keys = DeviceKeys.generate()
    now = _now()
    cert = certify_device(root, keys, agency=args.agency, person=RECOVERY,
                          device_id=os.urandom(16), issued_at=now - 60,
                          expires_at=now + YEARS * 365 * 86400)
    args.out.mkdir(parents=True, exist_ok=True)
    write_private(key_file, export_device_keys(keys, secret))
    cert_file.write_text(base64.b64encode(cert.raw).decode() + "\n")
    emit(args.json, {"key_file": str(key_file), "certificate": str(cert_file),
                     "fingerprint": short_fingerprint(keys.sign_public)},
         f"recovery key for {args.agency}: {key_file} (mode 0600) and its certificate "
         f"{cert_file}\nNext: 'hub agency publish {cert_file} --root {args.root} --agency "
         f"{args.agency}' so every referral is also sealed to it; then take {key_file} "
         "offline (docs/operations.md, 'The recovery key').")
    return EXIT_OK


def _recovery(key: Path, cert: Path) -> DeviceIdentity:
    try:
        certificate = parse_certificate(base64.b64decode(cert.read_text()))
    except (OSError, ValueError, UnicodeDecodeError):
        raise Problem(f"{cert} is not the recovery key's certificate") from None
    if certificate.person != RECOVERY:
        raise Problem(f"{cert} is a device of {certificate.person}, not the recovery key")
    try:
        return DeviceIdentity(unlock(key, import_device_keys), certificate)
    except TrustError as e:
        if "passphrase" in e.reason:
            raise
        raise Problem("that certificate is not for this recovery key", EXIT_TRUST) from None


def cmd_recover(args: argparse.Namespace) -> int:
    """Break glass: grant open referrals with the recovery key, after the admin confirms;
    audited, and the coordinators are told (content-free)."""
    if bool(args.all) == bool(args.rids):
        raise Problem("name the referrals to hand on, or --all for every open one",
                      EXIT_USAGE)
    device = _recovery(args.key, args.cert)

    async def go() -> dict[str, int]:
        async with api_session(args.home) as api:
            agent = Agent(api, device, home(args.home).trust())
            rids = args.rids or await agent._open_referrals()
            say(f"the recovery key will hand {len(rids)} open referral(s) of "
                f"{device.certificate.agency} to the group's devices that cannot read them; "
                "this is audited and the CCR's coordinators are told")
            confirm("Use the recovery key now?", yes=args.yes)
            tally = {"granted": 0, "readable": 0, "not_mine": 0}
            for rid in rids:
                try:
                    stored = await agent.grant(rid)
                    tally["granted" if stored else "readable"] += 1
                except EnvelopeError:
                    tally["not_mine"] += 1
            home(args.home).save_trust(agent.trust)
            return tally

    tally = run(go())
    emit(args.json, tally, f"handed on {tally['granted']} referral(s) with the recovery key; "
         f"{tally['readable']} were already readable; {tally['not_mine']} were sealed before "
         "the recovery key was on the roster (ask the sender to send them again)")
    return EXIT_OK

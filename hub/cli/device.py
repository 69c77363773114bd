"""A person's own set-up: sign in to the hub, create this computer's device keys (encrypted
under a passphrase, as ssh-keygen does), and install the certificate their agency admin
issued."""

from __future__ import annotations

import argparse
import base64
import getpass
import json
import os
import sys

from hub.api.schemas import Me
from hub.client import HubApi
from hub.crypto import (
    DeviceIdentity,
    DeviceKeys,
    EnvelopeError,
    TrustError,
    export_device_keys,
    import_device_keys,
    parse_certificate,
    short_fingerprint,
)
from hub.display import local_time

from .home import new_passphrase, unlock, write_private
from .output import emit, say
from .problems import EXIT_OK, EXIT_SIGN_IN, EXIT_TRUST, EXIT_USAGE, Problem
from .session import agent_session, home, run


def _token() -> str:
    token = os.environ.get("HUB_TOKEN") or (
        sys.stdin.readline().strip() if not sys.stdin.isatty()
        else getpass.getpass("API token (from your agency admin): ").strip())
    if not token.startswith("ccr_"):
        raise Problem("that is not a hub API token (they start with 'ccr_'): paste the one "
                      "your agency admin gave you", EXIT_SIGN_IN)
    return token


def cmd_login(args: argparse.Namespace) -> int:
    """Keep the address and the token once the hub has said whose the token is."""
    token = _token()
    where = home(args.home)

    async def who() -> Me:
        async with HubApi(args.url, token) as api:
            return await api.me()

    me = run(who())
    where.save_login(args.url, token)
    emit(args.json, {"url": args.url.rstrip("/"), **me.model_dump()},
         f"signed in to {args.url} as {me.name} ({me.person}) of {me.agency_name}; token "
         f"kept in {where.path / 'token'} (mode 0600)")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    where = home(args.home)
    if where.device_key.exists():
        raise Problem(f"{where.device_key} already exists: this computer has device keys "
                      "('hub device show'); move it away first to make new ones")
    secret = new_passphrase("device key", none=args.no_passphrase)
    keys = DeviceKeys.generate()
    write_private(where.device_key, export_device_keys(keys, secret))
    request = {"agency": args.agency, "person": args.person,
               "device_id": os.urandom(16).hex(),
               "box_public": base64.b64encode(keys.box_public).decode(),
               "sign_public": base64.b64encode(keys.sign_public).decode()}
    out = where.path / "device-request.json"
    out.write_text(json.dumps(request, indent=2) + "\n")
    fingerprint = short_fingerprint(keys.sign_public)
    protected = "encrypted under your passphrase" if secret else "NOT encrypted"
    emit(args.json, {"key_file": str(where.device_key), "request": str(out),
                     "fingerprint": fingerprint, "encrypted": secret is not None},
         f"device keys created in {where.device_key} (mode 0600, {protected}; they never "
         f"leave here)\nsend {out} to your agency admin and read them this device "
         f"fingerprint: {fingerprint}")
    return EXIT_OK


def cmd_install(args: argparse.Namespace) -> int:
    where = home(args.home)
    if not where.device_key.exists():
        raise Problem("this computer has no device key yet: run 'hub device init' first")
    try:
        cert = parse_certificate(base64.b64decode(args.certificate.read_text()))
    except (ValueError, UnicodeDecodeError):
        raise Problem(f"{args.certificate} is not a device certificate from 'hub agency "
                      "approve'", EXIT_TRUST) from None
    try:
        DeviceIdentity(unlock(where.device_key, import_device_keys), cert)
    except TrustError as e:
        if "passphrase" in e.reason:
            raise
        raise Problem("that certificate is not for this device's keys", EXIT_TRUST) from None
    where.device_cert.write_text(base64.b64encode(cert.raw).decode() + "\n")
    emit(args.json, {"agency": cert.agency, "person": cert.person},
         f"device approved for {cert.person} at {cert.agency}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    device = home(args.home).device()
    cert = device.certificate
    data = {"agency": cert.agency, "person": cert.person, "device_id": cert.device_id.hex(),
            "fingerprint": short_fingerprint(cert.sign_public), "expires_at": cert.expires_at}
    shown = {**data, "expires_at": local_time(cert.expires_at, "UTC")}
    emit(args.json, data, "\n".join(f"{k:<12} {v}" for k, v in shown.items()))
    return EXIT_OK


def cmd_grant(args: argparse.Namespace) -> int:
    """Hand open referrals this device can read to the devices of its group approved after
    they were sealed (a new backup, a replaced phone): key grants, docs/envelope.md."""
    if bool(args.all) == bool(args.rid):
        raise Problem("name one referral, or --all for every open referral of your inbox",
                      EXIT_USAGE)

    async def go() -> dict[str, int]:
        async with agent_session(args.home) as agent:
            if args.rid:
                try:
                    stored = await agent.grant(args.rid)
                except EnvelopeError:
                    raise Problem(f"this device was not sealed to {args.rid}, so it has no "
                                  "key to hand on; ask a colleague whose device can open it, "
                                  "or your agency admin (recovery key)", EXIT_TRUST) from None
                return {"granted": int(bool(stored)), "readable": int(not stored),
                        "not_mine": 0, "grants": stored}
            return await agent.grant_all(progress=None if args.json else _progress)

    tally = run(go())
    emit(args.json, tally,
         f"handed on {tally['granted']} referral(s) to new devices; {tally['readable']} "
         f"already readable by every device of the group; {tally['not_mine']} this device "
         "cannot open (another device or the recovery key must grant those)")
    return EXIT_OK


def _progress(done: int, total: int) -> None:
    if done == total or done % 50 == 0:
        say(f"  {done}/{total} referrals checked")

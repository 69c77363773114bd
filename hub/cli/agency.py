"""An agency admin's key work, done on their own computer: create the agency's offline root
key, show its fingerprint, approve a colleague's device once its fingerprint is read back,
sign and publish the roster (keeping the devices it has), and sign a pin bundle for
colleagues. The root key file never goes near the hub."""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

from hub.client import NotFound
from hub.client.rosters import (
    RosterChange,
    certified_by,
    escalation_groups,
    plan_roster,
    roster_people,
)
from hub.clock import SystemClock
from hub.crypto import (
    AgencyRoot,
    DeviceCertificate,
    SignedRoster,
    export_agency_root,
    import_agency_root,
    make_pin_bundle,
    make_roster,
    numeric_fingerprint,
    parse_certificate,
    short_fingerprint,
)
from hub.crypto.certificates import issue_certificate
from hub.crypto.rosters import ListedDevices, listed_devices
from hub.routing.ccr import load_ccr

from .home import new_passphrase, unlock, write_private
from .output import confirm, emit, say
from .problems import EXIT_OK, EXIT_TRUST, Problem, not_found
from .qr import save_png, terminal_art
from .session import api_session, home, run
from .settings import settings_from


def _now() -> int:
    return int(SystemClock().now())


def _load_root(path: Path) -> AgencyRoot:
    if not path.exists():
        raise Problem(f"no root key file at {path}; create one with 'hub agency init'")
    return unlock(path, import_agency_root)


def fingerprints(public: bytes) -> dict[str, str]:
    return {"short": short_fingerprint(public), "read_aloud": numeric_fingerprint(public)}


def fingerprint_lines(public: bytes) -> str:
    prints = fingerprints(public)
    return (f"short fingerprint:   {prints['short']}\n"
            f"read-aloud form:     {prints['read_aloud']}")


def cmd_init(args: argparse.Namespace) -> int:
    secret = new_passphrase("agency root key", none=args.no_passphrase)
    root = AgencyRoot.generate()
    write_private(args.out, export_agency_root(root, secret))
    public = base64.b64encode(root.public).decode()
    emit(args.json, {"agency": args.agency, "root_key_file": str(args.out),
                     "public_key": public, "fingerprint": fingerprints(root.public)},
         f"agency root key for {args.agency} written to {args.out} (mode 0600; keep it "
         f"offline)\npublic key:          {public}\n{fingerprint_lines(root.public)}")
    say(f"Next: the hub operator runs 'hub admin register-root {args.agency} {public}', and "
        "partner agencies pin the fingerprint you read them.")
    return EXIT_OK


def cmd_fingerprint(args: argparse.Namespace) -> int:
    public = _load_root(args.root).public
    emit(args.json, fingerprints(public), fingerprint_lines(public))
    return EXIT_OK


def _request(path: Path) -> dict[str, str]:
    try:
        request = json.loads(path.read_text())
        fields = {k: request[k] for k in ("agency", "person", "device_id", "box_public",
                                          "sign_public")}
        for name in ("box_public", "sign_public"):
            if len(base64.b64decode(fields[name], validate=True)) != 32:
                raise ValueError(name)
        if len(bytes.fromhex(fields["device_id"])) != 16:
            raise ValueError("device_id")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Problem(f"{path} is not a device request made by 'hub device init' or the "
                      "device page") from None
    return fields


def cmd_approve(args: argparse.Namespace) -> int:
    """The fingerprint first: the person reads theirs aloud, the admin compares, and only
    then is the certificate issued."""
    fields = _request(args.request)
    if fields["agency"] != args.agency:
        raise Problem(f"that device is for {fields['agency']}, not {args.agency}")
    sign_public = base64.b64decode(fields["sign_public"])
    say(f"device request from {fields['person']} at {fields['agency']}, device "
        f"{fields['device_id']}\ndevice fingerprint:  {short_fingerprint(sign_public)}")
    confirm(f"Does {fields['person']} read you exactly this fingerprint (from 'hub device "
            "init' or their device page)?", yes=args.yes)
    root = _load_root(args.root)
    now = _now()
    cert = issue_certificate(
        root, agency=fields["agency"], person=fields["person"],
        device_id=bytes.fromhex(fields["device_id"]),
        box_public=base64.b64decode(fields["box_public"]), sign_public=sign_public,
        issued_at=now - 60, expires_at=now + args.days * 86400)
    args.out.write_text(base64.b64encode(cert.raw).decode() + "\n")
    emit(args.json, {"certificate": str(args.out), "person": cert.person,
                     "device_id": fields["device_id"],
                     "fingerprint": short_fingerprint(sign_public), "days": args.days},
         f"approved {fields['person']}'s device for {args.days} days: {args.out}\nNext: "
         f"'hub agency publish {args.out} --root {args.root} --agency {args.agency}'")
    return EXIT_OK


def _certificates(paths: list[Path], agency: str, root: AgencyRoot) -> list[DeviceCertificate]:
    certs = []
    for path in paths:
        try:
            cert = parse_certificate(base64.b64decode(path.read_text()))
        except (ValueError, UnicodeDecodeError):
            raise Problem(f"{path} is not a device certificate from 'hub agency approve'") \
                from None
        if cert.agency != agency or not certified_by(cert, root.public, _now()):
            raise Problem(f"{path} was not issued by {agency}'s root key (or it has "
                          "expired): approve the device again with this root", EXIT_TRUST)
        certs.append(cert)
    return certs


async def _listed(api, agency: str, root: AgencyRoot) -> ListedDevices | None:
    try:
        view = await api.roster(agency)
    except NotFound:
        return None  # nothing published yet
    signed = SignedRoster.from_json({"roster": view.roster, "signature": view.signature})
    return listed_devices(signed, root.public, agency=agency, now=_now())


def _show(change: RosterChange, agency: str, unreached: list[str]) -> None:
    say(f"roster of {agency}: version {change.version - 1} -> {change.version}")
    say("\n".join(change.lines()) or "  (no devices)")
    if change.lapsed:
        say("  lapsed devices (expired, revoked or not certified by this root) cannot be "
            "kept")
    for person in unreached:
        say(f"  note: {person} is in an escalation group but has no device on this roster; "
            "referrals will not reach them")


def cmd_publish(args: argparse.Namespace) -> int:
    root = _load_root(args.root)
    ccr = load_ccr(settings_from(args).ccr_dir)
    if ccr.find_agency(args.agency) is None:
        raise not_found(f"{args.agency} is not an agency of this CCR "
                        f"({settings_from(args).ccr_dir}); see its agencies.toml")
    certs = _certificates(args.certs, args.agency, root)
    groups = escalation_groups(ccr, args.agency)

    async def go() -> RosterChange:
        async with api_session(args.home) as api:
            change = plan_roster(await _listed(api, args.agency, root), certs, args.remove)
            if change.unmatched:
                raise not_found(f"--remove {change.unmatched[0]} names no device on "
                                f"{args.agency}'s roster")
            with_device = {c.person for c in change.devices}
            _show(change, args.agency, sorted({m for g in groups for m in
                                                (g.point_person, *g.backups)} - with_device))
            confirm(f"Sign and publish version {change.version}?", yes=args.yes)
            now = _now()
            signed = make_roster(root, agency=args.agency, version=change.version,
                                 issued_at=now - 60, expires_at=now + args.days * 86400,
                                 people=roster_people(ccr, args.agency),
                                 devices=change.devices, groups=groups)
            await api.publish_roster(args.agency, signed.to_json())
            return change

    change = run(go())
    emit(args.json, {"agency": args.agency, "published": True, **change.doc()},
         f"published roster version {change.version} of {args.agency} with "
         f"{len(change.devices)} device(s)")
    return EXIT_OK


def cmd_bundle(args: argparse.Namespace) -> int:
    """Every root pinned in this home (the admin compared each by phone), signed by this
    agency's root, for colleagues to import against this agency's one fingerprint."""
    root = _load_root(args.root)
    pins = home(args.home).trust().roots
    if pins.get(args.agency, root.public) != root.public:
        raise Problem(f"this home pins {args.agency} to another root than {args.root}'s",
                      EXIT_TRUST)
    data = make_pin_bundle(root, agency=args.agency, pins=pins, issued_at=_now())
    art = terminal_art(data) if args.qr else ""  # too large: said before anything is written
    if args.qr_png:
        save_png(data, args.qr_png)
    args.out.write_bytes(data)
    others = sorted(set(pins) - {args.agency})
    emit(args.json, {"bundle": str(args.out), "agency": args.agency, "pins": others,
                     "fingerprint": fingerprints(root.public),
                     **({"qr_png": str(args.qr_png)} if args.qr_png else {}),
                     **({"qr": art} if art else {})},
         f"pin bundle written to {args.out}: {args.agency} and the {len(others)} roots you "
         f"pinned ({', '.join(others) or 'none yet'}).\nGive it to your colleagues and read "
         "them your agency's fingerprint to import it with ('hub trust import FILE "
         f"FINGERPRINT', or the device page):\n{fingerprint_lines(root.public)}"
         + (f"\nThe bundle as a QR code (scan it to a file):\n{art}" if art else ""))
    return EXIT_OK

"""A person's local state for the `hub` command, in one directory (HUB_HOME, default
~/.ccr-hub): the hub's address and their token, their device key and certificate, the
agency roots they pinned and the newest roster verified for each (so a rollback is caught
across runs). Secret files are written with mode 0600 and never overwritten silently."""

from __future__ import annotations

import base64
import getpass
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from hub.clock import SystemClock
from hub.crypto import (
    DeviceIdentity,
    SignedRoster,
    TrustError,
    TrustStore,
    import_device_keys,
    parse_certificate,
)
from hub.crypto.rosterlog import LogWitness

from .problems import EXIT_SIGN_IN, Problem

T = TypeVar("T")
MIN_PASSPHRASE = 12  # as the browser's device page asks
NO_PASSPHRASE = ("run this in a terminal to type one, set HUB_PASSPHRASE_FILE to a file "
                 "holding it, or pass --no-passphrase (scripts: the key file is then kept "
                 "unencrypted, readable by you only)")


def write_private(path: Path, data: bytes, *, replace: bool = False) -> None:
    """Write a secret file readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise Problem(f"{path} already exists; move it away first (it may hold a key)") from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def passphrase() -> str | None:
    """The passphrase given for scripts: HUB_PASSPHRASE_FILE's first line, or
    HUB_PASSPHRASE. None when neither is set."""
    path = os.environ.get("HUB_PASSPHRASE_FILE")
    if path:
        try:
            return Path(path).read_text().splitlines()[0]
        except (OSError, IndexError):
            raise Problem(f"HUB_PASSPHRASE_FILE names {path}, which holds no passphrase") \
                from None
    return os.environ.get("HUB_PASSPHRASE") or None


def new_passphrase(what: str, *, none: bool) -> str | None:
    """A passphrase for a new key file, asked twice as ssh-keygen does; None with ``none``
    (--no-passphrase)."""
    if none:
        return None
    given = passphrase()
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise Problem(f"the {what} needs a passphrase: {NO_PASSPHRASE}")
    first = getpass.getpass(f"Passphrase for the {what} (at least {MIN_PASSPHRASE} "
                            "characters): ")
    if len(first) < MIN_PASSPHRASE:
        raise Problem(f"a passphrase has at least {MIN_PASSPHRASE} characters; nothing was "
                      "written")
    if getpass.getpass("The same passphrase again: ") != first:
        raise Problem("the two passphrases differ; nothing was written")
    return first


def unlock(path: Path, load: Callable[[bytes, str | None], T]) -> T:
    """``load(data, passphrase)`` on a key file, asking for its passphrase on a terminal
    when it has one and none was given."""
    data = path.read_bytes()
    try:
        return load(data, passphrase())
    except TrustError as e:
        if e.reason != "passphrase-required" or not sys.stdin.isatty():
            raise
    return load(data, getpass.getpass(f"Passphrase for {path}: "))


@dataclass
class Home:
    path: Path

    @classmethod
    def default(cls, given: Path | None = None) -> Home:
        return cls(Path(given or os.environ.get("HUB_HOME") or Path.home() / ".ccr-hub"))

    def _read_json(self, name: str, default: Any) -> Any:  # JSON: what the file holds
        file = self.path / name
        try:
            return json.loads(file.read_text()) if file.exists() else default
        except (ValueError, UnicodeDecodeError):
            raise Problem(f"{file} is damaged (not JSON); move it away and set it up again") \
                from None

    # -- the hub and the token --------------------------------------------------------------
    def save_login(self, url: str, token: str) -> None:
        write_private(self.path / "token", token.encode(), replace=True)
        self.save_hub(url)

    def save_hub(self, url: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        (self.path / "hub.json").write_text(json.dumps({"url": url.rstrip("/")}) + "\n")

    def login(self) -> tuple[str, str]:
        url = os.environ.get("HUB_URL") or self._read_json("hub.json", {}).get("url")
        token = os.environ.get("HUB_TOKEN")
        if token is None and (self.path / "token").exists():
            token = (self.path / "token").read_text().strip()
        if not url or not token:
            raise Problem("not signed in: run 'hub login --url URL' and paste your token "
                          "(or set HUB_URL and HUB_TOKEN)", EXIT_SIGN_IN)
        return url, token

    # -- the device ----------------------------------------------------------------------------
    @property
    def device_key(self) -> Path:
        return self.path / "device.key"

    @property
    def device_cert(self) -> Path:
        return self.path / "device.cert"

    def device(self) -> DeviceIdentity:
        if not self.device_key.exists():
            raise Problem("this computer has no device key yet: run 'hub device init'")
        if not self.device_cert.exists():
            raise Problem("your device is not approved yet: send device-request.json to your "
                          "agency admin, then run 'hub device install CERT'")
        keys = unlock(self.device_key, import_device_keys)
        cert = parse_certificate(base64.b64decode(self.device_cert.read_text()))
        return DeviceIdentity(keys, cert)

    # -- the cases this device started ---------------------------------------------------------
    def cases(self) -> dict[str, bytes]:
        """The case secrets of the referrals this device sent (it cannot open them again)."""
        doc = self._read_json("cases.json", {})
        return {rid: base64.b64decode(secret) for rid, secret in doc.items()}

    def save_cases(self, cases: dict[str, bytes]) -> None:
        if not cases and not (self.path / "cases.json").exists():
            return
        doc = {rid: base64.b64encode(secret).decode() for rid, secret in sorted(cases.items())}
        write_private(self.path / "cases.json", json.dumps(doc, indent=2).encode() + b"\n",
                      replace=True)

    # -- trust --------------------------------------------------------------------------------
    def trust(self) -> TrustStore:
        doc = self._read_json("trust.json", {"pins": {}, "rosters": {}})
        store = TrustStore()
        for agency, root in doc["pins"].items():
            store.pin(agency, base64.b64decode(root))
        for agency, signed in doc["rosters"].items():
            roster = SignedRoster.from_json(signed)
            try:
                store.accept_roster(agency, roster, int(SystemClock().now()))
            except TrustError:  # expired or re-keyed: fetched again from the hub
                continue
        if "roster_log" in doc:
            store.log = LogWitness.of(doc["roster_log"])
        return store

    def save_trust(self, store: TrustStore) -> None:
        doc = {"pins": {a: base64.b64encode(r).decode() for a, r in store.roots.items()},
               "rosters": {a: r.signed.to_json() for a, r in store.rosters.items()},
               "roster_log": store.log.doc()}
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        (self.path / "trust.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")

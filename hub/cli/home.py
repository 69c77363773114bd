"""A person's local state for the `hub` command, in one directory (HUB_HOME, default
~/.ccr-hub): the hub's address and their token, their device key and certificate, the
agency roots they pinned and the newest roster verified for each (so a rollback is caught
across runs). Secret files are written with mode 0600 and never overwritten silently."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from hub.clock import SystemClock
from hub.crypto import (
    DeviceIdentity,
    SignedRoster,
    TrustError,
    TrustStore,
    import_device_keys,
    parse_certificate,
)

from .problems import Problem


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
    return os.environ.get("HUB_PASSPHRASE") or None


@dataclass
class Home:
    path: Path

    @classmethod
    def default(cls, given: Path | None = None) -> Home:
        return cls(Path(given or os.environ.get("HUB_HOME") or Path.home() / ".ccr-hub"))

    def _read_json(self, name: str, default: object) -> object:
        file = self.path / name
        return json.loads(file.read_text()) if file.exists() else default

    # -- the hub and the token --------------------------------------------------------------
    def save_login(self, url: str, token: str) -> None:
        write_private(self.path / "token", token.encode(), replace=True)
        (self.path / "hub.json").write_text(json.dumps({"url": url.rstrip("/")}) + "\n")

    def login(self) -> tuple[str, str]:
        url = os.environ.get("HUB_URL") or self._read_json("hub.json", {}).get("url")
        token = os.environ.get("HUB_TOKEN")
        if token is None and (self.path / "token").exists():
            token = (self.path / "token").read_text().strip()
        if not url or not token:
            raise Problem("not signed in: run 'hub login --url URL' and paste your token "
                          "(or set HUB_URL and HUB_TOKEN)")
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
        keys = import_device_keys(self.device_key.read_bytes(), passphrase())
        cert = parse_certificate(base64.b64decode(self.device_cert.read_text()))
        return DeviceIdentity(keys, cert)

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
        return store

    def save_trust(self, store: TrustStore) -> None:
        doc = {"pins": {a: base64.b64encode(r).decode() for a, r in store.roots.items()},
               "rosters": {a: r.signed.to_json() for a, r in store.rosters.items()}}
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        (self.path / "trust.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")

"""docs/clients.md is enough to build a client from: a key file `hub device init` wrote
opens with plain libsodium calls exactly as the page says, every file the command keeps in
a home is named there, and its numbers are the code's."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nacl.bindings as sodium
import nacl.pwhash
import nacl.secret
from nacl.signing import SigningKey

from hub.client.agent import DEFAULT_LIFETIME
from hub.crypto.attachments import MAX_ATTACHMENT
from hub.crypto.header import (
    MAX_ATTACHMENTS,
    MAX_CONTENT,
    MAX_LIFETIME,
    MAX_RECIPIENTS,
    max_padded_inner,
)

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "clients.md").read_text()
PASSPHRASE = "a passphrase from the docs"


def device_init(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_HOME=str(home), HUB_PASSPHRASE=PASSPHRASE)
    subprocess.run([sys.executable, "-m", "hub.cli", "device", "init", "--agency",
                    "harbor-house", "--person", "harbor-intake"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=60)
    return json.loads((home / "device-request.json").read_text())


def test_a_key_file_opens_with_plain_libsodium_as_the_page_says(tmp_path: Path) -> None:
    request = device_init(tmp_path)
    key_file = json.loads((tmp_path / "device.key").read_text())
    assert (key_file["format"], key_file["kind"], key_file["kdf"]) == ("ccr-key/1", "device",
                                                                      "argon2id")
    assert (key_file["opslimit"], key_file["memlimit"]) == (2, 67108864)  # as documented
    key = nacl.pwhash.argon2id.kdf(32, PASSPHRASE.encode(), base64.b64decode(key_file["salt"]),
                                   opslimit=key_file["opslimit"], memlimit=key_file["memlimit"])
    box = base64.b64decode(key_file["box"])
    secrets = json.loads(nacl.secret.SecretBox(key).decrypt(box[24:], box[:24]))
    box_secret, sign_seed = (base64.b64decode(secrets[n]) for n in ("box_secret", "sign_seed"))
    assert base64.b64encode(sodium.crypto_scalarmult_base(box_secret)).decode() == \
        request["box_public"]
    assert base64.b64encode(bytes(SigningKey(sign_seed).verify_key)).decode() == \
        request["sign_public"]
    assert re.fullmatch(r"[0-9a-f]{32}", request["device_id"])


def test_every_file_of_a_home_is_named(tmp_path: Path) -> None:
    device_init(tmp_path)
    named = set(re.findall(r"^\| `([a-z.-]+)` \|", DOC, re.MULTILINE))
    assert {p.name for p in tmp_path.iterdir()} <= named
    assert {"token", "hub.json", "trust.json", "device.key", "device.cert"} <= named


def number(text: str) -> int:
    return int(text.replace(",", ""))


def test_the_sizes_and_lifetimes_are_the_codes() -> None:
    padded = re.search(r"at most \*\*([\d,]+) bytes\*\*", DOC).group(1)
    assert number(padded) == max_padded_inner()
    assert f"{MAX_CONTENT:,} bytes" in DOC and f"{MAX_ATTACHMENT:,} bytes" in DOC
    assert f"1 to {MAX_RECIPIENTS} devices" in DOC and f"at most {MAX_ATTACHMENTS}" in DOC
    assert f"1 second to {MAX_LIFETIME // 86400} days" in DOC
    assert f"**{DEFAULT_LIFETIME // 86400} days** ({DEFAULT_LIFETIME:,} seconds)" in DOC


def test_the_schemas_it_links_are_there() -> None:
    for link in re.findall(r"\]\((schemas/[a-z-]+\.json)\)", DOC):
        assert (ROOT / "docs" / link).is_file(), link

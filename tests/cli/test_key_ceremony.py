"""What an agency admin reads over the phone and signs must be right: the read-aloud
fingerprint as sixty digits in twelve groups, a device approved only after its fingerprint
is read back, a roster published with the devices it already had (what changes shown
first, removals only when named), and partners' roots handed to colleagues in one pin
bundle checked against one fingerprint."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import zxingcpp

from hub.client import Blocking, HubApi
from hub.crypto import (
    import_agency_root,
    numeric_fingerprint,
    parse_certificate,
    short_fingerprint,
)

from .test_cli_story import _field

AGENCY, ADMIN = "harbor-house", "harbor-director"
NOBODY = {"HUB_PASSPHRASE": "a passphrase for this test only"}


def test_the_read_aloud_fingerprint_is_twelve_groups_of_five_digits(running) -> None:
    root = running.tmp / "root.key"
    made = running.ok("agency", "init", AGENCY, "--out", str(root), extra_env=NOBODY)
    public = base64.b64decode(_field(made, "public key"))
    shown = running.ok("agency", "fingerprint", "--root", str(root), extra_env=NOBODY)
    for text in (made, shown):
        spoken = _field(text, "read-aloud form")
        assert re.fullmatch(r"\d{5}( \d{5}){11}", spoken), spoken
        assert spoken == numeric_fingerprint(public)
        assert _field(text, "short fingerprint") == short_fingerprint(public)


def devices(demo) -> dict[str, str]:
    """device id -> person, as the hub serves harbor-house's roster now."""
    token = (demo.home(ADMIN) / "token").read_text().strip()
    with Blocking(HubApi(demo.run.url, token)) as api:
        body = json.loads(base64.b64decode(api.roster(AGENCY).roster))
    certs = [parse_certificate(base64.b64decode(d)) for d in body["devices"]]
    return {c.device_id.hex(): c.person for c in certs}


def new_device(demo, person: str) -> tuple[str, str]:
    """A second computer of ``person``: its request, and the fingerprint it shows."""
    home = demo.var / "second" / person
    made = demo.run.ok("device", "init", "--agency", AGENCY, "--person", person,
                       extra_env={"HUB_HOME": str(home), **NOBODY})
    fingerprint = re.search(r"fingerprint:? (CCR1-[A-Z0-9-]+)", made).group(1)
    return str(home / "device-request.json"), fingerprint


def approve(demo, request: str, answer: str):
    cert = demo.var / f"{len(list(demo.var.glob('*.cert')))}.cert"
    done = demo.hub("agency", "approve", request, "--root", str(demo.root(AGENCY)), "--agency",
                    AGENCY, "--out", str(cert), who=ADMIN, stdin=answer)
    return done, cert


def test_approve_shows_the_fingerprint_and_asks_before_issuing(demo) -> None:
    request, fingerprint = new_device(demo, "harbor-night")
    refused, cert = approve(demo, request, "n\n")
    assert refused.code == 9 and not cert.exists()
    assert fingerprint in refused.err
    assert refused.err.index(fingerprint) < refused.err.index("read you exactly this")
    approved, cert = approve(demo, request, "y\n")
    assert approved.code == 0 and cert.exists()
    assert parse_certificate(base64.b64decode(cert.read_text())).person == "harbor-night"


def publish(demo, *args: str, answer: str = "y\n"):
    return demo.hub("agency", "publish", *args, "--root", str(demo.root(AGENCY)), "--agency",
                    AGENCY, who=ADMIN, stdin=answer)


def test_publishing_a_new_device_keeps_the_others_and_says_what_changes(demo) -> None:
    before = devices(demo)
    assert set(before.values()) == {"harbor-intake", "harbor-night", "harbor-director"}
    request, fingerprint = new_device(demo, "harbor-night")
    _, cert = approve(demo, request, "y\n")

    done = publish(demo, str(cert))
    assert done.code == 0, done.err
    after = devices(demo)
    assert before.items() <= after.items() and len(after) == len(before) + 1
    added = [line for line in done.err.splitlines() if line.strip().startswith("+ add")]
    assert len(added) == 1 and "harbor-night" in added[0] and fingerprint in added[0]
    assert sum("keep" in line for line in done.err.splitlines()) == len(before)


def test_a_device_leaves_the_roster_only_when_named_and_confirmed(demo) -> None:
    before = devices(demo)
    night = next(d for d, person in before.items() if person == "harbor-night")
    declined = publish(demo, "--remove", night, answer="n\n")
    assert declined.code == 9 and devices(demo) == before
    assert "- remove" in declined.err and "harbor-night" in declined.err
    unknown = publish(demo, "--remove", "0" * 32)
    assert unknown.code == 7 and "names no device" in unknown.err
    assert devices(demo) == before

    done = publish(demo, "--remove", "harbor-night", "--yes", answer="")
    assert done.code == 0, done.err
    assert devices(demo) == {d: p for d, p in before.items() if p != "harbor-night"}


def test_a_pin_bundle_pins_every_partner_against_one_fingerprint(demo) -> None:
    bundle = demo.var / "harbor-pins.json"
    made = demo.ok("agency", "bundle", "--root", str(demo.root(AGENCY)), "--agency", AGENCY,
                   "--out", str(bundle), who=ADMIN)
    spoken = _field(made, "read-aloud form")
    colleague = {"HUB_HOME": str(demo.var / "colleague")}
    token = demo.run.ok("admin", "issue-token", "harbor-night").strip()
    demo.run.ok("login", "--url", demo.run.url, stdin=token + "\n", extra_env=colleague)

    mercy = import_agency_root(demo.root("mercy-hospital").read_bytes()).public
    wrong = demo.run.hub("trust", "import", str(bundle), short_fingerprint(mercy),
                         extra_env=colleague)
    assert wrong.code == 6 and "NOT imported" in wrong.err
    assert "no agencies pinned" in demo.run.ok("trust", "list", extra_env=colleague)

    doc = json.loads(bundle.read_text())
    body = json.loads(base64.b64decode(doc["bundle"]))
    body["pins"]["mercy-hospital"] = body["pins"][AGENCY]  # a root swapped after signing
    forged = demo.var / "forged.json"
    forged.write_text(json.dumps({**doc, "bundle": base64.b64encode(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).decode()}))
    refused = demo.run.hub("trust", "import", str(forged), spoken, extra_env=colleague)
    assert refused.code == 6 and "signature" in refused.err

    done = demo.run.ok("trust", "import", str(bundle), spoken, extra_env=colleague)
    assert "pinned 7 agencies" in done
    pinned = json.loads(demo.run.ok("trust", "list", "--json", extra_env=colleague))
    admins = json.loads(demo.ok("trust", "list", "--json", who=ADMIN))
    assert [(p["agency"], p["fingerprint"]) for p in pinned] == \
        [(p["agency"], p["fingerprint"]) for p in admins]
    assert len(pinned) == 7


def test_a_referral_sealed_before_the_device_was_approved_says_so(demo) -> None:
    """The night advocate's second computer is approved after a referral was sealed to
    Harbor House's devices of the moment: opening it there says what happened and what to
    do, not that the envelope may have been altered."""
    from .test_daily_work import sent_id

    rid = sent_id(demo)
    request, _ = new_device(demo, "harbor-night")
    _, cert = approve(demo, request, "y\n")
    assert publish(demo, str(cert)).code == 0
    home = Path(request).parent
    for kept in demo.home("harbor-night").iterdir():  # signed in, partners pinned
        if not kept.name.startswith("device"):
            shutil.copy(kept, home / kept.name)
    env = {"HUB_HOME": str(home), **NOBODY}
    demo.run.ok("device", "install", str(cert), extra_env=env)
    done = demo.run.hub("open", rid, extra_env=env)
    assert done.code == 6 and "Traceback" not in done.err
    assert "sealed before this device was approved" in done.err
    assert "colleague" in done.err


def _scanned(art: str) -> bytes:
    """What a scanner reads from the half-block QR code the terminal shows (light modules
    drawn, as on a dark terminal): every character is two modules, top and bottom."""
    light = {" ": (0, 0), "\u2580": (1, 0), "\u2584": (0, 1), "\u2588": (1, 1)}
    lines = [line for line in art.splitlines() if line]
    modules = [[light[c][half] for c in line] for line in lines for half in (0, 1)]
    scale, width = 4, len(modules[0])
    pixels = b"".join(bytes(255 * m for m in row for _ in range(scale))
                      for row in modules for _ in range(scale))
    image = memoryview(pixels).cast("B", shape=[len(modules) * scale, width * scale])
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, "the code does not scan"
    return found[0].bytes


def test_a_pin_bundle_shown_as_a_qr_code_scans_to_the_bundle_a_colleague_imports(demo) -> None:
    bundle, png = demo.var / "harbor-pins-qr.json", demo.var / "harbor-pins.png"
    made = json.loads(demo.ok("agency", "bundle", "--root", str(demo.root(AGENCY)),
                              "--agency", AGENCY, "--out", str(bundle), "--qr",
                              "--qr-png", str(png), "--json", who=ADMIN))
    scanned = _scanned(made["qr"])
    assert scanned == bundle.read_bytes()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and made["qr_png"] == str(png)

    colleague = {"HUB_HOME": str(demo.var / "qr-colleague")}
    token = demo.run.ok("admin", "issue-token", "harbor-night").strip()
    demo.run.ok("login", "--url", demo.run.url, stdin=token + "\n", extra_env=colleague)
    (demo.var / "scanned.json").write_bytes(scanned)
    spoken = numeric_fingerprint(import_agency_root(demo.root(AGENCY).read_bytes()).public)
    done = demo.run.ok("trust", "import", str(demo.var / "scanned.json"), spoken,
                       extra_env=colleague)
    assert "pinned 7 agencies" in done

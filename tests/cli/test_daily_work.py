"""The daily commands as a nurse and a shelter's point person use them, mistakes included:
plain messages with one exit code per kind of failure, acknowledging twice, a referral read
safety first, attachments saved under their names, the key file under a passphrase, consent
withdrawn or narrowed, and every time in the receiving agency's zone with the zone named."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import stat
import sys

import pytest

from .conftest import ROOT
from .test_cli_story import HANDOFF

NURSE, INTAKE, COORDINATOR = "mercy-nurse-1", "harbor-intake", "ccr-coordinator"
ZONE = re.compile(r"\b(CST|CDT)\b")  # America/Chicago, the example's receiving agencies


def send(demo, *extra: str, content: dict | None = None, attach: list[str] = ()):
    path = demo.var / "handoff.json"
    path.write_text(json.dumps(content or HANDOFF))
    args = ["send", "--to", "harbor-house", "--type", "discharge-handoff", "--content",
            str(path), "--consent-by", NURSE, *extra]
    for name in attach:
        (demo.var / name).write_bytes(f"contents of {name}".encode())
        args += ["--attach", str(demo.var / name)]
    return demo.hub(*args, who=NURSE)


def sent_id(demo, *extra: str, **kwargs) -> str:
    done = send(demo, "--json", *extra, **kwargs)
    assert done.code == 0, done.err
    return json.loads(done.out)["id"]


@pytest.mark.parametrize(("extra", "code", "says"), [
    (("--type", "no-such-type"), 7, "unknown referral type 'no-such-type'"),
    (("--to", "nowhere"), 7, "no agency 'nowhere'"),
    (("--consent-by", INTAKE), 2, "--consent-by names the person of mercy-hospital"),
    (("--consent-days", "-1"), 2, "'-1' is not a number of days"),
    (("--attach", "/no/such/scan.pdf"), 1, "no such file /no/such/scan.pdf"),
])
def test_a_mistake_in_sending_says_what_is_wrong(demo, extra, code, says) -> None:
    done = send(demo, *extra)
    assert (done.code, done.out) == (code, ""), done.err
    assert says in done.err and "Traceback" not in done.err
    assert "1970" not in done.err and "no current device" not in done.err


def test_sending_without_a_device_says_how_to_make_one(demo) -> None:
    elsewhere = {"HUB_HOME": str(demo.var / "borrowed-computer")}
    token = demo.run.ok("admin", "issue-token", NURSE).strip()
    demo.run.ok("login", "--url", demo.run.url, stdin=token + "\n", extra_env=elsewhere)
    path = demo.var / "handoff.json"
    path.write_text(json.dumps(HANDOFF))
    done = demo.run.hub("send", "--to", "harbor-house", "--type", "discharge-handoff",
                        "--content", str(path), "--consent-by", NURSE, extra_env=elsewhere)
    assert done.code == 1 and "run 'hub device init'" in done.err


def test_content_errors_name_the_documented_model(demo) -> None:
    done = send(demo, content={**HANDOFF, "needs": []})
    assert done.code == 2 and "needs" in done.err
    assert "docs/clients.md" in done.err and "/v1/schemas/discharge-handoff.json" in done.err
    assert "hub.client" not in done.err


def test_an_unknown_agency_is_the_same_failure_everywhere(demo) -> None:
    checked = demo.hub("agreements", "check", "mercy-hospital", "nowhere", "discharge-handoff",
                       who=NURSE)
    sent = send(demo, "--to", "nowhere")
    assert checked.code == sent.code == 7


def test_a_bad_or_revoked_token_says_so_and_how_to_sign_in_again(demo) -> None:
    bad = demo.hub("inbox", who=INTAKE, extra_env={"HUB_TOKEN": "ccr_0123456789abcdef_nope"})
    assert bad.code == 8 and "refused your token" in bad.err and "hub login" in bad.err
    issued = json.loads(demo.run.ok("admin", "issue-token", INTAKE, "--json"))
    demo.run.ok("admin", "revoke-token", issued["token_id"])
    revoked = demo.hub("inbox", who=INTAKE, extra_env={"HUB_TOKEN": issued["token"]})
    assert revoked.code == 8 and "hub login" in revoked.err


def test_an_unknown_referral_is_no_such_referral(demo) -> None:
    for args in (("status", "0" * 32), ("open", "f" * 32), ("accept", "a" * 32)):
        done = demo.hub(*args, who=INTAKE)
        assert done.code == 7 and "no such referral" in done.err, (args, done.err)
        assert "endpoint" not in done.err
    malformed = demo.hub("status", "not-an-id", who=INTAKE)
    assert malformed.code == 2 and "is not a referral id" in malformed.err


def test_a_coordinator_is_told_that_coordinators_cannot_read_content(demo) -> None:
    rid = sent_id(demo)
    done = demo.hub("open", rid, who=COORDINATOR)
    assert done.code == 4 and "coordinators see a referral's metadata only" in done.err
    assert "device init" not in done.err
    assert rid in demo.ok("status", rid, who=COORDINATOR)


def test_acknowledging_again_is_done_already_with_the_time(demo) -> None:
    rid = sent_id(demo)
    assert "acknowledged with a signed receipt" in demo.ok("ack", rid, who=INTAKE)
    again = demo.hub("ack", rid, who=INTAKE)
    assert again.code == 0, again.err
    assert re.search(r"already acknowledged at \w{3} \d\d \w{3} \d\d:\d\d (CST|CDT)", again.out)
    assert json.loads(demo.ok("ack", rid, "--json", who=INTAKE))["already_acknowledged"]


def test_open_reads_safety_first_and_json_only_when_asked(demo) -> None:
    rid = sent_id(demo)
    text = demo.ok("open", rid, who=INTAKE)
    with pytest.raises(ValueError):
        json.loads(text)
    order = [text.index(s) for s in ("Do NOT leave a voicemail", "Do NOT say which agency is "
                                     "calling", "Safe channels: sms", "Survivor: Test "
                                     "Survivor", "Needs: shelter", "Consent: written")]
    assert order == sorted(order)
    opened = json.loads(demo.ok("open", rid, "--json", who=INTAKE))
    assert opened["content"]["safe_contact"]["voicemail_ok"] is False


def test_replies_print_their_text_with_the_time_in_the_receiving_zone(demo) -> None:
    rid = sent_id(demo)
    demo.ok("reply", rid, "--text", "Bed held until 9pm; we will text first.", who=INTAKE)
    shown = demo.ok("replies", rid, who=NURSE)
    assert shown.splitlines()[1] == "Bed held until 9pm; we will text first."
    assert f"reply from {INTAKE}@harbor-house" in shown and ZONE.search(shown)
    empty = demo.hub("reply", rid, "--text", "", who=INTAKE)
    assert empty.code == 2 and "the text is empty" in empty.err


def test_saved_attachments_keep_their_names_and_only_their_owner_reads_them(demo) -> None:
    rid = sent_id(demo, attach=["scan.pdf", "notes.txt"])
    folder = demo.var / "saved"
    (folder).mkdir()
    (folder / "scan.pdf").write_bytes(b"already here")
    demo.ok("open", rid, "--save", str(folder), who=INTAKE)
    assert (folder / "scan.pdf").read_bytes() == b"already here"  # never overwritten
    for name, body in (("scan (2).pdf", b"contents of scan.pdf"),
                       ("notes.txt", b"contents of notes.txt")):
        assert (folder / name).read_bytes() == body
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600


def test_times_are_in_the_receiving_agency_zone_with_the_zone_named(demo) -> None:
    rid = sent_id(demo)
    for who, args in ((INTAKE, ("inbox",)), (NURSE, ("outbox",)), (NURSE, ("status", rid))):
        shown = demo.ok(*args, who=who)
        assert ZONE.search(shown) and "UTC" not in shown, shown
    assert "waiting for acknowledgement" in demo.ok("inbox", who=INTAKE)
    assert ZONE.search(send(demo).out)


def test_consent_withdrawn_after_a_yes_and_narrowed(demo) -> None:
    rid = sent_id(demo, "--share-outcome")
    declined = demo.hub("revoke-consent", rid, "--reason", "survivor-withdrew", who=NURSE,
                        stdin="n\n")
    assert declined.code == 9
    narrowed = json.loads(demo.ok("narrow-consent", rid, "--no-share-outcome", "--json",
                                  who=INTAKE))
    assert narrowed["share_outcome"] is False
    done = demo.ok("revoke-consent", rid, "--reason", "survivor-withdrew", who=NURSE,
                   stdin="y\n")
    assert "consent withdrawn" in done
    assert json.loads(demo.ok("status", rid, "--json", who=INTAKE))["referral"]["status"] == \
        "revoked"


def test_device_init_needs_a_passphrase_unless_told_otherwise(demo) -> None:
    home = {"HUB_HOME": str(demo.var / "new-computer")}
    refused = demo.run.hub("device", "init", "--agency", "harbor-house", "--person", INTAKE,
                           extra_env=home)
    assert refused.code == 1 and "--no-passphrase" in refused.err
    assert not (demo.var / "new-computer" / "device.key").exists()
    demo.run.ok("device", "init", "--agency", "harbor-house", "--person", INTAKE,
                "--no-passphrase", extra_env=home)
    key = json.loads((demo.var / "new-computer" / "device.key").read_text())
    assert key["kdf"] == "none" and set(json.loads(key["secrets"])) == {"box_secret",
                                                                        "sign_seed"}


def on_a_terminal(args: list[str], answers: list[str], env: dict[str, str]) -> str:
    """Run `hub ARGS` on a pseudo-terminal, typing each answer when a prompt appears."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: hub, with the terminal as its controlling tty
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "hub.cli", *args], env)
    seen = b""
    pending, answered = list(answers), 0
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if pending and seen[answered:].strip() and seen.rstrip().endswith(b":"):
            os.write(fd, pending.pop(0).encode() + b"\n")  # a new prompt: answer it
            answered = len(seen)
    if os.waitpid(pid, os.WNOHANG) == (0, 0):  # still waiting for something: stop it
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(fd)
    return seen.decode(errors="replace")


def test_device_init_on_a_terminal_asks_twice_and_encrypts_the_key(demo) -> None:
    where = demo.var / "laptop"
    env = {**demo.run.env, "HUB_HOME": str(where)}
    shown = on_a_terminal(["device", "init", "--agency", "harbor-house", "--person", INTAKE],
                          ["a long passphrase here", "a long passphrase here"], env)
    assert "Passphrase for the device key" in shown and "again" in shown, shown
    key = json.loads((where / "device.key").read_text())
    assert key["kdf"] == "argon2id" and "secrets" not in key
    cert = demo.var / "laptop.cert"
    demo.ok("agency", "approve", str(where / "device-request.json"), "--root",
            str(demo.root("harbor-house")), "--agency", "harbor-house", "--out", str(cert),
            "--yes", who="harbor-director")
    home = {"HUB_HOME": str(where)}
    wrong = demo.run.hub("device", "install", str(cert),
                         extra_env={**home, "HUB_PASSPHRASE": "not it at all"})
    assert wrong.code == 1 and "wrong passphrase" in wrong.err
    secret = demo.var / "laptop.passphrase"
    secret.write_text("a long passphrase here\n")
    demo.run.ok("device", "install", str(cert),
                extra_env={**home, "HUB_PASSPHRASE_FILE": str(secret)})

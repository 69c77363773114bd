"""The real `hub` command, in subprocesses, against a running hub: two agencies set up from
nothing (root keys under a passphrase, tokens, devices, rosters, pinned trust), a nurse
sends, the shelter's point person opens, acknowledges, accepts and replies, and the reply
comes back."""

from __future__ import annotations

import json
import re
import stat

from hub.client import Blocking, HubApi

HANDOFF = {
    "survivor": {"name": "Test Survivor"},
    "needs": ["shelter"],
    "discharge_at": "2027-01-15T14:00:00-06:00",
    "safe_contact": {"channels": ["sms"], "phone": "+15555550199", "voicemail_ok": False},
    "consent": {"method": "written", "given_at": "2027-01-15T10:00:00-06:00",
                "documented_by": "mercy-nurse-1", "scope": "shelter intake"},
}
AGENCIES = {"mercy-hospital": ("mercy-admin", "mercy-nurse-1"),
            "harbor-house": ("harbor-director", "harbor-intake")}


def _field(text: str, label: str) -> str:
    match = re.search(rf"^{label}:\s+(\S.*)$", text, re.MULTILINE)
    assert match, (label, text)
    return match.group(1).strip()


def passphrase_file(run, name: str) -> dict[str, str]:
    """HUB_PASSPHRASE_FILE for a script: the passphrase kept in a file of its own."""
    path = run.tmp / f"{name}.passphrase"
    path.write_text(f"correct horse battery {name}\n")
    return {"HUB_PASSPHRASE_FILE": str(path)}


def set_up_agency(run, agency: str, admin: str, worker: str) -> str:
    """Everything an agency admin and the operator do; returns the root's short fingerprint.
    The root key is protected by the admin's passphrase, the worker's device key by theirs."""
    root, admin_secret = run.tmp / f"{agency}-root.key", passphrase_file(run, admin)
    made = run.ok("agency", "init", agency, "--out", str(root), extra_env=admin_secret)
    assert oct(root.stat().st_mode & 0o777) == "0o600"
    assert json.loads(root.read_text())["kdf"] == "argon2id"
    run.ok("admin", "register-root", agency, _field(made, "public key"))
    for person in (admin, worker):
        token = run.ok("admin", "issue-token", person).strip()
        run.ok("login", "--url", run.url, who=person, stdin=token + "\n")
    run.ok("device", "init", "--agency", agency, "--person", worker, who=worker,
           extra_env=passphrase_file(run, worker))
    cert = run.tmp / f"{worker}.cert"
    run.ok("agency", "approve", str(run.tmp / "homes" / worker / "device-request.json"),
           "--root", str(root), "--agency", agency, "--out", str(cert), stdin="y\n",
           extra_env=admin_secret)
    run.ok("device", "install", str(cert), who=worker, extra_env=passphrase_file(run, worker))
    run.ok("agency", "publish", str(cert), "--root", str(root), "--agency", agency, "--yes",
           who=admin, extra_env=admin_secret)
    return _field(run.ok("agency", "fingerprint", "--root", str(root), extra_env=admin_secret),
                  "short fingerprint")


def test_two_agencies_from_nothing_to_a_reply(running) -> None:
    run = running
    prints = {a: set_up_agency(run, a, *people) for a, people in AGENCIES.items()}
    nurse, intake = AGENCIES["mercy-hospital"][1], AGENCIES["harbor-house"][1]
    run.env.update(passphrase_file(run, nurse))  # the nurse's scripts unlock the key so
    for who in (nurse, intake):
        for agency, fingerprint in prints.items():
            run.ok("trust", "pin", agency, fingerprint, who=who)
    pins = json.loads(run.ok("trust", "list", "--json", who=nurse))
    assert {p["agency"] for p in pins} == set(AGENCIES)

    (run.tmp / "handoff.json").write_text(json.dumps(HANDOFF))
    (run.tmp / "scan.pdf").write_bytes(b"%PDF-1.4 discharge summary")
    sent = json.loads(run.ok("send", "--to", "harbor-house", "--type", "discharge-handoff",
                             "--content", str(run.tmp / "handoff.json"), "--consent-by", nurse,
                             "--attach", str(run.tmp / "scan.pdf"), "--json", who=nurse))
    rid = sent["id"]

    run.env.pop("HUB_PASSPHRASE_FILE")
    intake_secret = passphrase_file(run, intake)
    inbox = json.loads(run.ok("inbox", "--json", who=intake))
    assert [r["id"] for r in inbox] == [rid]
    opened = json.loads(run.ok("open", rid, "--save", str(run.tmp / "got"), "--json",
                               who=intake, extra_env=intake_secret))
    assert opened["content"]["safe_contact"]["voicemail_ok"] is False
    assert opened["sender"] == f"{nurse}@mercy-hospital"
    saved = run.tmp / "got" / "scan.pdf"
    assert saved.read_bytes() == b"%PDF-1.4 discharge summary"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert "acknowledged" in run.ok("ack", rid, who=intake, extra_env=intake_secret)
    assert "accepted" in run.ok("accept", rid, who=intake)
    run.ok("reply", rid, "--text", "Bed held until 9pm", who=intake, extra_env=intake_secret)

    status = json.loads(run.ok("status", rid, "--json", who=nurse))
    assert status["referral"]["status"] == "accepted"
    assert [e["to_status"] for e in status["history"] if e["to_status"]] == \
        ["requested", "received", "accepted"]
    replies = json.loads(run.ok("replies", rid, "--json", who=nurse,
                                extra_env=passphrase_file(run, nurse)))
    assert [r["content"]["text"] for r in replies] == ["Bed held until 9pm"]
    assert "ack due" in run.ok("status", rid, who=nurse)


def test_mistakes_get_one_line_that_says_what_to_do(running) -> None:
    run = running
    nobody = run.hub("inbox", who="nobody")
    assert nobody.code == 8 and "hub login" in nobody.err and "Traceback" not in nobody.err
    token = run.ok("admin", "issue-token", "mercy-nurse-1").strip()
    run.ok("login", "--url", run.url, who="nurse", stdin=token + "\n")
    missing = run.hub("status", "0" * 32, who="nurse")
    assert missing.code == 7 and "no such referral" in missing.err
    assert missing.err.count("\n") == 1 and "Traceback" not in missing.err
    unknown = run.hub("admin", "issue-token", "no-such-person")
    assert unknown.code == 7 and "no person" in unknown.err
    wrong_pin = run.hub("trust", "pin", "harbor-house", "CCR1-AAAA-AAAA", who="nurse")
    assert wrong_pin.code == 7 and "no root key for 'harbor-house'" in wrong_pin.err
    content = run.tmp / "handoff.json"
    content.write_text(json.dumps(HANDOFF))
    unpublished = run.hub("send", "--to", "harbor-house", "--type", "discharge-handoff",
                          "--content", str(content), "--consent-by", "mercy-nurse-1", who="nurse")
    assert unpublished.code == 7 and "has not published a roster yet" in unpublished.err
    usage = run.hub("send", "--to", "harbor-house", who="nurse")
    assert usage.code == 2 and "--type" in usage.err


def test_the_blocking_sdk_face_works_from_plain_scripts(running) -> None:
    token = running.ok("admin", "issue-token", "ccr-coordinator").strip()
    with Blocking(HubApi(running.url, token)) as api:
        agencies = api.agencies()
        assert {a.id for a in agencies} >= {"mercy-hospital", "harbor-house", "riverside-pd"}
        assert api.inbox() == []

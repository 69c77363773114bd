"""Every `hub` command, driven with bad arguments: no traceback, ever; the exit code is the
one docs/cli.md gives that kind of failure, the same in every command; and with --json the
failure is one JSON object naming it. docs/cli.md lists every command and every flag, and
its exit codes are the ones the command line uses. A reader that stops early ends the
command quietly."""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hub.cli import main
from hub.cli.commands import parser
from hub.cli.problems import MEANINGS

from .conftest import ROOT

DOCS = (ROOT / "docs" / "cli.md").read_text()
RID = "0123456789abcdef" * 2
FINGERPRINT = "CCR1-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA"
NO_REDIS = {"HUB_REDIS_URL": None}


def documented_codes() -> dict[int, str]:
    section = DOCS[DOCS.index("## Exit codes"):]
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^\| (\d+) \| (.+) \|$", section,
                                                              re.MULTILINE)}


def leaves(p: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command path, its parser) for every command that runs something."""
    sub = next((a for a in p._actions if isinstance(a, argparse._SubParsersAction)), None)
    if sub is None:
        yield " ".join(path), p
        return
    for name, child in sub.choices.items():
        yield from leaves(child, (*path, name))


COMMANDS = dict(leaves(parser()))


def test_the_exit_codes_in_docs_are_the_ones_the_command_line_uses() -> None:
    assert documented_codes() == MEANINGS


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_docs_cli_lists_every_command_and_flag(command: str) -> None:
    rows = [line for line in DOCS.splitlines() if f"`hub {command}" in line]
    assert rows, f"docs/cli.md does not list 'hub {command}'"
    for action in COMMANDS[command]._actions:
        for flag in action.option_strings:
            if flag.startswith("--") and flag not in ("--help", "--json", "--config"):
                assert any(flag in row for row in rows), f"hub {command} {flag}"


def garbage(tmp: Path) -> Path:
    path = tmp / "garbage.json"
    path.write_text("this is not what it should be")
    return path


def cases(demo) -> dict[str, list[tuple[tuple[str, ...], dict, int]]]:
    """For every command, bad invocations and the exit code each must give."""
    tmp = demo.var
    junk, root, nurse = str(garbage(tmp)), str(demo.root("harbor-house")), NURSE_HOME
    missing = str(tmp / "no-such-file")
    request = str(tmp / "request.json")
    Path(request).write_text(json.dumps({"agency": "mercy-hospital", "person": "x"}))
    notes = str(tmp / "notes.json")
    Path(notes).write_text(json.dumps({"kind": "counseling-referral", "text": "notes"}))
    onward = ("--to", "northside-counseling", "--type", "counseling-referral", "--purpose",
              "counseling", "--consent-by", "mercy-nurse-1", "--content")
    return {
        "serve": [((), NO_REDIS, 3), (("--port", "70000"), {}, 2), (("--processes", "0"), {}, 2),
                  (("--with-worker", "--processes", "2"), {}, 2),
                  (("--with-worker",), {"HUB_MODE": "production"}, 2),
                  ((), {"HUB_MODE": "production"}, 3)],
        "worker": [((), NO_REDIS, 3), (("--burst",), NO_REDIS, 3)],
        "run": [(("--port", "0"), {}, 2), (("--port", "http"), {}, 2)],
        "demo": [((), {}, 1), (("--config", missing), {}, 1)],
        "bridge": [((), {}, 3), (("--port", "http"), {}, 2),
                   ((), {"HUB_BRIDGE_HUB_URL": "http://127.0.0.1:9", "HUB_BRIDGE_HOME": junk,
                         "HUB_BRIDGE_TOKEN_FILE": junk, "HUB_BRIDGE_PASSPHRASE_FILE": junk}, 3),
                   ((), {"HUB_BRIDGE_HUB_URL": "http://127.0.0.1:9",
                         "HUB_BRIDGE_HOME": str(tmp / "damaged-home"),
                         "HUB_BRIDGE_TOKEN_FILE": junk, "HUB_BRIDGE_PASSPHRASE_FILE": junk}, 3)],
        "admin issue-token": [((), {}, 2), (("no-such-person",), {}, 7),
                              (("harbor-intake",), NO_REDIS, 3)],
        "admin revoke-token": [(("0000000000000000",), {}, 7)],
        "admin register-root": [(("harbor-house", "not base64!"), {}, 2),
                                (("nowhere", "A" * 43 + "="), {}, 7),
                                (("harbor-house", "A" * 43 + "="), {}, 4)],
        "admin replace-root": [(("nowhere", "A" * 43 + "="), {}, 7),
                               (("harbor-house", "AAAA"), {}, 2)],
        "audit checkpoint": [((), NO_REDIS, 3)],
        "audit seal": [((), NO_REDIS, 3), (("--follow",), NO_REDIS, 3)],
        "audit export": [((), {}, 2), ((str(tmp / "nowhere" / "x" / "log.json"),), {}, 1)],
        "audit verify": [(("--checkpoints", missing), {}, 1), (("--checkpoints", junk), {}, 1)],
        "agreements check": [(("mercy-hospital", "nowhere", "discharge-handoff"), {}, 7),
                             (("mercy-hospital", "harbor-house", "no-such-type"), {}, 7),
                             (("mercy-hospital", "riverside-pd", "discharge-handoff"), {}, 4),
                             (("a", "b"), {}, 2)],
        "agency init": [(("harbor-house",), {}, 2), (("harbor-house", "--out", junk), {}, 1),
                        (("harbor-house", "--out", str(tmp / "new.key")), {}, 1)],
        "agency fingerprint": [(("--root", missing), {}, 1), (("--root", junk), {}, 1)],
        "agency approve": [
            ((missing, "--root", root, "--agency", "harbor-house", "--out", missing), {}, 1),
            ((junk, "--root", root, "--agency", "harbor-house", "--out", missing), {}, 1),
            ((request, "--root", root, "--agency", "harbor-house", "--out", missing), {}, 1),
            ((request, "--root", root, "--agency", "harbor-house", "--out", missing, "--days",
              "-5"), {}, 2)],
        "agency publish": [
            ((junk, "--root", root, "--agency", "harbor-house", "--yes"), {}, 1),
            (("--root", root, "--agency", "nowhere", "--yes"), {}, 7),
            (("--root", root, "--agency", "harbor-house", "--remove", "nobody"), {}, 7),
            (("--root", root, "--agency", "harbor-house"), {}, 9),
            (("--root", missing, "--agency", "harbor-house"), {}, 1)],
        "agency recovery-key": [
            (("--root", missing, "--agency", "harbor-house", "--out", str(tmp / "rk")), {}, 1),
            (("--root", root, "--agency", "harbor-house"), {}, 2)],
        "agency recover": [(("--key", missing, "--cert", missing), {}, 2),
                           (("abc", "--key", missing, "--cert", missing), {}, 2),
                           (("--all", "--key", missing, "--cert", missing), {}, 1),
                           (("--all", "--key", missing, "--cert", junk), {}, 1)],
        "agency offboard": [
            (("nobody", "--root", root, "--agency", "harbor-house", "--yes"), {}, 7),
            (("harbor-intake", "--root", missing, "--agency", "harbor-house"), {}, 1),
            (("harbor-intake", "--root", root, "--agency", "harbor-house", "--recovery-key",
              junk), {}, 2),
            (("harbor-intake", "--root", root, "--agency", "harbor-house", "--days", "0"),
             {}, 2)],
        "agency lost-device": [
            (("no-such-device", "--root", root, "--agency", "harbor-house", "--yes"), {}, 7),
            (("no-such-device", "--root", missing, "--agency", "harbor-house"), {}, 1)],
        "agency unreadable": [((), {}, 2), (("--agency", "harbor-house"), {}, 4),
                              (("--agency", "nowhere"), {}, 7)],
        "agency bundle": [(("--root", missing, "--agency", "harbor-house", "--out", missing),
                           {}, 1),
                          (("--root", junk, "--agency", "harbor-house", "--out", missing),
                           {}, 1)],
        "login": [((), {}, 2), (("--url", demo.run.url), {"HUB_TOKEN": "nope"}, 8),
                  (("--url", demo.run.url), {"HUB_TOKEN": "ccr_0_nope"}, 8),
                  (("--url", "http://127.0.0.1:9"), {"HUB_TOKEN": "ccr_0_nope"}, 5)],
        "device init": [(("--agency", "mercy-hospital", "--person", "x"), {"HUB_HOME": nurse},
                         1), (("--agency", "x"), {}, 2)],
        "device install": [((missing,), {"HUB_HOME": nurse}, 1),
                           ((junk,), {"HUB_HOME": nurse}, 6),
                           ((junk,), {"HUB_HOME": str(tmp / "empty-home")}, 1)],
        "device show": [((), {"HUB_HOME": str(tmp / "empty-home")}, 1),
                        ((), {"HUB_HOME": str(tmp / "damaged-home")}, 1)],
        "trust pin": [(("nowhere", FINGERPRINT), {}, 7), (("harbor-house", "12345"), {}, 6),
                      (("harbor-house",), {}, 2)],
        "trust list": [((), {"HUB_HOME": str(tmp / "damaged-home")}, 1)],
        "trust audit": [(("CCRLOG1:nonsense",), {}, 6),
                        ((), {"HUB_HOME": str(tmp / "damaged-home")}, 1)],
        "device grant": [((), {}, 2), (("abc",), {}, 2), ((RID,), {}, 7),
                         ((RID, "--all"), {}, 2)],
        "trust import": [((missing, FINGERPRINT), {}, 1), ((junk, FINGERPRINT), {}, 6)],
        "send": [(("--to", "harbor-house"), {}, 2),
                 (("--to", "nowhere", "--type", "discharge-handoff", "--content", junk,
                   "--consent-by", "mercy-nurse-1"), {}, 7),
                 (("--to", "harbor-house", "--type", "discharge-handoff", "--content", junk,
                   "--consent-by", "mercy-nurse-1"), {}, 2),
                 (("--to", "harbor-house", "--type", "discharge-handoff", "--content", missing,
                   "--consent-by", "mercy-nurse-1"), {}, 1),
                 (("--to", "harbor-house", "--type", "discharge-handoff", "--content", junk,
                   "--consent-by", "mercy-nurse-1", "--attach", missing), {}, 1),
                 (("--to", "harbor-house", "--type", "discharge-handoff", "--content", junk,
                   "--consent-by", "mercy-nurse-1", "--consent-days", "-1"), {}, 2),
                 (("--to", "harbor-house", "--type", "discharge-handoff", "--content", junk,
                   "--consent-by", "mercy-nurse-1", "--urgency", "soon"), {}, 2)],
        "inbox": [(("--limit", "0"), {}, 2), (("--status", "lost"), {}, 2),
                  ((), {"HUB_TOKEN": "ccr_0_nope"}, 8), ((), {"HUB_HOME": str(tmp / "nobody")},
                                                         8),
                  ((), {"HUB_URL": "http://127.0.0.1:9"}, 5)],
        "outbox": [(("--limit", "201"), {}, 2), ((), {"HUB_TOKEN": "ccr_0_nope"}, 8)],
        "open": [(("abc",), {}, 2), ((RID,), {}, 7), ((RID, "--save", junk), {}, 7)],
        "ack": [(("abc",), {}, 2), ((RID,), {}, 7)],
        "accept": [((), {}, 2), ((RID,), {}, 7)],
        "progress": [((RID,), {}, 7)],
        "reject": [((RID,), {}, 2), ((RID, "--reason", "busy"), {}, 2),
                   ((RID, "--reason", "capacity"), {}, 7)],
        "complete": [((RID, "--outcome", "fine"), {}, 2), ((RID, "--outcome", "other"), {}, 7)],
        "cancel": [((RID, "--reason", "oops"), {}, 2), ((RID, "--reason", "other"), {}, 7)],
        "revoke-consent": [((RID, "--reason", "other"), {}, 9),
                           ((RID, "--reason", "other", "--yes"), {}, 7)],
        "narrow-consent": [((RID,), {}, 2), ((RID, "--no-share-outcome"), {}, 7)],
        "purge-narrative": [(("abc", "--yes"), {}, 2), ((RID,), {}, 9),
                            ((RID, "--yes"), {}, 7)],
        "reply": [((RID, "--text", ""), {}, 2), ((RID, "--text", "hello"), {}, 7),
                  ((RID,), {}, 2)],
        "replies": [(("zz",), {}, 2), ((RID,), {}, 7)],
        "status": [(("zz",), {}, 2), ((RID,), {}, 7)],
        "case show": [(("zz",), {}, 2), ((RID,), {}, 7)],
        "case forward": [((RID,), {}, 2), ((RID, *onward, junk, "--covers", "survivor"), {}, 2),
                         ((RID, *onward, notes, "--covers", ","), {}, 2),
                         ((RID, *onward, notes, "--covers", "survivor"), {}, 7)],
        "schedule show": [(("nowhere",), {}, 7), (("bridge-advocacy",), {}, 7)],
        "schedule gaps": [(("bridge-advocacy",), {}, 7), ((), {"HUB_TOKEN": "ccr_0_nope"}, 8)],
        "schedule override": [(("bridge-advocacy", "bridge-lead"), {}, 2),
                              (("bridge-advocacy", "bridge-lead", "--from", "2027-01-16",
                                "--until", "2027-01-17", "--as", "boss"), {}, 2),
                              (("bridge-advocacy", "bridge-lead", "--from", "2027-01-16",
                                "--until", "2027-01-17"), {}, 7)],
        "schedule away": [(("bridge-lead",), {}, 2),
                          (("mercy-nurse-2", "--from", "2027-01-16", "--until", "2027-01-17"),
                           {}, 4)],
        "schedule remove": [(("bridge-advocacy",), {}, 2),
                            (("bridge-advocacy", "o-0000000000000000"), {}, 7)],
        # the nurse is no coordinator: the hub refuses her every drill
        "drill scenarios": [((), {}, 4)],
        "drill start": [((), {}, 2), (("discharge-2am",), {}, 4)],
        "drill list": [((), {}, 4)],
        "drill debrief": [((), {}, 2), (("0" * 16,), {}, 4), (("zz",), {}, 7)],
        "drill end": [((), {}, 2), (("0" * 16, "--csv", missing), {}, 4)],
        "milestone": [(("zz", "no-show"), {}, 2), ((RID, "no-show"), {}, 7)],
        # the nurse is neither a coordinator nor an admin: no case review's agenda for her
        "mdt agenda": [(("--date", "someday"), {}, 2), ((), {}, 4)],
    }


NURSE_HOME = ""


def invoke(command: str, args: tuple[str, ...], env: dict, monkeypatch, capsys,
           as_json: bool) -> tuple[int, str, str]:
    with monkeypatch.context() as m:
        for key, value in env.items():
            if value is None:
                m.delenv(key, raising=False)
            else:
                m.setenv(key, value)
        m.setattr(sys, "stdin", io.StringIO(""))
        code = main([*command.split(), *args, *(["--json"] if as_json else [])])
    out, err = capsys.readouterr()
    return code, out, err


def test_every_command_fails_without_a_traceback_with_its_documented_code(
        demo, monkeypatch, capsys) -> None:
    global NURSE_HOME
    NURSE_HOME = str(demo.home("mercy-nurse-1"))
    (demo.var / "damaged-home").mkdir()
    (demo.var / "damaged-home" / "trust.json").write_text("{not json")
    (demo.var / "damaged-home" / "device.key").write_text("{not json")
    (demo.var / "damaged-home" / "device.cert").write_text("nope")
    table = cases(demo)
    assert set(table) == set(COMMANDS), "every command needs bad arguments to be tried"
    base = {k: v for k, v in demo.run.env.items() if k.startswith("HUB_")}
    base.update(HUB_HOME=NURSE_HOME, HUB_DATA_DIR=str(demo.var / "elsewhere"))
    documented = documented_codes()
    wrong = []
    for command, tried in table.items():
        for args, env, expected in tried:
            code, out, err = invoke(command, args, {**base, **env}, monkeypatch, capsys, False)
            assert "Traceback" not in err + out, (command, args, err)
            assert code in documented, (command, args, code, err)
            if code != expected:
                wrong.append((command, args, code, expected, err))
            code_j, out_j, err_j = invoke(command, args, {**base, **env}, monkeypatch, capsys,
                                          True)
            error = json.loads(out_j)["error"]
            assert (code_j, error["exit"]) == (code, code), (command, args, out_j, err_j)
            assert error["message"] and error["code"], (command, args)
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.parametrize("args", [("outbox",), ("outbox", "--json"), ("--help",)])
def test_a_reader_that_stops_early_ends_the_command_quietly(demo, args) -> None:
    """`hub outbox | head -3`, with the reader gone before hub writes its first line."""
    env = {**demo.run.env, "HUB_HOME": str(demo.home("mercy-nurse-1"))}
    listing = subprocess.Popen([sys.executable, "-m", "hub.cli", *args], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    listing.stdout.close()
    err = listing.stderr.read().decode()
    assert listing.wait(60) == 0 and err == "", err


def test_the_commands_that_refused_json_print_it(demo) -> None:
    token = demo.run.ok("admin", "issue-token", "harbor-intake", "--json")
    issued = json.loads(token)
    assert issued["person"] == "harbor-intake" and issued["token"].startswith("ccr_")
    home = {"HUB_HOME": str(demo.var / "fresh"), "HUB_TOKEN": issued["token"]}
    me = json.loads(demo.run.ok("login", "--url", demo.run.url, "--json", extra_env=home))
    assert (me["person"], me["agency"]) == ("harbor-intake", "harbor-house")
    prints = json.loads(demo.run.ok("agency", "fingerprint", "--root",
                                    str(demo.root("harbor-house")), "--json"))
    assert re.fullmatch(r"\d{5}( \d{5}){11}", prints["read_aloud"])
    demo.run.ok("audit", "seal")
    assert json.loads(demo.run.ok("audit", "verify", "--json"))["ok"] is True
    played = json.loads(demo.run.ok("demo", "--json",
                                    extra_env={"HUB_DATA_DIR": str(demo.var)}))
    assert len(played["steps"]) >= 6 and "metadata only" in played["steps"][-1]

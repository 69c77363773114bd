"""A backup's replacement computer, approved after a referral was sealed, reads it from the
command line once a colleague's device ran `hub device grant --all`; before that it is told
plainly that it cannot, and `hub device grant` on a referral this device was not sealed to
says who can."""

from __future__ import annotations

import json
import shutil

from .test_daily_work import INTAKE, sent_id
from .test_key_ceremony import AGENCY, approve, new_device, publish

NIGHT = "harbor-night"


def second_computer(demo, person: str):
    """``person``'s new computer: keys made, approved, published, installed, signed in."""
    request, _ = new_device(demo, person)
    approved, cert = approve(demo, request, "y\n")
    assert approved.code == 0, approved.err
    assert publish(demo, str(cert)).code == 0
    home = demo.var / "second" / person
    for item in demo.home(person).iterdir():  # the login and the pins, not the keys
        if item.is_file() and not (home / item.name).exists() and "device" not in item.name:
            shutil.copy(item, home / item.name)
    env = {"HUB_HOME": str(home), "HUB_PASSPHRASE": "a passphrase for this test only"}
    demo.run.ok("device", "install", str(cert), extra_env=env)
    return env


def test_a_replacement_computer_reads_a_referral_after_grant_all(demo) -> None:
    rid = sent_id(demo)
    env = second_computer(demo, NIGHT)
    before = demo.run.hub("open", rid, extra_env=env)
    assert before.code == 6 and "Traceback" not in before.err, before.err

    done = demo.hub("device", "grant", "--all", who=INTAKE)
    assert done.code == 0, done.err
    assert "handed on 1 referral(s)" in done.out
    assert "1/1 referrals checked" in done.err

    after = demo.run.hub("open", rid, "--json", extra_env=env)
    assert after.code == 0, after.err
    assert json.loads(after.out)["referral"] == rid
    again = json.loads(demo.ok("device", "grant", rid, "--json", who=INTAKE))
    assert again["granted"] == 0 and again["readable"] == 1


def test_grant_needs_a_referral_or_all(demo) -> None:
    done = demo.hub("device", "grant", who=INTAKE)
    assert done.code == 2 and "--all" in done.err
    assert AGENCY == "harbor-house"

"""Offboarding, end to end from the command line: harbor-house keeps a recovery key on its
roster; the intake advocate leaves and the night advocate's old computer is lost after a
referral was sealed to them and a replacement computer approved. `hub agency offboard` and
`hub agency lost-device` each show the roster change first, revoke the person's token, and
publish the roster; the referral no one on duty can read is listed (`hub agency
unreadable`), handed on with the recovery key, and then reads on the replacement computer.
Redis holds no plaintext and no private key afterwards."""

from __future__ import annotations

import asyncio
import base64
import json

from redis.asyncio import Redis

from hub.crypto import import_device_keys, parse_certificate
from tests.support.redis_scan import dump_values

from .test_cli_story import HANDOFF
from .test_daily_work import INTAKE, sent_id
from .test_handover_cli import NIGHT, second_computer
from .test_key_ceremony import ADMIN, AGENCY, publish

ROOT_ARGS = ["--agency", AGENCY]
CANARY = "Violet Kestrel Canary 4471"


def unreadable(demo) -> list[str]:
    done = json.loads(demo.ok("agency", "unreadable", *ROOT_ARGS, "--json", who=ADMIN))
    return [r["id"] for r in done["referrals"]]


def test_a_person_leaves_a_device_is_lost_and_the_recovery_key_hands_on(demo) -> None:
    root = str(demo.root(AGENCY))
    keys = demo.var / "offline"
    demo.ok("agency", "recovery-key", "--root", root, *ROOT_ARGS, "--out", str(keys),
            "--no-passphrase", who=ADMIN)
    key, cert = keys / f"{AGENCY}-recovery.key", keys / f"{AGENCY}-recovery.cert"
    # the director reads referrals on no device of theirs: only intake and night do
    assert publish(demo, str(cert), "--remove", ADMIN).code == 0
    rid = sent_id(demo, content={**HANDOFF, "survivor": {"name": CANARY}})
    env = second_computer(demo, NIGHT)
    night_old = parse_certificate(base64.b64decode((demo.home(NIGHT) / "device.cert")
                                                   .read_text()))

    refused = demo.hub("agency", "offboard", INTAKE, "--root", root, *ROOT_ARGS, who=ADMIN,
                       stdin="n\n")
    assert refused.code == 9 and "harbor-intake" in refused.err and "- remove" in refused.err
    assert demo.hub("inbox", who=INTAKE).code == 0  # nothing was done

    left = json.loads(demo.ok("agency", "offboard", INTAKE, "--root", root, *ROOT_ARGS,
                              "--yes", "--json", who=ADMIN))
    assert left["devices_removed"] and left["unreadable"] == []
    dead = demo.hub("inbox", who=INTAKE)
    assert dead.code == 8 and "hub login" in dead.err

    lost = demo.hub("agency", "lost-device", night_old.device_id.hex(), "--root", root,
                    *ROOT_ARGS, "--yes", who=ADMIN)
    assert lost.code == 0, lost.err
    assert "1 open referral(s) still unreadable" in lost.out
    assert unreadable(demo) == [rid]
    assert demo.hub("inbox", who=NIGHT).code == 8  # the lost computer signs in no more

    recovered = json.loads(demo.ok("agency", "recover", "--all", "--key", str(key), "--cert",
                                   str(cert), "--yes", "--json", who=ADMIN))
    assert recovered["granted"] == 1
    assert unreadable(demo) == []

    token = demo.run.ok("admin", "issue-token", NIGHT).strip()
    demo.run.ok("login", "--url", demo.run.url, stdin=token + "\n", extra_env=env)
    opened = demo.run.hub("open", rid, "--json", extra_env=env)
    assert opened.code == 0, opened.err

    assert CANARY in opened.out
    assert_no_secret_in_redis(demo, [import_device_keys(key.read_bytes()),
                                     import_device_keys((demo.var / "second" / NIGHT /
                                                         "device.key").read_bytes(),
                                                        env["HUB_PASSPHRASE"])])


def assert_no_secret_in_redis(demo, keys) -> None:
    """The canary and every private key, raw, hex or base64, appear nowhere in Redis."""
    async def scan() -> bytes:
        client = Redis.from_url(demo.run.env["HUB_REDIS_URL"])
        try:
            found = await dump_values(client, demo.run.env["HUB_KEY_PREFIX"])
            for key in found:  # a hash's values as they are, not only as their repr
                if (await client.type(key)) == b"hash":
                    found[key] += b"".join((await client.hgetall(key)).values())
        finally:
            await client.aclose()
        return b"\n".join(k + b" " + v for k, v in found.items())

    everything = asyncio.run(scan())
    assert everything and CANARY.encode() not in everything
    for k in keys:
        for secret in (k.box_secret, k.sign_seed):
            for form in (secret, secret.hex().encode(), base64.b64encode(secret)):
                assert form not in everything

"""`hub audit`: an operator signs a checkpoint, exports the log to keep elsewhere, and
verifies it; a deleted entry makes verification fail with exit code 6, naming the entry."""

from __future__ import annotations

import json

import redis


def test_checkpoint_export_and_verify_then_a_deleted_entry_is_named(running, redis_url):
    for person in ("mercy-nurse-1", "harbor-intake", "harbor-director"):
        running.ok("admin", "issue-token", person)  # each issue is an audit event
    assert "checkpoint: 3 entries" in running.ok("audit", "checkpoint")
    exported = running.tmp / "audit.json"
    running.ok("audit", "export", str(exported))
    assert len(json.loads(exported.read_text())["entries"]) == 3
    assert "verifies: 3 entries" in running.ok("audit", "verify", "--checkpoints",
                                                str(exported))

    client = redis.Redis.from_url(redis_url)
    key = f"{running.env['HUB_KEY_PREFIX']}:audit:log"
    first_id = client.xrange(key, count=1)[0][0]
    client.xdel(key, first_id)
    client.close()
    result = running.hub("audit", "verify", "--checkpoints", str(exported))
    assert result.code == 6 and "entry 0 was deleted" in result.err
    assert "Traceback" not in result.err

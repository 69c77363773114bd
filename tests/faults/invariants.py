"""The hub's promises, checked after every fault scenario by one helper:

- every referral that got a 201 (or a 200 "already there") is in Redis, with the bytes the
  client sent; no envelope id was answered 201 twice; every stored referral was submitted
  once (one 'submitted' history entry, one audited creation, one status index, its inbox
  and outbox), and none exists that no client sent;
- every escalation notice was sent at least once and at most twice (counted by its
  idempotency key in the captured emails and texts); every message captured belongs to a
  notice; once settled, nothing due is left undone and no claim is left in flight;
- the plaintext canary appears nowhere: not in Redis (every key and value, RQ's compressed
  job data included), its AOF, the hub's logs, the emails or the texts;
- the audit chain verifies;
- a person of an unrelated agency gets the same 404 as for a missing referral.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from hub.build import Services
from hub.config import Settings
from hub.models import Status
from hub.sandbox import Member, World
from hub.store import Store
from hub.web.app import create_app

from .harness import EXAMPLE, Api, Ledger, RedisProcess

COORDINATION = "ccr-coordination"
WAITING = ("queued", "held")


@dataclass
class Evidence:
    services: Services
    world: World
    canary: str
    ledger: Ledger
    api: Api | None  # None: the checks ask an in-process app over the same store
    now: float
    mail: list[bytes] = field(default_factory=list)
    texts: list[dict] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    server: RedisProcess | None = None  # whose AOF is searched


@dataclass
class Findings:
    referrals: dict[str, dict[str, str]]
    notices: dict[str, dict[str, str]]
    copies: dict[str, int]  # notice id -> messages that carried it
    groups: dict[tuple[str, ...], list[str]]  # one person told of one rung -> notice ids

    def sent_groups(self) -> int:
        return people_told(self.notices)


async def check_invariants(ev: Evidence, *, settled: bool = True,
                           every_notice_sent: bool = False) -> Findings:
    """Assert every promise; ``settled``: the test ran everything due up to ``ev.now``;
    ``every_notice_sent``: no channel was meant to fail for good, so every person a rung
    named must have been told."""
    store = ev.services.store
    referrals = await check_referrals(store, ev.ledger)
    findings = await check_notices(store, ev.mail, ev.texts, referrals,
                                   every_notice_sent=every_notice_sent)
    findings.referrals = referrals
    if settled:
        await check_settled(store, findings, ev.now)
    await check_no_canary(ev)
    await check_audit(ev.services, len(referrals))
    if ev.api is not None:
        await check_isolation(ev.api, ev.world, referrals)
    else:
        async with TestClient(TestServer(create_app(Settings(ccr_dir=EXAMPLE),
                                                    ev.services))) as client:
            await check_isolation(Api(client), ev.world, referrals)
    return findings


# -- referrals ------------------------------------------------------------------------------
def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=32).hexdigest()


async def stored_referrals(store: Store) -> dict[str, dict[str, str]]:
    prefix = f"{store.keys.prefix}:ref:"
    rids = [k.decode()[len(prefix):] async for k in store.redis.scan_iter(
        match=f"{prefix}*", count=1000)]
    rids = sorted(r for r in rids if ":" not in r)
    async with store.redis.pipeline(transaction=False) as pipe:
        for rid in rids:
            pipe.hgetall(store.keys.referral(rid))
        rows = await pipe.execute()
    return {rid: {k.decode(): v.decode() for k, v in row.items()}
            for rid, row in zip(rids, rows, strict=True)}


async def check_referrals(store: Store, ledger: Ledger) -> dict[str, dict[str, str]]:
    referrals = await stored_referrals(store)
    twice = {rid: n for rid, n in ledger.created.items() if n > 1}
    assert not twice, f"envelope ids answered 201 more than once: {twice}"
    assert not ledger.refused, f"clients were refused: {ledger.refused[:5]}"
    missing = sorted(ledger.answered - set(referrals))
    assert not missing, f"{len(missing)} referrals that got a 201/200 are gone: {missing[:5]}"
    for rid in ledger.answered:
        assert referrals[rid]["envelope_digest"] == digest(ledger.envelopes[rid]), rid
    phantoms = sorted(set(referrals) - set(ledger.envelopes))
    assert not phantoms, f"referrals no client submitted: {phantoms[:5]}"
    await check_indexes(store, referrals)
    await check_histories(store, referrals)
    created = Counter(e.referral for e in await store.audit.events()
                      if e.action == "referral.submit" and e.outcome == "ok")
    wrong = {rid: created[rid] for rid in referrals if created[rid] != 1}
    assert not wrong, f"referrals not audited exactly once as created: {wrong}"
    return referrals


async def check_indexes(store: Store, referrals: dict[str, dict[str, str]]) -> None:
    """Each referral in exactly its own status index, its sender's outbox, its inbox."""
    found: dict[str, list[str]] = defaultdict(list)
    for status in Status:
        for raw in await store.redis.zrange(store.keys.by_status(status.value), 0, -1):
            found[raw.decode()].append(status.value)
    rids = list(referrals)
    async with store.redis.pipeline(transaction=False) as pipe:
        for rid in rids:
            pipe.zscore(store.keys.outbox(referrals[rid]["sender_agency"]), rid)
            pipe.zscore(store.keys.inbox(referrals[rid]["destination"]), rid)
        scores = await pipe.execute()
    for i, rid in enumerate(rids):
        assert found[rid] == [referrals[rid]["status"]], (rid, found[rid])
        assert scores[2 * i] is not None and scores[2 * i + 1] is not None, \
            f"{rid} is missing from its outbox or inbox"
    assert set(found) <= set(referrals), "a status index names a referral that is not there"


async def check_histories(store: Store, referrals: dict[str, dict[str, str]]) -> None:
    rids = list(referrals)
    async with store.redis.pipeline(transaction=False) as pipe:
        for rid in rids:
            pipe.lrange(store.keys.history(rid), 0, -1)
        histories = await pipe.execute()
    for rid, rows in zip(rids, histories, strict=True):
        submitted = [r for r in rows if json.loads(r)["action"] == "submitted"]
        assert len(submitted) == 1, f"{rid} has {len(submitted)} 'submitted' history entries"


# -- notices --------------------------------------------------------------------------------
def token(key: str) -> str:
    """What a message carries of its notice's idempotency key: the Message-ID of an email
    (hub/adapters/email.py) and the idempotency_key of a text (hub/adapters/sms.py)."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


MESSAGE_ID = re.compile(rb"^Message-ID: <([0-9a-f]{32})@ccr-hub>", re.M | re.I)


def carried(mail: list[bytes], texts: list[dict]) -> Counter:
    tokens: Counter = Counter()
    for raw in mail:
        found = MESSAGE_ID.search(raw)
        assert found, f"an email without the hub's Message-ID: {raw[:300]!r}"
        tokens[found.group(1).decode()] += 1
    tokens.update(t["idempotency_key"] for t in texts)
    return tokens


async def stored_notices(store: Store) -> dict[str, dict[str, str]]:
    """Every notice's hash, as Redis holds it."""
    prefix = f"{store.keys.prefix}:notice:"
    nids = [k.decode()[len(prefix):] async for k in store.redis.scan_iter(
        match=f"{prefix}*", count=1000)]
    rows = {nid: await store.redis.hgetall(store.keys.notice(nid)) for nid in nids}
    return {nid: {k.decode(): v.decode() for k, v in row.items()} for nid, row in rows.items()}


async def check_notices(store: Store, mail: list[bytes], texts: list[dict],
                        referrals: dict[str, dict[str, str]], *,
                        every_notice_sent: bool) -> Findings:
    notices = await stored_notices(store)
    tokens = carried(mail, texts)
    keys = {nid: {token(nid)} | ({token(n["sent_in_digest"])} if n.get("sent_in_digest")
                                 else set()) for nid, n in notices.items()}
    copies = {nid: sum(tokens[t] for t in ts) for nid, ts in keys.items()}
    strays = set(tokens) - {t for ts in keys.values() for t in ts}
    assert not strays, f"{len(strays)} messages sent that no notice accounts for"
    for nid, n in notices.items():
        assert n["referral"] in referrals, f"notice {nid} for a referral that is not there"
        assert copies[nid] <= 2, f"notice {nid} ({n['to']}) arrived {copies[nid]} times"
        if n["status"] == "sent":
            assert copies[nid] >= 1, f"notice {nid} is marked sent but never arrived"
    groups = by_group(notices)
    stalled = set(await store.timers.stalled()) | set(await store.timers.alerted())
    for group, nids in groups.items():
        statuses = {notices[n]["status"] for n in nids}
        assert sum(copies[n] for n in nids) <= 2, f"{group} was told more than twice"
        told = "sent" in statuses
        assert told or not every_notice_sent, f"{group} was never told: {statuses}"
        assert told or statuses & {"cancelled", *WAITING} or group[0] in stalled, \
            f"{group} was lost: {statuses}, and the referral was not flagged stalled"
    return Findings({}, notices, copies, groups)


def by_group(notices: dict[str, dict[str, str]]) -> dict[tuple[str, ...], list[str]]:
    """Notices by what they tell whom: one person, one rung of one referral's timer (a
    notice per channel tried)."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for nid, n in notices.items():
        groups[tuple(n[f] for f in ("referral", "generation", "timer", "step", "round",
                                    "person"))].append(nid)
    return dict(groups)


def people_told(notices: dict[str, dict[str, str]]) -> int:
    """How many (person, rung) were told, on one channel or another."""
    return sum(1 for nids in by_group(notices).values()
               if any(notices[n]["status"] == "sent" for n in nids))


async def check_settled(store: Store, findings: Findings, now: float) -> None:
    """Everything due by ``now`` was done: no timer or delivery due, none claimed, no
    notice still waiting to go."""
    k = store.keys
    for queue in (k.deadlines(), k.deliveries()):
        due = await store.redis.zrangebyscore(queue, "-inf", now)
        assert not due, f"{len(due)} entries of {queue} due and not done: {due[:5]}"
        claimed = await store.redis.zrange(k.inflight(queue), 0, -1)
        assert not claimed, f"{len(claimed)} claims of {queue} left in flight: {claimed[:5]}"
    waiting = [nid for nid, n in findings.notices.items() if n["status"] in WAITING]
    assert not waiting, f"{len(waiting)} notices still waiting to be sent"


# -- the canary -----------------------------------------------------------------------------
async def everything(redis: Redis) -> bytes:
    """Every key of the database with its whole value (RQ's job data decompressed)."""
    parts: list[bytes] = []
    async for key in redis.scan_iter(count=1000):
        parts.append(key)
        parts += await _value(redis, key, (await redis.type(key)).decode())
    return b"\n".join(parts)


async def _value(redis: Redis, key: bytes, kind: str) -> list[bytes]:
    if kind == "string":
        return [await redis.get(key) or b""]
    if kind == "hash":
        return [b for f, v in (await redis.hgetall(key)).items() for b in (f, v, _inflate(v))]
    if kind == "list":
        return list(await redis.lrange(key, 0, -1))
    if kind == "set":
        return list(await redis.smembers(key))
    if kind == "zset":
        return list(await redis.zrange(key, 0, -1))
    if kind == "stream":
        return [b for _, row in await redis.xrange(key) for kv in row.items() for b in kv]
    return [kind.encode()]


def _inflate(value: bytes) -> bytes:
    try:
        return zlib.decompress(value)
    except zlib.error:
        return b""


async def check_no_canary(ev: Evidence) -> None:
    canary = ev.canary.encode()
    stored = await everything(ev.services.store.redis)
    assert canary not in stored, "the plaintext canary is in Redis"
    kept = [e for rid, e in ev.ledger.envelopes.items() if rid in ev.ledger.answered]
    if kept:  # the search reads values: the sealed bytes it was given are there
        assert any(e in stored for e in kept), "the Redis search found no envelope at all"
    if ev.server is not None:
        aof = ev.server.aof()
        assert canary not in aof, "the plaintext canary is in the AOF"
        assert not kept or any(e in aof for e in kept), "the AOF holds no envelope at all"
    for n, text in enumerate(ev.logs):
        assert ev.canary not in text, f"the plaintext canary is in log {n}"
    for raw in ev.mail:
        assert canary not in raw, "the plaintext canary is in an email"
    for doc in ev.texts:
        assert ev.canary not in json.dumps(doc), "the plaintext canary is in a text"


# -- audit and isolation --------------------------------------------------------------------
async def check_audit(services: Services, referrals: int) -> None:
    await services.auditlog.seal()
    verdict = await services.auditlog.verify()
    assert verdict.ok, f"the audit chain does not verify: {verdict.problem}"
    assert verdict.entries >= referrals, verdict


def outsider(world: World, *agencies: str) -> Member:
    """A point person of an agency that has nothing to do with ``agencies``."""
    return next(m for m in world.members.values() if "point_person" in m.roles
                and m.agency not in (*agencies, COORDINATION))


async def check_isolation(api: Api, world: World, referrals: dict[str, dict[str, str]],
                          sample: int = 6) -> None:
    """Another agency's person gets the 404 a missing referral gets; the receiving point
    person, asking the same way, gets the referral."""
    by_route: dict[tuple[str, str], str] = {}
    for rid, row in referrals.items():
        by_route.setdefault((row["sender_agency"], row["destination"]), rid)
    for (sender, destination), rid in list(by_route.items())[:sample]:
        stranger = outsider(world, sender, destination)
        status, doc, _ = await api.call("GET", f"/v1/referrals/{rid}", stranger)
        missing = "0" * len(rid)
        status_missing, doc_missing, _ = await api.call("GET", f"/v1/referrals/{missing}",
                                                        stranger)
        assert (status, status_missing) == (404, 404), (rid, status, doc)
        assert json.dumps(doc).replace(rid, missing) == json.dumps(doc_missing)
        status, _, _ = await api.call("GET", f"/v1/referrals/{rid}/envelope", stranger)
        assert status == 404, f"{stranger.person} got {status} for {rid}'s envelope"
        _, inbox, _ = await api.call("GET", "/v1/inbox?limit=200", stranger)
        assert rid not in {r["id"] for r in inbox["referrals"]}
        point = world.first(destination, "point_person")
        status, doc, _ = await api.call("GET", f"/v1/referrals/{rid}", point)
        assert status == 200 and doc["id"] == rid, (status, doc)

"""A referral's audit trail, read through its index and checked against the sealed log:
each index entry names the sequence number and hash of its log entry ('seq id hash'), so an
entry pointed elsewhere, edited, reordered or forged shows when the trail is read; and the
log's verification cross-checks every index against the log, so an entry removed from an
index (LREM) shows there."""

from __future__ import annotations

import json
from dataclasses import dataclass

from hub.crypto.auditlog import entry_hash
from hub.models import AuditEvent
from hub.store import Store
from hub.store.audit import Sealed, TrailIndex

Listed = tuple[int, str, str]  # seq, intake id, hash


@dataclass(frozen=True)
class Trail:
    events: list[AuditEvent]  # the entries that check out, then the events not sealed yet
    problem: str = ""  # the first index entry that does not check out


def parse(index_entry: str) -> Listed | None:
    parts = index_entry.split(" ")
    if len(parts) != 3 or not parts[0].isascii() or not parts[0].isdigit():
        return None
    return int(parts[0]), parts[1], parts[2]


async def read(store: Store, rid: str) -> Trail:
    """``rid``'s trail: every index entry that names its own log entry, in order."""
    stored = await store.audit.trail(rid)
    docs, problem, last = [], "", -1
    for position, raw in enumerate(stored.entries):
        listed = parse(raw)
        why, doc = _check(listed, stored, rid, last)
        if why or listed is None:  # (_check names a missing entry: why is never empty then)
            problem = problem or f"entry {position} of this referral's trail {why}"
            continue
        docs.append(doc)
        last = listed[0]
    docs += [d for d in map(json.loads, stored.waiting) if d.get("referral") == rid]
    return Trail([AuditEvent.model_validate(d) for d in docs], problem)


def _check(listed: Listed | None, stored: TrailIndex, rid: str, last: int
           ) -> tuple[str, dict]:
    """Why an index entry does not check out ('' when it does), and its event."""
    if listed is None:
        return "is not 'seq id hash' of a log entry", {}
    seq, iid, digest = listed
    found: Sealed | None = stored.sealed.get(iid)
    if found is None:
        return f"names log entry {seq}, which is not in the log", {}
    doc = json.loads(found.entry)
    if entry_hash(found.entry.encode()).hex() != found.hash or found.hash != digest:
        return f"does not match the hash of log entry {seq}", {}
    if doc.get("seq") != seq or seq <= last:
        return f"names log entry {seq} out of its place", {}
    if doc["event"].get("referral") != rid:
        return f"names log entry {seq}, which is another referral's", {}
    return "", doc["event"]


def expected_indexes(entries: list[Sealed]) -> tuple[dict[str, list[Listed]], dict[str, int]]:
    """From the sealed log: each referral's entries, and where it was created. (An event
    naming a referral before it existed, a probe of an id, is sealed but not indexed.)"""
    named: dict[str, list[Listed]] = {}
    created: dict[str, int] = {}
    for n, sealed in enumerate(entries):
        event = json.loads(sealed.entry)["event"]
        if event.get("action") == "drill.purged":  # a drill's referral: its index is gone
            named.pop(event.get("subject", ""), None)
            created.pop(event.get("subject", ""), None)
            continue
        rid = event.get("referral")
        if not rid:
            continue
        named.setdefault(rid, []).append((n, sealed.id, sealed.hash))
        if event.get("action") == "referral.submit" and event.get("outcome") == "ok":
            created.setdefault(rid, n)
    return named, created


async def cross_check(store: Store, entries: list[Sealed]) -> str:
    """The first index that disagrees with the sealed log ``entries`` ('' when none): an
    index entry the log does not hold for that referral there, or a log entry of a
    referral, from its creation on, missing from its index."""
    named, created = expected_indexes(entries)
    indexes = await store.audit.trail_indexes(list(named))
    for rid, wanted in named.items():
        problem = _disagreement(rid, [parse(e) for e in indexes[rid]], wanted,
                                created.get(rid, len(entries)))
        if problem:
            return problem
    return ""


def _disagreement(rid: str, have: list[Listed | None], wanted: list[Listed],
                  created: int) -> str:
    known, listed = set(wanted), [e for e in have if e is not None]
    if len(listed) < len(have) or any(e not in known for e in listed) or \
            any(a[0] >= b[0] for a, b in zip(listed, listed[1:], strict=False)):
        return f"referral {rid}'s trail index holds an entry the log does not name there"
    missing = [w for w in wanted if w[0] >= created and w not in have]
    if missing:
        return (f"log entry {missing[0][0]} is missing from referral {rid}'s trail index "
                "(removed from it)")
    return ""

"""The roster log (docs/envelope.md, "Roster log"): every roster the hub serves is first
appended to one append-only hash chain, with the same machinery as the audit log (canonical
JSON entries naming the previous entry's hash; heads signed with the hub's key). A client
keeps the last head it verified and, on every roster it fetches, checks that the new head
extends it and that the roster served is the newest the log holds for its agency; two
parties compare heads (`hub trust audit`) to catch a hub showing them different histories.
Pure functions and data; fetching and persisting are the client's job."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .auditlog import HubKey, canonical
from .errors import TrustError
from .fields import blake2b, equal
from .keys import verify_signature
from .rosters import SignedRoster

GENESIS = bytes(32)
HEAD_PREFIX = "CCRLOG1"
_HEAD_CONTEXT = b"ccr-hub roster log head v1\0"


def roster_digest(signed: SignedRoster) -> bytes:
    """What the log records of a roster: a hash of its exact bytes and signature."""
    return blake2b(signed.body + signed.signature, person=b"ccrhub-rdig-v1")


def log_entry(seq: int, agency: str, version: int, digest: bytes, prev: bytes) -> bytes:
    return canonical({"seq": seq, "agency": agency, "version": version, "roster": digest.hex(),
                      "prev": prev.hex()})


def entry_hash(entry: bytes) -> bytes:
    return blake2b(entry, person=b"ccrhub-rlog-v1")


def _head_message(count: int, head: bytes) -> bytes:
    return _HEAD_CONTEXT + canonical({"count": count, "head": head.hex()})


@dataclass(frozen=True)
class LogHead:
    """The log's length and the hash after its last entry, signed by the hub."""

    count: int
    head: bytes
    key: bytes
    signature: bytes

    @staticmethod
    def signed(key: HubKey, count: int, head: bytes) -> LogHead:
        return LogHead(count, head, key.public, key.sign(_head_message(count, head)))

    def verified(self) -> bool:
        return verify_signature(self.key, _head_message(self.count, self.head), self.signature)

    def text(self) -> str:
        """One line to paste to another party."""
        return ":".join([HEAD_PREFIX, str(self.count), self.head.hex(), self.key.hex(),
                         self.signature.hex()])

    @staticmethod
    def parse(text: str) -> LogHead:
        parts = text.strip().split(":")
        try:
            parsed = LogHead(int(parts[1]), bytes.fromhex(parts[2]), bytes.fromhex(parts[3]),
                             bytes.fromhex(parts[4])) if len(parts) == 5 else None
        except ValueError:
            parsed = None
        if parts[0] != HEAD_PREFIX or parsed is None or parsed.count < 0 \
                or len(parsed.head) != 32 or len(parsed.key) != 32 or not parsed.verified():
            raise TrustError("bad-log-head", "not a roster log head signed by a hub (it starts "
                             f"{HEAD_PREFIX}:): paste the whole line 'hub trust audit' printed")
        return parsed


def chain(entries: Sequence[bytes], start: int = 0, prev: bytes = GENESIS) -> list[bytes]:
    """The hash after each of ``entries`` (the log's from position ``start``, following
    ``prev``); TrustError when one does not follow the one before it."""
    out = []
    for n, entry in enumerate(entries, start):
        doc = _doc(entry)
        if doc is None or doc["seq"] != n or doc["prev"] != prev.hex():
            raise TrustError("roster-log-fork", f"roster log entry {n} does not follow the log "
                             "this device saw: the hub is showing a different history")
        prev = entry_hash(entry)
        out.append(prev)
    return out


def _doc(entry: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(entry)
        return {"seq": int(doc["seq"]), "prev": str(doc["prev"]), "agency": str(doc["agency"]),
                "version": int(doc["version"]), "roster": str(doc["roster"])}
    except (ValueError, KeyError, TypeError):
        return None


@dataclass
class LogWitness:
    """What a device keeps of the roster log: the hub's log key (pinned when first seen),
    the last head it verified, and per agency the newest roster the log holds."""

    key: bytes | None = None
    count: int = 0
    head: bytes = GENESIS
    signature: bytes = b""
    latest: dict[str, tuple[int, str]] = field(default_factory=dict)

    def needs(self, shown: LogHead) -> int | None:
        """Where to fetch entries from to follow ``shown`` (None: nothing to fetch)."""
        self._check_key(shown)
        if shown.count < self.count or (shown.count == self.count
                                        and not equal(shown.head, self.head)):
            raise TrustError("roster-log-fork", "the hub showed a roster log that does not "
                             f"extend the one this device saw ({self.count} entries): the hub "
                             "is showing a different history; tell your agency admin")
        return self.count if shown.count > self.count else None

    def advance(self, entries: Sequence[bytes], shown: LogHead) -> None:
        """Follow the log from this witness's head through ``entries`` to ``shown``."""
        self._check_key(shown)
        if len(entries) != shown.count - self.count:
            raise TrustError("roster-log-fork", "the hub sent the wrong number of roster log "
                             "entries")
        hashes = chain(entries, self.count, self.head)
        if hashes and not equal(hashes[-1], shown.head):
            raise TrustError("roster-log-fork", "the roster log's entries do not end in the "
                             "head the hub signed")
        for entry in entries:
            doc = _doc(entry)
            assert doc is not None
            self.latest[doc["agency"]] = (doc["version"], doc["roster"])
        self.count, self.head, self.signature = shown.count, shown.head, shown.signature

    def check_served(self, agency: str, signed: SignedRoster) -> None:
        """The roster served is the newest the log holds for its agency."""
        logged = self.latest.get(agency)
        if logged is None or logged[1] != roster_digest(signed).hex():
            raise TrustError("roster-not-logged", f"the hub served a roster of {agency} that "
                             "is not the newest in its roster log: refused; tell your agency "
                             "admin")

    def shown_head(self) -> LogHead | None:
        if self.key is None:
            return None
        return LogHead(self.count, self.head, self.key, self.signature)

    def _check_key(self, shown: LogHead) -> None:
        if not shown.verified():
            raise TrustError("bad-log-head", "the roster log head is not signed")
        if self.key is None:
            self.key = shown.key
        elif not equal(self.key, shown.key):
            raise TrustError("roster-log-key", "the roster log is signed by another key than "
                             "the hub's this device saw first")

    def doc(self) -> dict[str, object]:
        return {"key": self.key.hex() if self.key else None, "count": self.count,
                "head": self.head.hex(), "signature": self.signature.hex(),
                "latest": {a: list(v) for a, v in self.latest.items()}}

    @staticmethod
    def of(doc: dict[str, Any]) -> LogWitness:
        return LogWitness(bytes.fromhex(doc["key"]) if doc.get("key") else None,
                          int(doc["count"]), bytes.fromhex(doc["head"]),
                          bytes.fromhex(doc.get("signature", "")),
                          {a: (int(v[0]), str(v[1])) for a, v in doc["latest"].items()})


def compare(mine: LogHead, theirs: LogHead, entries: Sequence[bytes]) -> str:
    """Compare two parties' heads given the log's entries from the start up to the longer
    head, as the hub serves them to the one comparing. '' when one history extends the
    other; otherwise what differs."""
    if not equal(mine.key, theirs.key):
        return "the two heads are signed by different hubs' keys"
    longer = max(mine.count, theirs.count)
    if len(entries) < longer:
        return "the hub would not serve the whole log"
    try:
        hashes = chain(entries[:longer])
    except TrustError as e:
        return str(e)
    for head in (mine, theirs):
        at = hashes[head.count - 1] if head.count else GENESIS
        if not equal(at, head.head):
            who = "yours" if head is mine else "theirs"
            return (f"the hub showed you and them different roster histories: the log it "
                    f"serves now does not pass through {who} ({head.count} entries)")
    return ""

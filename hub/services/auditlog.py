"""The tamper-evident audit log: what the Auditor (services/auditor.py) writes is sealed
here. The sealer moves events from the intake stream into the sealed log in order, each
entry canonical JSON naming the previous entry's hash; the hub signs checkpoints (count and
head hash) with its own key; verification walks the log and names the first entry that was
edited, deleted, inserted, reordered or cut off, and an exported checkpoint also catches the
whole log being rewritten from scratch."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

from hub.api.codes import Codes
from hub.clock import Clock
from hub.crypto.auditlog import GENESIS, HubKey, canonical, entry_hash, verify_checkpoint
from hub.errors import Forbidden
from hub.loops import Heartbeat, keep_going
from hub.store import Store
from hub.store.audit import Sealed

from . import trails
from .principal import Principal

BATCH = 500
CHECKPOINT_EVERY = 1.0  # seconds: the longest a sealed entry goes without a signed checkpoint


class AuditExport(TypedDict):
    """What `hub audit export` writes: enough to verify the log on another machine."""

    format: str
    checkpoints: list[dict[str, str]]
    entries: list[dict[str, str]]


@dataclass(frozen=True)
class Checkpoint:
    count: int
    head: str  # hex
    at: int
    key: str  # hex public key of the hub that signed it
    signature: str  # hex

    def doc(self) -> dict[str, str]:
        return {"count": str(self.count), "head": self.head, "at": str(self.at),
                "key": self.key, "signature": self.signature}

    @staticmethod
    def of(doc: dict[str, str]) -> Checkpoint:
        return Checkpoint(int(doc["count"]), doc["head"], int(doc["at"]), doc["key"],
                          doc["signature"])


class VerdictDoc(TypedDict):
    ok: bool
    entries: int
    checkpoints: int
    problem: str


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    checkpoints: int
    problem: str = ""  # the first thing found wrong, naming the entry

    def doc(self) -> VerdictDoc:
        return {"ok": self.ok, "entries": self.entries, "checkpoints": self.checkpoints,
                "problem": self.problem}


@dataclass
class AuditLog:
    store: Store
    clock: Clock
    key: HubKey | None  # None: the hub cannot sign checkpoints (verification still works)

    async def seal(self) -> int:
        """Seal every event waiting in the intake; how many were sealed."""
        sealed = 0
        while True:
            head = await self.store.audit.head()
            waiting = await self.store.audit.intake(head.id, BATCH)
            if not waiting:
                return sealed
            prev = bytes.fromhex(head.hash) if head.hash else GENESIS
            entries = []
            for n, (iid, event) in enumerate(waiting, start=head.count):
                doc = json.loads(event)
                entry = canonical({"seq": n, "id": iid, "event": doc, "prev": prev.hex()})
                prev = entry_hash(entry)
                entries.append(Sealed(iid, entry.decode(), prev.hex(), doc.get("referral"), n))
            if await self.store.audit.seal(head, entries):
                sealed += len(entries)

    async def checkpoint(self) -> Checkpoint:
        """Seal what is waiting, then sign and keep a checkpoint of the log's head."""
        if self.key is None:
            raise RuntimeError("no hub signing key: set HUB_HUB_SIGNING_KEY_FILE")
        await self.seal()
        head = await self.store.audit.head()
        head_hash = bytes.fromhex(head.hash) if head.hash else GENESIS
        at = int(self.clock.now())
        point = Checkpoint(head.count, head_hash.hex(), at, self.key.public.hex(),
                           self.key.sign_checkpoint(head.count, head_hash, at).hex())
        await self.store.audit.add_checkpoint(point.doc())
        return point

    async def run(self, stop: threading.Event, *, interval: float = 0.5,
                  checkpoint_every: float = CHECKPOINT_EVERY) -> None:
        """The sealer, until ``stop``: turn the tallies of windows that ended into events,
        seal what comes in, and sign a checkpoint with every batch sealed, at most one each
        ``checkpoint_every`` seconds (so an entry is covered by a signed checkpoint within
        about a second of being sealed); a heartbeat after each completed cycle. A Redis
        outage is waited out (hub.loops); anything else is raised, and the process must
        end."""
        signed = {"at": self.clock.now() - checkpoint_every, "count": -1}

        async def cycle() -> float:
            await self.store.audit.release_tallies(self.clock.now())
            await self.seal()
            head = await self.store.audit.head()
            due = self.clock.now() - signed["at"] >= checkpoint_every
            if self.key is not None and head.count != signed["count"] and due:
                signed["count"] = (await self.checkpoint()).count
                signed["at"] = self.clock.now()
            return interval

        await keep_going("sealer", cycle, stop,
                         done=Heartbeat(self.store, self.clock, "sealer"))

    async def checkpoints(self) -> list[Checkpoint]:
        return [Checkpoint.of(d) for d in await self.store.audit.checkpoints()]

    async def export(self) -> AuditExport:
        """Everything needed to verify the log elsewhere: checkpoints and sealed entries."""
        return {"format": "ccr-audit/1",
                "checkpoints": [c.doc() for c in await self.checkpoints()],
                "entries": [{"entry": s.entry, "hash": s.hash}
                            for s in await self.store.audit.whole_log()]}

    async def verify_for(self, who: Principal) -> Verdict:
        if not who.is_coordinator:
            raise Forbidden("only coordinators verify the audit log", code=Codes.NOT_ALLOWED)
        return await self.verify()

    async def verify(self, exported: Sequence[Checkpoint] = ()) -> Verdict:
        """Walk the sealed log; check every link, every stored checkpoint and any
        ``exported`` ones (kept off the machine, so a rewritten log is caught too), then
        every referral's trail index against the log (trails.py)."""
        entries = await self.store.audit.whole_log()
        stored = await self.checkpoints()
        hashes, problem = _walk(entries)
        for point in (*stored, *exported):
            problem = problem or _check_point(point, hashes, self.key)
        problem = problem or await trails.cross_check(self.store, entries)
        return Verdict(not problem, len(entries), len(stored), problem)


def _walk(entries: list[Sealed]) -> tuple[list[bytes], str]:
    """The hash after each entry, up to the first problem, and that problem. An entry is
    known by its place in the chain (``seq``), which its hash covers."""
    docs = [_doc(s) for s in entries]
    seqs = [d["seq"] if d else None for d in docs]
    hashes: list[bytes] = []
    prev = GENESIS
    for n, (sealed, doc) in enumerate(zip(entries, docs, strict=True)):
        where = f"entry {n} (event {doc['id'] if doc else sealed.id})"
        if doc is None or entry_hash(sealed.entry.encode()).hex() != sealed.hash:
            return hashes, f"{where} was edited"
        if doc["seq"] > n:
            if n in seqs[n + 1:]:
                return hashes, f"{where} is out of order: entries were reordered"
            return hashes, f"entry {n} was deleted (the log goes on with {where})"
        if doc["seq"] < n:
            return hashes, (f"an entry was inserted at {doc['seq']} (the original entry "
                            f"{doc['seq']}, event {doc['id']}, comes after it)")
        if doc["prev"] != prev.hex():
            return hashes, f"entry {n - 1} was edited ({where} no longer follows it)"
        prev = bytes.fromhex(sealed.hash)
        hashes.append(prev)
    return hashes, ""


def _doc(sealed: Sealed) -> dict | None:
    try:
        doc = json.loads(sealed.entry)
        return {"seq": int(doc["seq"]), "id": str(doc["id"]), "prev": str(doc["prev"])}
    except (ValueError, KeyError, TypeError):
        return None


def _check_point(point: Checkpoint, hashes: list[bytes], key: HubKey | None) -> str:
    try:
        signed = verify_checkpoint(bytes.fromhex(point.key), point.count,
                                   bytes.fromhex(point.head), point.at,
                                   bytes.fromhex(point.signature))
    except ValueError:
        signed = False
    if not signed or (key is not None and point.key != key.public.hex()):
        return f"checkpoint of {point.count} entries is not signed by this hub's key"
    if point.count > len(hashes):
        return (f"the log was cut short after entry {len(hashes) - 1}: a checkpoint counted "
                f"{point.count} entries")
    at = hashes[point.count - 1] if point.count else GENESIS
    if at.hex() != point.head:
        return (f"the log was rewritten: its first {point.count} entries do not end in the "
                "hash a checkpoint signed")
    return ""

"""The roster log (docs/envelope.md, "Roster log"): every roster the hub serves goes first
into one append-only hash chain (as it is published; one published before the log existed,
when it is first served), its head signed with the hub's key (the audit log's key and
machinery, hub/crypto/auditlog.py), so that a hub showing two senders two different rosters
of one agency has to show them two different logs, which they catch by comparing heads."""

from __future__ import annotations

from hub.crypto import SignedRoster
from hub.crypto.auditlog import HubKey
from hub.crypto.rosterlog import GENESIS, LogHead, entry_hash, log_entry, roster_digest
from hub.errors import Unprocessable
from hub.store import Store

RETRIES = 20


class RosterLogService:
    def __init__(self, *, store: Store, key: HubKey | None):
        self._store = store
        self._key = key

    async def logged(self, agency: str, version: int, signed: SignedRoster) -> LogHead | None:
        """The signed head of a log whose newest entry for ``agency`` is this roster
        (appended now if it is not yet); None when the hub has no signing key."""
        if self._key is None:
            return None
        digest = roster_digest(signed).hex()
        directory = self._store.directory
        for _ in range(RETRIES):
            count, head, latest = await directory.roster_log_state(agency)
            prev = bytes.fromhex(head) if head else GENESIS
            if latest == digest:
                return LogHead.signed(self._key, count, prev)
            entry = log_entry(count, agency, version, bytes.fromhex(digest), prev)
            await directory.append_roster_log(count, agency, digest, entry,
                                              entry_hash(entry).hex())
        raise RuntimeError("the roster log kept moving; try again")  # pragma: no cover

    async def entries(self, start: int) -> tuple[list[bytes], LogHead | None]:
        """The log's entries from ``start`` and its signed head, read together."""
        if start < 0:
            raise Unprocessable("'from' is a position in the log, 0 or more")
        count, head, _ = await self._store.directory.roster_log_state("")
        prev = bytes.fromhex(head) if head else GENESIS
        signed = LogHead.signed(self._key, count, prev) if self._key else None
        return await self._store.directory.roster_log(start, count), signed

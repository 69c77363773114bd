"""Per-person API tokens: 256-bit random, shown once when issued, stored only as a hash.

A token reads ``ccr_<id>_<secret>``: the id (the token's public prefix) finds the record,
the secret is compared by hash. Failed sign-ins are counted per client address and per
token id; past the limit they are answered 429, but a valid token is always accepted, so
an attacker cannot lock the real owner out.

A route whose write itself checks that the token still stands (submitting a referral: the
write refuses a revoked token in the same atomic step) may authenticate from the process's
memory of tokens it has already verified, which saves a Redis round trip on the busiest
write; every other route reads the token's record afresh, so revocation acts at once
everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import NoReturn

from hub.clock import Clock
from hub.errors import NotFound, TooManyRequests, Unauthorized
from hub.routing.directory import Ccr
from hub.store import Store

from .audit import Auditor
from .principal import Principal

FAILURE_LIMIT = 20
FAILURE_WINDOW = 300
REMEMBERED = 4096  # verified tokens a process keeps in memory (their hash and person)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, never stored
    token_id: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split(token: str) -> tuple[str, str] | None:
    parts = token.split("_", 2)  # the secret is base64url and may itself hold '_'
    if len(parts) != 3 or parts[0] != "ccr" or len(parts[1]) != 16 or len(parts[2]) != 43:
        return None
    return parts[1], parts[2]


class TokenService:
    def __init__(self, *, store: Store, clock: Clock, ccr: Ccr, auditor: Auditor):
        self._store = store
        self._clock = clock
        self._ccr = ccr
        self._audit = auditor
        self._remembered: dict[str, dict[str, str]] = {}  # token id -> its record

    async def issue(self, person_id: str, *, issued_by: str = "admin-cli") -> IssuedToken:
        person = self._ccr.find_person(person_id)
        if person is None:
            raise NotFound(f"no person '{person_id}' in this CCR's directory")
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        fields = {"person": person.id, "secret_hash": _hash(secret),
                  "issued_at": str(self._clock.now()), "issued_by": issued_by}
        audit = self._audit.event(None, "token.issue", outcome="ok")
        await self._store.access.put_token(token_id, person.id, fields,
                                           audit.model_copy(update={"actor": issued_by}))
        return IssuedToken(f"ccr_{token_id}_{secret}", token_id)

    async def revoke(self, token_id: str, *, revoked_by: str = "admin-cli") -> bool:
        row = await self._store.access.token(token_id)
        if row is None:
            return False
        audit = self._audit.event(None, "token.revoke").model_copy(update={"actor": revoked_by})
        self._remembered.pop(token_id, None)
        return await self._store.access.revoke_token(token_id, row["person"], audit)

    async def authenticate(self, token: str | None, client: str, *,
                           rechecked_by_write: bool = False) -> Principal:
        """The person ``token`` stands for. With ``rechecked_by_write`` (the caller's write
        refuses a revoked token atomically) a token verified before may come from memory."""
        parts = _split(token) if token else None
        principal = await self._lookup(*parts, rechecked_by_write) if parts else None
        if principal is not None:
            return principal
        await self.refuse(client, token_id=parts[0] if parts else None)

    async def refuse_revoked(self, client: str, token_id: str) -> NoReturn:
        """A remembered token that the write found revoked: forgotten, then refused."""
        self._remembered.pop(token_id, None)
        await self.refuse(client, token_id=token_id,
                          message="this API token has been revoked; ask your agency admin for "
                                  "a new one")

    async def refuse(self, client: str, *, token_id: str | None = None,
                     message: str = "a valid API token is required: 'Authorization: Bearer "
                                    "ccr_...'") -> NoReturn:
        """A failed sign-in (a bad token, or a session cookie that is not a live session):
        audited, counted per client address (and token id), and answered 401, or 429 past
        the limit."""
        scopes = {"ip": client} | ({"token": token_id} if token_id else {})
        counts = await self._store.access.record_failure(
            scopes, FAILURE_WINDOW, self._audit.event(None, "auth", outcome="denied"))
        if max(counts) > FAILURE_LIMIT:  # counted and compared in one step: no race past it
            raise TooManyRequests("too many failed sign-ins from here; wait five minutes")
        raise Unauthorized(message)

    async def _lookup(self, token_id: str, secret: str, remembered: bool) -> Principal | None:
        row = self._remembered.get(token_id) if remembered else None
        if row is None:
            row = await self._store.access.token(token_id)
        if row is None:
            self._remembered.pop(token_id, None)
            return None
        if not hmac.compare_digest(row["secret_hash"], _hash(secret)):
            return None
        self._remember(token_id, row)
        person = self._ccr.find_person(row["person"])
        if person is None:  # removed from the directory since the token was issued
            return None
        return Principal(person.id, person.agency, frozenset(person.roles), token_id)

    def _remember(self, token_id: str, row: dict[str, str]) -> None:
        if token_id not in self._remembered and len(self._remembered) >= REMEMBERED:
            self._remembered.pop(next(iter(self._remembered)))  # the oldest
        self._remembered[token_id] = row

"""Per-person API tokens: 256-bit random, shown once when issued, stored only as a hash.

A token reads ``ccr_<id>_<secret>``: the id (the token's public prefix) finds the record,
the secret is compared by hash. Failed sign-ins are counted per client address and per
token id; past the limit they are answered 429, but a valid token is always accepted, so
an attacker cannot lock the real owner out.
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
        return await self._store.access.revoke_token(token_id, row["person"], audit)

    async def authenticate(self, token: str | None, client: str) -> Principal:
        parts = _split(token) if token else None
        principal = await self._lookup(*parts) if parts else None
        if principal is not None:
            return principal
        await self.refuse(client, token_id=parts[0] if parts else None)

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

    async def _lookup(self, token_id: str, secret: str) -> Principal | None:
        row = await self._store.access.token(token_id)
        if row is None or not hmac.compare_digest(row["secret_hash"], _hash(secret)):
            return None
        person = self._ccr.find_person(row["person"])
        if person is None:  # removed from the directory since the token was issued
            return None
        return Principal(person.id, person.agency, frozenset(person.roles), token_id)

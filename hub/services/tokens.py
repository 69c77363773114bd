"""Per-person API tokens: 256-bit random, shown once when issued, stored only as a hash.

A token reads ``ccr_<id>_<secret>``: the id (the token's public prefix) finds the record,
the secret is compared by hash. Failed sign-ins are counted per client address and per
token id (of a real token); past the limit they are answered 429 and tallied rather than
audited one by one, but a valid token is always accepted, so an attacker cannot lock the
real owner out.

A route whose write itself checks that the token still stands (submitting a referral: the
write refuses a revoked token in the same atomic step) may authenticate from the process's
memory of tokens it has already verified, which saves a Redis round trip on the busiest
write; every other route reads the token's record afresh, so revocation acts at once
everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from typing import NoReturn

from hub.clock import Clock
from hub.errors import NotFound, TooManyRequests, Unauthorized
from hub.models import AuditEvent
from hub.routing.ccr import Ccr
from hub.store import Store
from hub.store.access import Window

from .auditor import Auditor
from .principal import ANONYMOUS, Principal

FAILURE_LIMIT = 20  # failed sign-ins per address (and per real token id) in a window
FAILURE_WINDOW = 300  # seconds; windows are fixed (each starts at a multiple of this)
_PUBLIC_ID = re.compile(r"[0-9a-f]{16}")
REMEMBERED = 4096  # verified tokens a process keeps in memory (their hash and person)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, never stored
    token_id: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _minutes(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 90 else f"{round(seconds / 60)} minutes"


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
        principal, known = await self._lookup(*parts, rechecked_by_write) if parts else \
            (None, False)
        if principal is not None:
            return principal
        await self.refuse(client, token_id=parts[0] if parts else None, known=known)

    async def refuse_revoked(self, client: str, token_id: str) -> NoReturn:
        """A token that a write found revoked (the check is inside its atomic step,
        store/lua/create_referral.lua): forgotten, then refused like any failed sign-in
        (counted, audited, 401 or 429)."""
        self._remembered.pop(token_id, None)
        await self.refuse(client, token_id=token_id, known=True,
                          message="this API token has been revoked; ask your agency admin for "
                                  "a new one")

    async def refuse(self, client: str, *, token_id: str | None = None, known: bool = False,
                     message: str = "a valid API token is required: 'Authorization: Bearer "
                                    "ccr_...'") -> NoReturn:
        """A failed sign-in (a bad token, or a session cookie that is not a live session):
        counted per client address (and per token id, when it names a real token: made-up
        ids cost no counter each) in fixed windows, audited with the token id, the client
        address and the request id up to the limit, past it tallied per address and window
        (one audit event with a count when the window ends), and answered 401, or 429 past
        the limit."""
        window = Window.at(self._clock.now(), FAILURE_WINDOW)
        scopes = {"ip": client} | ({"token": token_id} if known and token_id else {})
        named = token_id if token_id and _PUBLIC_ID.fullmatch(token_id) else None
        event = self._audit.event(None, "auth", outcome="denied").model_copy(
            update={"client": client, "token_id": named})
        tally = AuditEvent(at=window.ends, actor=ANONYMOUS, action="auth",
                           outcome="rate_limited", client=client)
        highest = await self._store.access.record_failure(scopes, window, FAILURE_LIMIT, event,
                                                          tally)
        if highest > FAILURE_LIMIT:  # counted and compared in one step: no race past it
            wait = math.ceil(window.ends - self._clock.now())
            raise TooManyRequests(f"too many failed sign-ins from here; wait {_minutes(wait)}",
                                  retry_after=wait)
        raise Unauthorized(message)

    async def _lookup(self, token_id: str, secret: str, remembered: bool
                      ) -> tuple[Principal | None, bool]:
        """The person, if the secret is right, and whether ``token_id`` is a real token."""
        row = self._remembered.get(token_id) if remembered else None
        if row is None:
            row = await self._store.access.token(token_id)
        if row is None:
            self._remembered.pop(token_id, None)
            return None, False
        if not hmac.compare_digest(row["secret_hash"], _hash(secret)):
            return None, True
        self._remember(token_id, row)
        person = self._ccr.find_person(row["person"])
        if person is None:  # removed from the directory since the token was issued
            return None, True
        return Principal(person.id, person.agency, frozenset(person.roles), token_id), True

    def _remember(self, token_id: str, row: dict[str, str]) -> None:
        if token_id not in self._remembered and len(self._remembered) >= REMEMBERED:
            self._remembered.pop(next(iter(self._remembered)))  # the oldest
        self._remembered[token_id] = row

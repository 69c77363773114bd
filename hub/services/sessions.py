"""Signing in to the hub's pages: a personal API token, checked once, becomes a session.
The browser holds a random session id in a cookie; the store holds only its hash, who it
is, and a CSRF token for the session's forms. A session ends after 15 idle minutes, at
sign-out, or as soon as its token is revoked."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from hub.clock import Clock
from hub.routing.ccr import Ccr
from hub.store import Store

from .auditor import Auditor
from .principal import Principal
from .tokens import TokenService

IDLE_LIMIT = 15 * 60


@dataclass(frozen=True)
class Session:
    principal: Principal
    csrf: str

    def csrf_ok(self, offered: str | None) -> bool:
        return offered is not None and hmac.compare_digest(self.csrf, offered)


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class SessionService:
    def __init__(self, *, store: Store, clock: Clock, ccr: Ccr, tokens: TokenService,
                 auditor: Auditor, idle_limit: int = IDLE_LIMIT):
        self._store = store
        self._clock = clock
        self._ccr = ccr
        self._tokens = tokens
        self._audit = auditor
        self.idle_limit = idle_limit

    async def sign_in(self, token: str, client: str) -> tuple[str, Session]:
        """A new session for the token's owner (raises Unauthorized or TooManyRequests
        exactly as the API does, and audits the failure there)."""
        who = await self._tokens.authenticate(token.strip(), client)
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self._clock.now()
        await self._store.sessions.create(
            _digest(sid), {"person": who.person, "token_id": who.token_id, "csrf": csrf,
                           "created_at": str(now), "last_seen": str(now)}, self.idle_limit)
        await self._audit.record(who, "session.sign_in")
        return sid, Session(who, csrf)

    async def resolve(self, sid: str | None, *, touch: bool = True) -> Session | None:
        """The live session behind a cookie (touched, unless ``touch`` is False); None when
        there is none (never was, idle too long, signed out, or its token revoked)."""
        if not sid or len(sid) > 100:
            return None
        digest = _digest(sid)
        row = await self._store.sessions.get(digest)
        now = self._clock.now()
        if row is None:
            return None
        person = self._ccr.find_person(row["person"])
        idle = now - float(row["last_seen"]) > self.idle_limit
        if idle or person is None or await self._store.access.token(row["token_id"]) is None:
            await self._store.sessions.delete(digest)
            return None
        if touch:
            await self._store.sessions.touch(digest, now, self.idle_limit)
        who = Principal(person.id, person.agency, frozenset(person.roles), row["token_id"])
        return Session(who, row["csrf"])

    async def sign_out(self, sid: str, who: Principal) -> None:
        await self._store.sessions.delete(_digest(sid))
        await self._audit.record(who, "session.sign_out")

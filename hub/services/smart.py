"""SMART Backend Services (client_credentials with a private_key_jwt assertion), beside
the hub's own API tokens, for EHRs and case-management systems that call the FHIR facade.

The operator registers each client in a TOML file (HUB_SMART_CLIENTS_FILE): its id, its
agency, the person of that agency it acts as (whose roles, escalation-group membership and
device receipts the lifecycle's rules then apply to), the scopes it may be granted and its
JWKS (public keys only). A token is bound to the client's agency: asking for another
agency's scope is refused. docs/fhir.md has the file's shape and the scopes."""

from __future__ import annotations

import hashlib
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.api.codes import Codes
from hub.clock import Clock
from hub.errors import BadRequest, ConfigError, Forbidden, HubError, Unauthorized
from hub.routing.ccr import Ccr
from hub.store import Store

from .auditor import Auditor
from .principal import Principal

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS384", "ES384")  # what SMART Backend Services requires servers to take
SCOPES = ("system/Task.read", "system/Task.write", "system/Subscription.read",
          "system/Subscription.write")
MAX_ASSERTION_LIFE = 300  # seconds: SMART's limit on an assertion's exp
TOKEN_LIFE = 300
SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"


class ClientEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=SLUG)
    agency: str = Field(pattern=SLUG)
    acts_as: str = Field(pattern=SLUG, description="a person of the agency")
    scopes: tuple[str, ...] = Field(min_length=1)
    jwks_file: Path
    webhook_secret_file: Path | None = None


@dataclass(frozen=True)
class SmartClient:
    id: str
    agency: str
    acts_as: str
    scopes: frozenset[str]
    keys: jwt.PyJWKSet
    webhook_secret: bytes | None


@dataclass(frozen=True)
class Grant:
    """Who a SMART token stands for, and what it may do."""

    principal: Principal
    client: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def load_clients(path: Path | None, ccr: Ccr) -> dict[str, SmartClient]:
    """The registered clients, checked at start-up: a bad entry names the file and key."""
    if path is None:
        return {}
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read the SMART clients: {e}", path=str(path)) from None
    clients = {}
    for i, entry in enumerate(raw.get("client", [])):
        where = f"client[{i}]"
        try:
            c = ClientEntry.model_validate(entry)
        except ValidationError as e:
            first = e.errors()[0]
            raise ConfigError(first["msg"], path=str(path),
                              key=f"{where}.{'.'.join(str(p) for p in first['loc'])}") from None
        clients[c.id] = _client(c, path, where, ccr)
    return clients


def _client(c: ClientEntry, path: Path, where: str, ccr: Ccr) -> SmartClient:
    person = ccr.find_person(c.acts_as)
    if person is None or person.agency != c.agency:
        raise ConfigError(f"'{c.acts_as}' is not a person of {c.agency}", path=str(path),
                          key=f"{where}.acts_as")
    unknown = set(c.scopes) - set(SCOPES)
    if unknown:
        raise ConfigError(f"unknown scopes {sorted(unknown)}; use {', '.join(SCOPES)}",
                          path=str(path), key=f"{where}.scopes")
    base = path.parent
    try:
        keys = jwt.PyJWKSet.from_json((base / c.jwks_file).read_text())
        secret = (base / c.webhook_secret_file).read_text().strip().encode() \
            if c.webhook_secret_file else None
    except (OSError, jwt.PyJWTError, ValueError) as e:
        raise ConfigError(f"cannot read the client's keys or secret: {e}", path=str(path),
                          key=where) from None
    return SmartClient(c.id, c.agency, c.acts_as, frozenset(c.scopes), keys, secret)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class SmartService:
    def __init__(self, *, store: Store, clock: Clock, ccr: Ccr,
                 clients: dict[str, SmartClient], token_url: str, auditor: Auditor):
        self._store = store
        self._audit = auditor
        self._clock = clock
        self._ccr = ccr
        self.clients = clients
        self.token_url = token_url  # the assertion's audience

    async def issue(self, form: dict[str, str]) -> dict[str, Any]:
        """An access token for a client that proved itself with a signed assertion; the
        grant and every refusal are audited."""
        try:
            issued, who = await self._issue(form)
        except HubError as e:
            await self._audit.record(None, "smart.token", outcome=e.code)
            raise
        await self._audit.record(who, "smart.token")
        return issued

    async def _issue(self, form: dict[str, str]) -> tuple[dict[str, Any], Principal]:
        if form.get("grant_type") != "client_credentials":
            raise BadRequest("grant_type must be client_credentials", code=Codes.BAD_GRANT)
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise BadRequest(f"client_assertion_type must be {ASSERTION_TYPE}",
                             code=Codes.BAD_GRANT)
        client, claims = self._verified(form.get("client_assertion", ""))
        now = self._clock.now()
        if not await self._store.smart.first_use(client.id, _digest(str(claims["jti"])),
                                                 int(claims["exp"] - now)):
            raise Unauthorized("this assertion was used already; sign a new one with a fresh "
                               "jti", code=Codes.BAD_ASSERTION)
        scopes = self._granted(client, form.get("scope", ""))
        token = secrets.token_urlsafe(32)
        await self._store.smart.put_token(_digest(token), {
            "client": client.id, "scopes": " ".join(sorted(scopes)),
            "expires_at": str(now + TOKEN_LIFE)}, TOKEN_LIFE)
        return {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFE,
                "scope": " ".join(sorted(scopes))}, self._principal(client)

    def _verified(self, assertion: str) -> tuple[SmartClient, dict[str, Any]]:
        """The client and the claims of its assertion, checked on the hub's clock."""
        bad = "the client assertion does not verify: "
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Unauthorized(bad + "it is not a JWT", code=Codes.BAD_ASSERTION) from None
        client = self.clients.get(str(unverified.get("iss")))
        if client is None or unverified.get("sub") != client.id:
            raise Unauthorized(bad + "iss and sub must both be a registered client id",
                               code=Codes.BAD_ASSERTION)
        if header.get("alg") not in ALGORITHMS:
            raise Unauthorized(bad + f"sign it with {' or '.join(ALGORITHMS)}",
                               code=Codes.BAD_ASSERTION)
        claims = self._signed(client, header, assertion)
        now = self._clock.now()
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= now or exp > now + MAX_ASSERTION_LIFE:
            raise Unauthorized(bad + f"exp must be in the next {MAX_ASSERTION_LIFE} seconds",
                               code=Codes.BAD_ASSERTION)
        if not isinstance(claims.get("jti"), str) or not claims["jti"]:
            raise Unauthorized(bad + "it needs a jti", code=Codes.BAD_ASSERTION)
        return client, claims

    def _signed(self, client: SmartClient, header: dict[str, Any], assertion: str
                ) -> dict[str, Any]:
        bad = "the client assertion does not verify: "
        keys = [k for k in client.keys.keys if header.get("kid") in (None, k.key_id)]
        for key in keys:
            try:
                return jwt.decode(assertion, key.key, algorithms=list(ALGORITHMS),
                                  audience=self.token_url,
                                  options={"verify_exp": False, "verify_iat": False,
                                           "verify_nbf": False, "require": ["exp", "jti"]})
            except jwt.InvalidAudienceError:
                raise Unauthorized(bad + f"aud must be {self.token_url}",
                                   code=Codes.BAD_ASSERTION) from None
            except jwt.PyJWTError:
                continue
        raise Unauthorized(bad + "no key of the client's registered JWKS signed it",
                           code=Codes.BAD_ASSERTION)

    def _granted(self, client: SmartClient, asked: str) -> frozenset[str]:
        """The scopes asked for (all the client's when none are), each the client's own:
        'agency/<id>' must name its own agency."""
        wanted = set(asked.split()) or set(client.scopes)
        for scope in sorted(wanted):
            if scope.startswith("agency/"):
                if scope != f"agency/{client.agency}":
                    raise Forbidden(f"this client is registered for {client.agency}; it may "
                                    f"not ask for {scope}", code=Codes.BAD_SCOPE)
            elif scope not in client.scopes:
                raise Forbidden(f"this client may not be granted {scope}; it may have "
                                f"{', '.join(sorted(client.scopes))}", code=Codes.BAD_SCOPE)
        return frozenset(s for s in wanted if not s.startswith("agency/")) | \
            {f"agency/{client.agency}"}

    async def resolve(self, token: str) -> Grant | None:
        """The grant a SMART access token stands for, or None (unknown or expired)."""
        row = await self._store.smart.token(_digest(token))
        if row is None or float(row["expires_at"]) <= self._clock.now():
            return None
        client = self.clients.get(row["client"])
        if client is None:
            return None
        return Grant(self._principal(client), client.id, frozenset(row["scopes"].split()))

    def _principal(self, client: SmartClient) -> Principal:
        """The person the client acts as (checked at start-up: a person of its agency)."""
        person = self._ccr.find_person(client.acts_as)
        roles = frozenset(person.roles) if person else frozenset()
        return Principal(client.acts_as, client.agency, roles, f"smart-{client.id}")

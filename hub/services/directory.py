"""The directory the hub serves: agencies from the CCR's configuration, their registered
roots and their current signed rosters. The hub verifies a roster against the agency's
registered root before publishing it, and refuses rollbacks; clients verify again."""

from __future__ import annotations

import json
from dataclasses import dataclass

from hub.api.codes import Codes
from hub.clock import Clock
from hub.crypto import SignedRoster, TrustError, VerifiedRoster, verify_roster
from hub.errors import Conflict, Forbidden, NotFound, Unprocessable
from hub.models import Referral
from hub.routing.ccr import Agency, Ccr
from hub.store import Store

from .access import require_recipient
from .auditor import Auditor
from .principal import Principal

MAX_ROSTER_VERSION = 2**31 - 1  # the store's Lua compares versions as numbers
_REFUSALS = {  # why a roster is refused (the crypto's reason): the hub's code and words
    "roster-signature": (Codes.ROSTER_BAD_SIGNATURE,
                         "it is not signed by {agency}'s registered root key; sign it with "
                         "the root the operator registered (hub admin register-root)"),
    "roster-expired": (Codes.ROSTER_EXPIRED, "it has expired; sign a new one"),
    "roster-agency": (Codes.ROSTER_WRONG_AGENCY,
                      "it is another agency's roster; publish {agency}'s own"),
}


def roster_refused(agency: str, error: TrustError) -> Unprocessable:
    """A roster the hub will not publish, with a code in the house style (roster_...)."""
    code, words = _REFUSALS.get(error.reason, (Codes.ROSTER_INVALID, ""))
    said = words.format(agency=agency) if words else str(error)
    return Unprocessable(f"roster refused: {said}", code=code)


@dataclass(frozen=True)
class PublishedRoster:
    agency: str
    version: int
    signed: dict[str, str]


class DirectoryService:
    def __init__(self, *, store: Store, clock: Clock, ccr: Ccr, auditor: Auditor):
        self._store = store
        self._clock = clock
        self.ccr = ccr
        self._audit = auditor
        self._verified: dict[str, tuple[tuple[int, bytes], VerifiedRoster]] = {}

    def agency(self, agency_id: str) -> Agency:
        agency = self.ccr.find_agency(agency_id)
        if agency is None:
            raise NotFound(f"no agency '{agency_id}' in this CCR")
        return agency

    async def register_root(self, agency_id: str, public: bytes, *,
                            by: str = "operator-cli") -> bool:
        """Register an agency's root public key (an operator's step, from the CLI); False
        when it already has one."""
        self.agency(agency_id)
        if len(public) != 32:
            raise Unprocessable("a root public key is 32 bytes")
        audit = self._audit.event(None, "root.register").model_copy(update={"actor": by})
        return await self._store.directory.set_root_if_absent(agency_id, public, audit)

    async def replace_root(self, agency_id: str, public: bytes, *, by: str) -> None:
        """Re-key an agency (its root was lost or compromised): the published roster goes
        with the old root, and the admin publishes a new one signed by the new root."""
        self.agency(agency_id)
        if len(public) != 32:
            raise Unprocessable("a root public key is 32 bytes")
        audit = self._audit.event(None, "root.replace").model_copy(update={"actor": by})
        await self._store.directory.replace_root(agency_id, public, audit)
        self._verified.pop(agency_id, None)

    async def root(self, agency_id: str) -> bytes | None:
        self.agency(agency_id)
        return await self._store.directory.root(agency_id)

    async def published(self, agency_id: str) -> PublishedRoster:
        self.agency(agency_id)
        stored = await self._store.directory.roster(agency_id)
        if stored is None:
            raise NotFound(f"{agency_id} has not published a roster yet")
        return PublishedRoster(agency_id, stored.version, json.loads(stored.signed))

    async def publish(self, who: Principal, agency_id: str, signed_doc: object
                      ) -> tuple[int, bool]:
        """Publish a signed roster: (its version, whether it is new). The very roster that
        is already published, sent again, is accepted as it stands (and audited)."""
        if who.agency != agency_id or not who.has("agency_admin"):
            raise Forbidden("only an agency admin of this agency may publish its roster")
        root = await self.root(agency_id)
        if root is None:
            raise Conflict(f"{agency_id} has no registered root key; register it first",
                           code=Codes.NO_ROOT)
        try:
            signed = SignedRoster.from_json(signed_doc)
            roster = verify_roster(signed, root, agency=agency_id, now=int(self._clock.now()))
        except TrustError as e:
            raise roster_refused(agency_id, e) from None
        if roster.version > MAX_ROSTER_VERSION:
            raise Unprocessable(f"a roster version is a counter up to {MAX_ROSTER_VERSION}; "
                                "publish the next one after the current", code=Codes.ROSTER_VERSION)
        audit = self._audit.event(who, "roster.publish")
        result, current = await self._store.directory.put_roster(
            agency_id, roster.version, json.dumps(signed.to_json(), sort_keys=True), audit)
        if result == "rollback":
            raise Conflict(f"roster version {roster.version} is not newer than the published "
                           f"version {current}", code=Codes.ROSTER_ROLLBACK)
        if result == "same":  # nothing was written: the repeat is audited here
            await self._audit.record(who, "roster.publish", outcome="unchanged")
        self._verified[agency_id] = ((roster.version, root), roster)
        return roster.version, result == "ok"

    async def require_recipient(self, who: Principal, referral: Referral
                                ) -> VerifiedRoster:
        """Check ``who`` is in the receiving agency's escalation group for the referral's
        type (see access.require_recipient); returns the roster checked against."""
        return require_recipient(who, referral, await self.verified_roster(referral.destination))

    async def routing_roster(self, agency_id: str, *, refresh: bool = False
                             ) -> tuple[tuple[int, bytes], VerifiedRoster] | None:
        """The roster a referral is routed by, with its (version, root) stamp: the cached
        verification while unexpired (the store re-checks the stamp in the same atomic step
        as the write, so a change is never missed), else a fresh one."""
        cached = self._verified.get(agency_id)
        if not refresh and cached and self._clock.now() < cached[1].expires_at:
            return cached
        if await self.verified_roster(agency_id) is None:
            return None
        return self._verified[agency_id]

    async def verified_roster(self, agency_id: str) -> VerifiedRoster | None:
        """The agency's current roster, verified against its root. A verification is cached
        per (version, root) and reused until the roster expires."""
        stamp = await self._store.directory.roster_stamp(agency_id)
        if stamp is None:
            return None
        now = int(self._clock.now())
        cached = self._verified.get(agency_id)
        if cached is not None and cached[0] == stamp and now < cached[1].expires_at:
            return cached[1]
        stored = await self._store.directory.roster(agency_id)
        if stored is None:
            return None
        try:
            roster = verify_roster(SignedRoster.from_json(json.loads(stored.signed)), stamp[1],
                                   agency=agency_id, now=now)
        except TrustError:
            return None
        self._verified[agency_id] = ((roster.version, stamp[1]), roster)
        return roster

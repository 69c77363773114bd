"""Key grants (docs/envelope.md, "Key grants"): a device of the receiving agency hands a
referral (or a reply addressed to its agency) on to a device approved after it was sealed.
The hub checks what it can read of a grant (the envelope, the signer, the grantee), keeps it
beside the envelope and serves it to the grantee's person; the grantee's device checks the
rest. Grants go with the envelope: consent withdrawn, expiry, retention."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hub.api.codes import Codes
from hub.clock import Clock
from hub.crypto import DeviceCertificate, EnvelopeError, VerifiedRoster, parse_header
from hub.crypto.grants import KeyGrant, verify_grant
from hub.crypto.rosters import RECOVERY
from hub.errors import Conflict, NotFound, Unprocessable
from hub.models import Referral
from hub.store import Store, StoredGrant

from .auditor import Auditor
from .consent import ConsentService
from .directory import DirectoryService
from .principal import Principal
from .readability import ReadabilityService
from .referrals import ReferralService, is_admin_of

MAX_BATCH = 200
NOTICE_WINDOW = 3600  # seconds: one notice to the coordinators per agency per break-glass hour


def _bad(message: str) -> Unprocessable:
    return Unprocessable(message, code=Codes.BAD_KEY_GRANT)


class GrantService:
    def __init__(self, *, store: Store, clock: Clock, directory: DirectoryService,
                 referrals: ReferralService, consent: ConsentService, auditor: Auditor,
                 readability: ReadabilityService | None = None):
        self._store = store
        self._readability = readability
        self._clock = clock
        self._directory = directory
        self._referrals = referrals
        self._consent = consent
        self._audit = auditor
        # the coordinators' notice of a recovery key's use (set by the web app, which holds
        # the adapters: escalation/alarm.py RecoveryAlert); None sends nothing
        self.on_recovery: Callable[[str], Awaitable[object]] | None = None


    async def _roster(self, who: Principal, referral: Referral) -> VerifiedRoster:
        roster = await self._directory.verified_roster(who.agency)
        if roster is None:
            raise Conflict(f"{who.agency} has no current roster; ask its agency admin to "
                           "publish one", code=Codes.NO_ROSTER)
        return roster

    async def put(self, who: Principal, rid: str, grants: list[bytes],
                  request_id: str | None = None) -> int:
        """Store grants of this referral's envelopes made by ``who``'s devices (or, for an
        agency admin, by the agency's recovery device); the number newly stored."""
        referral = await self._referrals.get(who, rid)
        if not is_admin_of(who, referral.destination):  # the escalation group, as for GET;
            await self._directory.require_recipient(who, referral)  # 403 or 404 for others
        if not 1 <= len(grants) <= MAX_BATCH:
            raise _bad(f"send 1 to {MAX_BATCH} grants at a time")
        now = self._clock.now()
        self._consent.check_referral(referral, now)
        roster = await self._roster(who, referral)
        hashes: dict[bytes, bytes] = {}
        checked = [await self._check(who, referral, roster, raw, hashes, int(now))
                   for raw in grants]
        recovery = any(RECOVERY in roster_roles(roster, roster.devices[g.granter_id].person)
                       for g in checked)
        result = await self._store.grants.put(
            rid, checked, self._audit.event(who, "grant.recovery" if recovery else "grant.issue",
                                            referral=rid, request_id=request_id))
        if result == "missing":
            raise NotFound(f"no referral {rid}")
        if result == "closed":
            raise NotFound("this referral's envelope has been deleted; there is nothing to "
                           "hand on", code=Codes.ENVELOPE_GONE)
        if self._readability is not None:  # its dashboard count is out of date
            self._readability.forget(referral.destination)
        if recovery and self.on_recovery is not None \
                and await self._store.grants.first_recovery(who.agency, NOTICE_WINDOW):
            await self.on_recovery(who.agency)
        return int(result)

    async def _check(self, who: Principal, referral: Referral, roster: VerifiedRoster,
                     raw: bytes, hashes: dict[bytes, bytes], now: int) -> StoredGrant:
        try:
            grant, granter = verify_grant(raw, devices=roster.devices.values())
        except EnvelopeError:
            raise _bad("a grant is not a 285-byte key grant signed by a device in your "
                       "agency's current roster") from None
        if grant.thread_id.hex() != referral.id:
            raise _bad("a grant names another referral")
        if grant.header_hash != await self._header_hash(referral, who.agency, grant, hashes):
            raise _bad("a grant is bound to an envelope this referral does not hold")
        if not roster.current_device(granter, now) or not self._may_sign(who, roster, granter):
            raise _bad("a grant must be signed by a current device of yours (an agency admin "
                       "may upload the recovery device's)")
        grantee = roster.devices.get(grant.grantee_id)
        if grantee is None or not roster.current_device(grantee, now) or (
                grantee.person not in roster.group_members(referral.type)
                and RECOVERY not in roster_roles(roster, grantee.person)):
            raise _bad(f"a grant goes to a current device of the escalation group for "
                       f"'{referral.type}' (or to the agency's recovery key)")
        return StoredGrant(grant.envelope_id.hex(), grant.grantee_id.hex(), raw,
                           grant.envelope_id.hex() == referral.id, grant.granter_id)

    @staticmethod
    def _may_sign(who: Principal, roster: VerifiedRoster, granter: DeviceCertificate) -> bool:
        if granter.person == who.person:
            return True
        return who.has("agency_admin") and RECOVERY in roster_roles(roster, granter.person)

    async def _header_hash(self, referral: Referral, agency: str, grant: KeyGrant,
                           hashes: dict[bytes, bytes]) -> bytes | None:
        """The header hash of the envelope the grant names, if it is addressed to
        ``agency``: the referral's own, or a reply's."""
        if grant.envelope_id not in hashes:
            eid = grant.envelope_id.hex()
            data = None
            if eid == referral.id and agency == referral.destination:
                data = await self._store.referrals.envelope(referral.id)
            elif eid != referral.id:
                meta = await self._store.threads.reply(referral.id, eid)
                if meta is not None and meta.get("to_agency") == agency:
                    data = await self._store.threads.reply_envelope(referral.id, eid)
            if data is None:
                return None
            hashes[grant.envelope_id] = parse_header(data).hash
        return hashes[grant.envelope_id]

    async def mine(self, who: Principal, rid: str) -> tuple[list[StoredGrant], set[str]]:
        """The grants of this referral addressed to any of ``who``'s devices, and the devices
        that can read its envelope already (so a granter skips them)."""
        referral = await self._referrals.get(who, rid)
        if is_admin_of(who, referral.destination):
            roster = await self._directory.verified_roster(who.agency)
        else:
            roster = await self._directory.require_recipient(who, referral)
        self._consent.check_referral(referral, self._clock.now())
        devices = [c.device_id.hex() for c in (roster.devices.values() if roster else ())
                   if c.person == who.person]
        found = await self._store.grants.addressed_to(rid, devices)
        readers = (await self._store.grants.readers([rid]))[rid]
        await self._audit.record(who, "grant.download", referral=rid)
        return found, readers


def roster_roles(roster: VerifiedRoster, person: str) -> tuple[str, ...]:
    return next((p.roles for p in roster.body.people if p.id == person), ())

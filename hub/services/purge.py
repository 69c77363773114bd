"""Purging a referral's narrative: the receiving agency keeps the codes (needs, consent,
safe-contact choices) and lets the free text go, as the Safety Net database-vendor
checklist asks. Its device seals a reduced copy (envelope kind 3, docs/envelope.md); the
hub checks what it can read of it, and puts it in place of the old envelope in one step
with its audit event. Nobody else may do it, and nobody else learns of it: to anyone not of
the receiving agency the referral is not there (404)."""

from __future__ import annotations

from hub.api.codes import Codes
from hub.clock import Clock
from hub.crypto import Header, Kind
from hub.errors import Conflict, NotFound, Unprocessable
from hub.models import HistoryEvent, Referral
from hub.store import Store

from .access import not_found
from .auditor import Auditor
from .consent import ConsentService
from .directory import DirectoryService
from .flowback import NARRATIVE_PURGED, Sight
from .principal import Principal
from .referrals import ReferralService, check_lifetime, digest, read_header, sealed_to


class PurgeService:
    def __init__(self, *, store: Store, clock: Clock, directory: DirectoryService,
                 referrals: ReferralService, consent: ConsentService, auditor: Auditor):
        self._store = store
        self._clock = clock
        self._directory = directory
        self._referrals = referrals
        self._consent = consent
        self._audit = auditor

    async def purge_narrative(self, who: Principal, rid: str, envelope: bytes,
                              request_id: str | None = None) -> Sight:
        """Replace the referral's envelope by ``envelope``, its reduced copy. The same bytes
        again are answered as done (a retry), audited and not written twice."""
        referral = await self._referrals.get(who, rid)
        if who.agency != referral.destination:
            raise not_found(rid)
        roster = await self._directory.require_recipient(who, referral)
        now = self._clock.now()
        self._consent.check_referral(referral, now)
        _check_reduction(read_header(envelope), referral, now)
        if referral.envelope_digest == digest(envelope):
            await self._audit.record(who, "referral.narrative_purged", referral=rid,
                                     outcome="unchanged", request_id=request_id)
            return await self._referrals.sight(who, referral)
        result = await self._store.referrals.replace_envelope(
            rid, referral.envelope_digest, envelope,
            {"envelope_digest": digest(envelope), "header_hash": read_header(envelope).hash.hex(),
             "sealed_to": sealed_to(roster, referral), "narrative_purged_at": now},
            HistoryEvent(at=now, actor=who.person, action=NARRATIVE_PURGED),
            self._audit.event(who, "referral.narrative_purged", referral=rid,
                              request_id=request_id))
        if result == "gone":
            raise NotFound("this referral's envelope has been deleted", code=Codes.ENVELOPE_GONE)
        if result != "ok":
            raise Conflict("the referral's envelope changed while you were purging it; open "
                           "it again and purge again", code=Codes.CONCURRENT_CHANGE)
        return await self._referrals.read(who, rid)


def _check_reduction(header: Header, referral: Referral, now: float) -> None:
    """What the hub can read of a reduced copy: its kind, that it is of this referral, to
    the same agency and type, and lives no longer than the envelope it replaces."""
    wrong = ("a reduced copy (kind 3)" if header.kind is not Kind.REDUCED
             else "of this referral (its thread id)" if header.thread_id.hex() != referral.id
             else f"to {referral.destination}" if header.destination != referral.destination
             else f"of type '{referral.type}'" if header.referral_type != referral.type
             else "no longer lived than the envelope it replaces"
             if header.expires_at > referral.expires_at else None)
    if wrong:
        raise Unprocessable(f"the envelope must be {wrong}: seal the reduced copy with the "
                            "SDK's purge_narrative (docs/envelope.md, 'Reduced copies')",
                            code=Codes.NOT_A_REDUCTION)
    check_lifetime(header, now)

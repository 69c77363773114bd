"""Consent, checked fail-closed before anything is released. This is the one place the
rules live; issue 6 extends it to every point of release, expiry and revocation. Every
refusal is 403 with a consent_* code: the consent, as sent or as it stands, does not allow
this (downloads after consent ended are 410: the content is gone)."""

from __future__ import annotations

from hub.api.codes import Codes
from hub.clock import iso
from hub.errors import Forbidden, Gone
from hub.models import Consent, Referral, Status
from hub.routing.ccr import Ccr

MAX_CONSENT_DAYS = 90


def _refused(message: str, code: Codes) -> Forbidden:
    return Forbidden(message, code=code)


class ConsentService:
    def __init__(self, *, ccr: Ccr, max_days: int = MAX_CONSENT_DAYS):
        self._ccr = ccr
        self._max_seconds = max_days * 86400

    def check_submission(self, consent: Consent | None, *, sender_agency: str,
                         destination: str, referral_type: str, now: float) -> Consent:
        """Consent as sent with a referral: its metadata are the CCR's own codes and
        people (nothing else is stored), and it allows this release (returned, checked)."""
        if consent is not None:
            self.check_metadata(consent, sender_agency)
        return self.check_release(consent, destination=destination,
                                  referral_type=referral_type, now=now)

    def check_metadata(self, consent: Consent, sender_agency: str) -> None:
        unknown = [p for p in consent.purposes if self._ccr.referral_type(p) is None]
        if unknown:
            raise _refused(f"consent purposes are the CCR's referral-type codes "
                           f"({', '.join(t.code for t in self._ccr.referral_types)}); "
                           f"'{unknown[0]}' is not one", Codes.CONSENT_INVALID)
        person = self._ccr.find_person(consent.documented_by)
        if person is None or person.agency != sender_agency:
            raise _refused(f"consent 'documented_by' names a person of {sender_agency} (their "
                           "person id), who documented it", Codes.CONSENT_INVALID)

    def check_referral(self, referral: Referral, now: float) -> None:
        """Before any content of ``referral`` is released: refuse once consent was
        withdrawn (its content is gone), then check the consent record itself."""
        if referral.status is Status.REVOKED:
            raise Gone("the survivor withdrew consent for this referral; its content was "
                       "deleted", code=Codes.CONSENT_WITHDRAWN)
        if referral.status is Status.EXPIRED:
            raise Gone("consent for this referral ran out; its content was deleted",
                       code=Codes.CONSENT_EXPIRED)
        self.check_release(referral.consent, destination=referral.destination,
                           referral_type=referral.type, now=now)

    def check_release(self, consent: Consent | None, *, destination: str, referral_type: str,
                      now: float) -> Consent:
        """Refuse, with a message that says what to do, unless consent covers this release;
        the consent that covers it."""
        if consent is None:
            raise _refused("a referral needs the survivor's consent: add a 'consent' object",
                           Codes.CONSENT_MISSING)
        if consent.agency != destination:
            raise Forbidden(f"consent was given for {consent.agency}, not {destination}; "
                            "record consent for this agency", code=Codes.CONSENT_WRONG_AGENCY)
        if referral_type not in consent.purposes:
            raise Forbidden(f"consent does not cover '{referral_type}'; it covers "
                            f"{', '.join(consent.purposes)}", code=Codes.CONSENT_WRONG_PURPOSE)
        if not 0 <= consent.given_at < consent.expires_at:
            raise _refused("consent 'given_at' and 'expires_at' are seconds since 1970, "
                           "'given_at' first", Codes.CONSENT_INVALID)
        if consent.given_at > now + 300:
            raise _refused("consent 'given_at' is in the future; check the clock",
                           Codes.CONSENT_INVALID)
        if consent.expires_at <= now:
            raise Forbidden(f"consent expired at {iso(consent.expires_at)}; ask the survivor to "
                            "renew it", code=Codes.CONSENT_EXPIRED)
        if consent.expires_at - consent.given_at > self._max_seconds:
            raise _refused(f"consent may last at most {self._max_seconds // 86400} days; "
                           "shorten 'expires_at'", Codes.CONSENT_TOO_LONG)
        return consent

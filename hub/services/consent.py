"""Consent, checked fail-closed before anything is released. This is the one place the
rules live; issue 6 extends it to every point of release, expiry and revocation."""

from __future__ import annotations

from hub.clock import iso
from hub.errors import Forbidden, Gone, Unprocessable
from hub.models import Consent, Referral, Status

MAX_CONSENT_DAYS = 90


class ConsentService:
    def __init__(self, *, max_days: int = MAX_CONSENT_DAYS):
        self._max_seconds = max_days * 86400

    def check_referral(self, referral: Referral, now: float) -> None:
        """Before any content of ``referral`` is released: refuse once consent was
        withdrawn (its content is gone), then check the consent record itself."""
        if referral.status is Status.REVOKED:
            raise Gone("the survivor withdrew consent for this referral; its content was "
                       "deleted", code="consent_withdrawn")
        if referral.status is Status.EXPIRED:
            raise Gone("consent for this referral ran out; its content was deleted",
                       code="consent_expired")
        self.check_release(referral.consent, destination=referral.destination,
                           referral_type=referral.type, now=now)

    def check_release(self, consent: Consent | None, *, destination: str, referral_type: str,
                      now: float) -> None:
        """Refuse, with a message that says what to do, unless consent covers this release."""
        if consent is None:
            raise Unprocessable("a referral needs the survivor's consent: add a 'consent' object",
                                code="consent_missing")
        if consent.agency != destination:
            raise Forbidden(f"consent was given for {consent.agency}, not {destination}; "
                            "record consent for this agency", code="consent_wrong_agency")
        if referral_type not in consent.purposes:
            raise Forbidden(f"consent does not cover '{referral_type}'; it covers "
                            f"{', '.join(consent.purposes)}", code="consent_wrong_purpose")
        if not 0 <= consent.given_at < consent.expires_at:
            raise Unprocessable("consent 'given_at' and 'expires_at' are seconds since 1970, "
                                "'given_at' first", code="consent_invalid")
        if consent.given_at > now + 300:
            raise Unprocessable("consent 'given_at' is in the future; check the clock",
                                code="consent_invalid")
        if consent.expires_at <= now:
            raise Forbidden(f"consent expired at {iso(consent.expires_at)}; ask the survivor to "
                            "renew it", code="consent_expired")
        if consent.expires_at - consent.given_at > self._max_seconds:
            raise Unprocessable(f"consent may last at most {self._max_seconds // 86400} days; "
                                "shorten 'expires_at'", code="consent_too_long")

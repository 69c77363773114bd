"""Who may see and do what with a referral. A person of an agency that neither sent nor
received a referral gets 404, exactly as for a missing one. Coordinators see metadata only."""

from __future__ import annotations

from hub.crypto import VerifiedRoster
from hub.errors import Forbidden, NotFound
from hub.models import Referral

from .principal import Principal

RECIPIENT_ROLES = ("point_person", "backup")


def not_found(rid: str) -> NotFound:
    return NotFound(f"no referral {rid} that you can see; check the reference")


def can_see(who: Principal, referral: Referral) -> bool:
    return who.is_coordinator or who.agency in (referral.sender_agency, referral.destination)


def require_visible(who: Principal, referral: Referral | None, rid: str) -> Referral:
    if referral is None or not can_see(who, referral):
        raise not_found(rid)
    return referral


def require_recipient(who: Principal, referral: Referral, roster: VerifiedRoster | None
                      ) -> VerifiedRoster:
    """The person must be in the referral type's escalation group of the receiving agency's
    current roster: the point person or a backup who can open the envelope. The roster
    checked against (with none, nobody is in a group)."""
    if who.agency != referral.destination:
        if who.is_coordinator or who.agency == referral.sender_agency:
            raise Forbidden("only the receiving agency's escalation group may do this")
        raise not_found(referral.id)
    members = roster.group_members(referral.type) if roster else ()
    if roster is None or not who.has(*RECIPIENT_ROLES) or who.person not in members:
        raise Forbidden(f"you are not in {referral.destination}'s escalation group for "
                        f"'{referral.type}'; ask your agency admin to add you to the roster")
    return roster


def require_sender(who: Principal, referral: Referral) -> None:
    if who.agency != referral.sender_agency:
        if who.is_coordinator or who.agency == referral.destination:
            raise Forbidden("only the sending agency may do this")
        raise not_found(referral.id)
    if not who.has("sender", "agency_admin"):
        raise Forbidden("only a sender or agency admin of the sending agency may do this")

"""Whose referrals a person sees on the hub's pages: coordinators see every agency's
metadata; an agency admin, point person or backup sees their own agency's queue; only
coordinators and agency admins see figures; the receiving group and the sender work on a
referral in the browser's inbox, everyone else on the dashboard; devices are for those who
send or receive."""

from __future__ import annotations

from collections.abc import Iterable

from hub.api.codes import Codes
from hub.errors import Forbidden
from hub.models import Referral
from hub.routing.ccr import Agency

from .access import RECIPIENT_ROLES
from .principal import Principal

QUEUE_ROLES = ("coordinator", "agency_admin", "point_person", "backup")
FIGURE_ROLES = ("coordinator", "agency_admin")
DEVICE_ROLES = ("sender", *RECIPIENT_ROLES)


def queue_scope(who: Principal) -> frozenset[str] | None:
    """The receiving agencies whose queue ``who`` sees (None: all of them)."""
    if who.is_coordinator:
        return None
    if not who.has(*QUEUE_ROLES):
        raise Forbidden("the queue is for coordinators, agency admins and point persons",
                        code=Codes.NOT_ALLOWED)
    return frozenset({who.agency})


def figure_scope(who: Principal) -> frozenset[str] | None:
    if who.is_coordinator:
        return None
    if not who.has("agency_admin"):
        raise Forbidden("figures are for coordinators and agency admins", code=Codes.NOT_ALLOWED)
    return frozenset({who.agency})


def in_scope(scope: frozenset[str] | None, agency: str) -> bool:
    return scope is None or agency in scope


def queue_agencies(who: Principal, agencies: Iterable[Agency]) -> list[Agency]:
    """Of ``agencies``, those whose queue ``who`` sees (what the queue's filter offers)."""
    scope = queue_scope(who)
    return [a for a in agencies if in_scope(scope, a.id)]


def works_in_inbox(who: Principal) -> bool:
    """Whether ``who`` may work on referrals in the browser's inbox at all (a coordinator
    never does: they see metadata, on the dashboard)."""
    return who.has("sender", *RECIPIENT_ROLES) and not who.is_coordinator


def opens_in_inbox(who: Principal, referral: Referral) -> bool:
    """Whether the link in a notice takes ``who`` to ``referral``'s thread in the inbox:
    they are of its receiving group, or a sender of the agency that sent it."""
    receiving = who.agency == referral.destination and who.has(*RECIPIENT_ROLES)
    return works_in_inbox(who) and (
        receiving or (who.agency == referral.sender_agency and who.has("sender")))


def require_device_role(who: Principal) -> None:
    if not who.has(*DEVICE_ROLES):
        raise Forbidden("devices are for people who send or receive referrals",
                        code=Codes.NOT_ALLOWED)


def landing(who: Principal) -> str:
    """The page a person starts from: coordinators and agency admins watch the queue,
    point persons and backups work their inbox, senders follow what they sent."""
    if who.has("coordinator", "agency_admin"):
        return "/dashboard"
    if who.has("point_person", "backup"):
        return "/inbox"
    return "/sent" if who.has("sender") else "/dashboard"


# Each role's quick guide (/help/{role}), in the order a person with several roles finds
# theirs: the one for what they do at 2 a.m. first.
GUIDES = {"point-person": "point_person", "backup": "backup", "sender": "sender",
          "coordinator": "coordinator", "agency-admin": "agency_admin"}


def guide(who: Principal | None) -> str:
    """Where the header's help link takes ``who``: their role's quick guide, or the list."""
    if who is not None:
        for slug, role in GUIDES.items():
            if who.has(role):
                return f"/help/{slug}"
    return "/help"

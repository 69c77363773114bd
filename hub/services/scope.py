"""Whose referrals a person sees on the hub's pages: coordinators see every agency's
metadata; an agency admin, point person or backup sees their own agency's queue; only
coordinators and agency admins see figures."""

from __future__ import annotations

from hub.errors import Forbidden

from .principal import Principal

QUEUE_ROLES = ("coordinator", "agency_admin", "point_person", "backup")
FIGURE_ROLES = ("coordinator", "agency_admin")


def queue_scope(who: Principal) -> frozenset[str] | None:
    """The receiving agencies whose queue ``who`` sees (None: all of them)."""
    if who.is_coordinator:
        return None
    if not who.has(*QUEUE_ROLES):
        raise Forbidden("the queue is for coordinators, agency admins and point persons",
                        code="not_allowed")
    return frozenset({who.agency})


def figure_scope(who: Principal) -> frozenset[str] | None:
    if who.is_coordinator:
        return None
    if not who.has("agency_admin"):
        raise Forbidden("figures are for coordinators and agency admins", code="not_allowed")
    return frozenset({who.agency})


def in_scope(scope: frozenset[str] | None, agency: str) -> bool:
    return scope is None or agency in scope


def landing(who: Principal) -> str:
    """The page a person starts from: coordinators and agency admins watch the queue,
    point persons and backups work their inbox, senders follow what they sent."""
    if who.has("coordinator", "agency_admin"):
        return "/dashboard"
    if who.has("point_person", "backup"):
        return "/inbox"
    return "/sent" if who.has("sender") else "/dashboard"

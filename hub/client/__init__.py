"""The Python SDK: `HubApi` speaks the HTTP API; `Agent` is a person's device (seal, open,
acknowledge, reply) over it; `Blocking` makes either synchronous for scripts; `contents`
has the typed referral bodies every sender fills the same way."""

from .agent import Agent, Received, consent_for
from .api import HubApi
from .contents import (
    ConsentDetails,
    DischargeHandoff,
    GenericReferral,
    Reply,
    SafeContact,
    SafeTime,
    parse_content,
)
from .errors import (
    BadRequest,
    Conflict,
    Forbidden,
    HubApiError,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from .sync import Blocking

__all__ = [
    "Agent", "BadRequest", "Blocking", "Conflict", "ConsentDetails", "DischargeHandoff",
    "Forbidden", "GenericReferral", "HubApi", "HubApiError", "NotFound", "RateLimited",
    "Received", "Reply", "SafeContact", "SafeTime", "Unauthorized", "Unavailable",
    "consent_for", "parse_content",
]

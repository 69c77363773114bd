"""The typed referral bodies, for the SDK's users: they live in hub.api.contents, which the
hub also reads to publish their JSON Schemas (/v1/schemas/{kind}.json)."""

from hub.api.contents import (
    ConsentDetails,
    Content,
    DischargeHandoff,
    GenericReferral,
    Person,
    Reply,
    SafeContact,
    SafeTime,
    content_model,
    parse_content,
)

__all__ = ["ConsentDetails", "Content", "DischargeHandoff", "GenericReferral", "Person",
           "Reply", "SafeContact", "SafeTime", "content_model", "parse_content"]

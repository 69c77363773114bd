"""What goes inside an envelope, typed so that every sender fills it the same way. These
models live on the client: the hub never sees them, only the sealed bytes."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Need = Literal["shelter", "advocacy", "counseling", "medical-follow-up", "legal",
               "protective-order", "transport", "childcare", "language-access", "other"]
SafeChannel = Literal["phone", "sms", "email", "in-person", "through-advocate"]


class Content(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


class SafeTime(Content):
    days: str = Field(description="e.g. 'weekdays', 'Mon-Wed'")
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class SafeContact(Content):
    """How the receiving agency may reach the survivor without putting them at risk."""

    channels: tuple[SafeChannel, ...] = Field(min_length=1)
    phone: str | None = None
    email: str | None = None
    safe_times: tuple[SafeTime, ...] = ()
    voicemail_ok: bool = False
    may_name_agency: bool = Field(False, description="may the caller say which agency calls")
    language: str = "en"
    interpreter_needed: bool = False
    notes: str | None = None


class ConsentDetails(Content):
    """The survivor's consent as the sender documented it (the hub sees only the metadata
    copy that travels beside the envelope)."""

    method: Literal["written", "electronic-signature", "verbal-documented"]
    given_at: str = Field(description="ISO 8601 date and time")
    documented_by: str
    scope: str = Field(description="what the survivor agreed may be shared, in their words")
    limits: str | None = Field(None, description="what must not be shared")


class Person(Content):
    name: str
    preferred_name: str | None = None
    date_of_birth: str | None = None
    pronouns: str | None = None


class DischargeHandoff(Content):
    """A hospital's discharge handoff: who, what they need, how to reach them safely."""

    kind: Literal["discharge-handoff"] = "discharge-handoff"
    survivor: Person
    needs: tuple[Need, ...] = Field(min_length=1)
    discharge_at: str = Field(description="ISO 8601: when the survivor leaves the hospital")
    safe_contact: SafeContact
    consent: ConsentDetails
    children: int = Field(0, ge=0)
    pets: bool = False
    accessibility: str | None = None
    summary: str | None = Field(None, description="what the receiving agency needs to know")


class Reply(Content):
    kind: Literal["reply"] = "reply"
    text: str = Field(min_length=1)


def parse_content(data: bytes) -> DischargeHandoff | Reply | dict | bytes:
    """The typed content when it is a known kind, JSON as a dict, anything else as bytes."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return data
    kinds = {"discharge-handoff": DischargeHandoff, "reply": Reply}
    model = kinds.get(doc.get("kind")) if isinstance(doc, dict) else None
    return model.model_validate(doc) if model else doc

"""What goes inside an envelope, typed so that every sender fills it the same way. Clients
seal and open these; the hub never sees them, only the sealed bytes, and publishes their
JSON Schemas (/v1/schemas/{kind}.json) for clients written without this code.

Each document names its kind: "discharge-handoff", "reply", or for a referral type without
a model of its own, that type's code (GenericReferral). A receiver given a document without
a kind reads it as the kind its envelope's referral type says (parse_content), so a
handoff from a client that left the kind out still opens safety first."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Need = Literal["shelter", "advocacy", "counseling", "medical-follow-up", "legal",
               "protective-order", "transport", "childcare", "language-access", "other"]
SafeChannel = Literal["phone", "sms", "email", "in-person", "through-advocate"]


class Content(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


ATTACHMENT_NAMES = ("the attached files' names, in the order of the envelope's attachments "
                    "(a receiver saves each under its name)")


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
    attachment_names: tuple[str, ...] | None = Field(None, description=ATTACHMENT_NAMES)


class GenericReferral(Content):
    """A referral of a type without a model of its own: what the receiving agency needs to
    know, in words. Its kind is the referral type's code."""

    kind: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$",
                      description="the referral type's code, e.g. 'counseling-referral'")
    text: str = Field(min_length=1)
    attachment_names: tuple[str, ...] | None = Field(None, description=ATTACHMENT_NAMES)


class Reply(Content):
    """A message on a referral's thread, in either direction."""

    kind: Literal["reply"] = "reply"
    text: str = Field(min_length=1)


Parsed = DischargeHandoff | GenericReferral | Reply
MODELS: dict[str, type[Parsed]] = {"discharge-handoff": DischargeHandoff, "reply": Reply}


def content_model(kind: str) -> type[Parsed]:
    """The model for a kind: its own, or GenericReferral for any other referral type."""
    return MODELS.get(kind, GenericReferral)


def parse_content(data: bytes, referral_type: str | None = None
                  ) -> Parsed | dict | list | str | int | float | bool | None | bytes:
    """The typed content when it validates as its kind (a document without a kind is read
    as ``referral_type``'s, the envelope's), other JSON as it is, anything else as bytes."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return data
    if not isinstance(doc, dict):
        return doc
    kind = doc.get("kind") or referral_type
    if not isinstance(kind, str) or (kind not in MODELS and kind != referral_type):
        return doc
    try:
        return content_model(kind).model_validate({**doc, "kind": kind})
    except ValidationError:
        return doc


def json_schema(kind: str) -> dict:
    """The JSON Schema (2020-12) of a kind's documents, from its model: a referral type
    without a model of its own gets GenericReferral's, its kind fixed to the type's code.
    A sender always writes the kind, so the schema requires it (a receiver still reads a
    document without one as its envelope's kind)."""
    model = content_model(kind)
    schema = model.model_json_schema()
    schema["required"] = ["kind", *(r for r in schema.get("required", []) if r != "kind")]
    if model is GenericReferral:
        schema["properties"]["kind"] = {"const": kind, "title": "Kind",
                                        "description": "this referral type's code"}
        schema["title"] = kind
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema

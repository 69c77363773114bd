"""The survivor's case as it travels sealed: the case secret and the record of the handoffs
before this one, under the key ``case`` of a referral's content (docs/envelope.md, "Case
file"). The hub never sees it; the sender's device builds it and checks that only what the
survivor's consent covers goes onward, the receiver's device reads it.

A content document stays what its kind says (hub/api/contents.py); ``attach`` adds the case
beside its fields and ``detach`` takes it off again before the document is read, so a
receiver without this code still reads the handoff (the case is one more key)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.crypto.caselink import SECRET_LEN, link_id, new_case_secret

from .schemas import Base64Bytes

SLUG = r"^[a-z0-9][a-z0-9-]{0,31}$"
RID = r"^[0-9a-f]{32}$"
EVERYTHING = "*"
ALWAYS = ("kind",)  # kept whatever the consent covers: how to read the rest


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RecordStep(_Frozen):
    """One handoff of the case, as the agency that received it forwards it: the document
    the sender sealed (without its own case), or the parts of it the consent covers."""

    referral: str = Field(pattern=RID, description="the referral's id")
    sender: str = Field(pattern=SLUG, description="the agency that sent it")
    destination: str = Field(pattern=SLUG, description="the agency it was sent to")
    type: str = Field(pattern=SLUG, description="its referral type")
    sent_at: int = Field(ge=0, description="when it was sealed, seconds since the epoch")
    content: dict[str, Any] = Field(description="the document, or the covered parts of it")


class Forwarding(_Frozen):
    """What the survivor agreed may go onward, and why: the forwarding agency's device
    carries only these fields of each earlier handoff."""

    purpose: str = Field(pattern=SLUG, description="why it is forwarded, e.g. 'counseling'")
    covers: tuple[str, ...] = Field(min_length=1, max_length=64,
                                    description="the content fields that may go onward "
                                    "('*': the whole handoff)")


class CaseFile(_Frozen):
    format: Literal["ccr-case/1"] = "ccr-case/1"
    secret: Base64Bytes = Field(description=f"the case secret, {SECRET_LEN} random bytes")
    record: tuple[RecordStep, ...] = Field((), description="the handoffs before this one, "
                                           "oldest first")
    forwarding: Forwarding | None = Field(None, description="what the consent lets go onward "
                                          "(none on the first referral)")

    def link(self, agency: str, other: str) -> str:
        """This case's link id for the pair, hex (what the hub is told)."""
        return link_id(self.secret, agency, other).hex()


def new_case() -> CaseFile:
    return CaseFile(secret=new_case_secret())


def attach(content: bytes, case: CaseFile) -> bytes:
    """The content document with the case beside its fields."""
    doc = _object(content)
    if doc is None:
        raise ValueError("a case travels only with a JSON object as content")
    if "case" in doc:
        raise ValueError("the content already has a field named 'case'")
    return json.dumps({**doc, "case": case.model_dump(mode="json", exclude_none=True)},
                      separators=(",", ":")).encode()


def detach(content: bytes) -> tuple[bytes, CaseFile | None]:
    """The document without its case, and the case (None when there is none, or it is
    not one this code can read: the document is then left as it is)."""
    doc = _object(content)
    if doc is None or "case" not in doc:
        return content, None
    try:
        case = CaseFile.model_validate(doc.pop("case"))
    except ValidationError:
        return content, None
    return json.dumps(doc, separators=(",", ":")).encode(), case


def forward(prior: CaseFile, step: RecordStep, forwarding: Forwarding) -> CaseFile:
    """The case to seal onward: the earlier record and ``step`` (the handoff being
    forwarded), each cut down to what ``forwarding`` covers. A covered field that the
    handoff does not have is refused, so a typo cannot silently send less than meant."""
    covers = set(forwarding.covers)
    if EVERYTHING not in covers:
        unknown = covers - set(step.content)
        if unknown:
            raise ValueError(f"the handoff has no field {', '.join(sorted(unknown))}; it has "
                             f"{', '.join(sorted(step.content))}")
    record = tuple(_covered(s, covers) for s in (*prior.record, step))
    return CaseFile(secret=prior.secret, record=record, forwarding=forwarding)


def _covered(step: RecordStep, covers: set[str]) -> RecordStep:
    if EVERYTHING in covers:
        return step
    kept = {k: v for k, v in step.content.items() if k in covers or k in ALWAYS}
    return step.model_copy(update={"content": kept})


def _object(content: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None

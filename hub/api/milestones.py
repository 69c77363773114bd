"""The milestones' bodies on the wire (POST and GET /v1/referrals/{id}/milestones): codes,
times and person ids only, never free text."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RecordMilestone(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1, max_length=64, description="one of the milestone codes "
                      "configured for the referral's type (milestones.toml); anything else "
                      "is refused with the list of them")


class MilestoneRecord(BaseModel):
    code: str
    at: float = Field(description="when it was recorded, seconds since the epoch")
    by: str = Field(description="the person who recorded it")
    in_time: bool = Field(description="recorded by its deadline (false: after it, or after "
                          "a code missed it)")


class MilestoneDue(BaseModel):
    code: str
    label: str
    within: str | None = Field(description="its deadline from acceptance, as configured")
    due_at: float | None = Field(None, description="its deadline, while it is owed (once "
                                 "the referral is accepted, until recorded or a gap)")
    gap_at: float | None = Field(None, description="when it became a gap, if it did")


class MilestoneList(BaseModel):
    configured: list[MilestoneDue]
    recorded: list[MilestoneRecord]

"""Durations as people write them in policies: "30m", "2h", "3 days", "2 business days",
"4 business hours"."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Unit = Literal["minutes", "hours", "days", "business_hours", "business_days"]

_PATTERN = re.compile(r"^\s*(\d+)\s*(business\s+)?(m|min|mins|minutes?|h|hours?|d|days?)\s*$")
_UNITS: dict[str, Unit] = {"m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes",
          "minutes": "minutes", "h": "hours", "hour": "hours", "hours": "hours",
          "d": "days", "day": "days", "days": "days"}
_BUSINESS: dict[Unit, Unit] = {"hours": "business_hours", "days": "business_days"}


class Duration(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: int = Field(ge=0)
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _PATTERN.match(text.lower())
        if not match:
            raise ValueError(f"cannot read duration {text!r}; write e.g. '30m', '2h', "
                             "'3 days', '2 business days' or '4 business hours'")
        amount, business, unit = int(match.group(1)), match.group(2), _UNITS[match.group(3)]
        if business:
            if unit == "minutes":
                raise ValueError(f"{text!r}: business time counts hours or days")
            unit = _BUSINESS[unit]
        return cls(amount=amount, unit=unit)

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.replace('_', ' ')}"

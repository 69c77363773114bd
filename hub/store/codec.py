"""Turning domain records into Redis values and back: strings in, validated models out."""

from __future__ import annotations

import json
from collections.abc import Mapping

from pydantic import BaseModel

from hub.models import Consent, Referral


def dumps(model: BaseModel) -> str:
    return model.model_dump_json(exclude_none=True)


def to_fields(values: Mapping[str, object]) -> str:
    """A JSON object of strings, the form the Lua scripts HSET."""
    out = {}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = value.model_dump_json() if isinstance(value, BaseModel) else str(value)
    return json.dumps(out)


def referral_from_hash(raw: Mapping[bytes, bytes]) -> Referral:
    fields = {k.decode(): v.decode() for k, v in raw.items()}
    fields = {k: v for k, v in fields.items() if k in Referral.model_fields}  # not timers
    fields["consent"] = Consent.model_validate_json(fields["consent"])
    return Referral.model_validate(fields)

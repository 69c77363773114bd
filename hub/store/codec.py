"""Turning domain records into Redis values and back: strings in, validated models out.
The JSON the Lua scripts decode is written by orjson (in a tenth of json.dumps's time on the
submit path; the scripts' cjson reads it the same)."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from pydantic import BaseModel

from hub.models import Consent, Referral


def dumps(model: BaseModel) -> str:
    return model.model_dump_json(exclude_none=True)


def packed(value: object) -> bytes:
    """``value`` as JSON, for a Lua script to decode."""
    return orjson.dumps(value)


def to_fields(values: Mapping[str, object]) -> bytes:
    """A JSON object of strings, the form the Lua scripts HSET."""
    out = {}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = value.model_dump_json() if isinstance(value, BaseModel) else str(value)
    return packed(out)


def referral_from_hash(raw: Mapping[bytes, bytes]) -> Referral:
    fields = {k.decode(): v.decode() for k, v in raw.items()}
    fields = {k: v for k, v in fields.items() if k in Referral.model_fields}  # not timers
    fields["consent"] = Consent.model_validate_json(fields["consent"])
    return Referral.model_validate(fields)

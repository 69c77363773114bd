"""Turning domain records into Redis values and back: strings in, validated models out.
The JSON the Lua scripts decode is written by orjson (in a tenth of json.dumps's time on the
submit path; the scripts' cjson reads it the same)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import cast

import orjson
from pydantic import BaseModel
from redis.typing import EncodableT, FieldT

from hub.models import Consent, Referral


def as_hash(fields: dict[str, str]) -> dict[FieldT, EncodableT]:
    """``fields`` as HSET and XADD take them: redis-py types those as a dict keyed by any of
    its field types, and a dict's key type is invariant, so a dict of strings, which they
    take at run time, does not pass as one."""
    return cast(dict[FieldT, EncodableT], fields)

# redis-py types every reply as `bytes | str` (a script's as Any): the store's clients answer
# bytes. These say what a reply is, and fail loudly if it is not.


def text(reply: object) -> str:
    """A string reply, decoded."""
    if isinstance(reply, bytes):
        return reply.decode()
    if isinstance(reply, str):
        return reply
    raise TypeError(f"a string reply was expected, not {type(reply).__name__}")


def blob(reply: object) -> bytes | None:
    """A string reply as the bytes it holds, or None for a missing key."""
    if reply is None or isinstance(reply, bytes):
        return reply
    raise TypeError(f"a bytes reply was expected, not {type(reply).__name__}")


def number(reply: object) -> int:
    """An integer reply (or a string of one)."""
    if isinstance(reply, int | bytes | str):
        return int(reply)
    raise TypeError(f"an integer reply was expected, not {type(reply).__name__}")


def real(reply: object) -> float:
    """A number reply (a score, a string of one)."""
    if isinstance(reply, int | float | bytes | str):
        return float(reply)
    raise TypeError(f"a number reply was expected, not {type(reply).__name__}")


def items(reply: object) -> list[object]:
    """An array reply."""
    if isinstance(reply, list | tuple):
        return list(reply)
    raise TypeError(f"an array reply was expected, not {type(reply).__name__}")


def text_fields(row: Mapping[bytes | str, bytes | str]) -> dict[str, str]:
    """A hash (or stream entry) reply, decoded."""
    return {text(k): text(v) for k, v in row.items()}


def stream(rows: Iterable[tuple[object, object]] | None) -> list[tuple[str, dict[str, str]]]:
    """An XRANGE reply: each entry's id and fields, decoded."""
    out = []
    for entry_id, fields in rows or []:
        if not isinstance(fields, Mapping):
            raise TypeError(f"a stream entry's fields, not {type(fields).__name__}")
        out.append((text(entry_id), text_fields(fields)))
    return out


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


def referral_from_hash(raw: Mapping[bytes | str, bytes | str]) -> Referral:
    every = text_fields(raw)
    fields: dict[str, object] = {k: v for k, v in every.items() if k in Referral.model_fields}
    fields["timers"] = {k[2:]: v for k, v in every.items() if k.startswith("t:")}
    fields["consent"] = Consent.model_validate_json(text(fields["consent"]))
    return Referral.model_validate(fields)

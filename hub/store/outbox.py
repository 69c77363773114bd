"""A notice in the outbox as a typed record, and its codec to and from the notice's hash
(where every value is a string). The engine commits a record, records its outcome as
changes to named fields, and reads it back typed; nothing past the store casts a field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from .codec import text_fields

_READ: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "float | None": float,
                                          "str": str, "str | None": str}


@dataclass(frozen=True)
class NoticeRecord:
    """One notice: what it is for and whom, what it says, and how far it got. The fields
    from ``referral`` to ``send_by`` are committed together; the rest record its outcome."""

    id: str = ""  # its idempotency key (the hash's name, not one of its fields)
    referral: str = ""
    generation: int = 0  # the referral's, when the step was decided
    timer: str = ""
    step: int = 0
    round: int = 0
    level: int = 0
    person: str = ""
    channel: str = ""  # the kind of the person's contact (hub/adapters SENDERS)
    channel_index: int = 0  # which of the person's contacts, in their order
    to: str = ""
    subject: str = ""
    text: str = ""
    html: str = ""
    status: str = ""  # queued, sent, held, dead, cancelled
    attempts: int = 0
    created_at: float = 0.0
    rung_due: float = 0.0
    agency: str = ""  # the receiving agency
    deadline: float = 0.0
    language: str = "en"  # the person's, which the notice is written (and spoken) in
    drill: str = ""  # "1" for a drill's notice (it says DRILL first, and so does a digest)
    send_by: float = 0.0  # given up (dead-lettered) when still unsent by then
    last_error: str = ""
    provider_id: str = ""
    sent_at: float | None = None
    sent_in_digest: str = ""  # the digest's key, when it went out in one
    digest: str = ""  # the digest it waits in, while held
    delivery_status: str | None = None  # the provider's last report
    delivery_rank: int = 0
    delivery_at: float | None = None
    delivery_error: str = ""


FIELDS = {f.name: _READ[str(f.type)] for f in fields(NoticeRecord) if f.name != "id"}
COMMITTED = tuple(FIELDS)[:tuple(FIELDS).index("send_by") + 1]


def decode_notice(nid: str, row: Mapping[bytes | str, bytes | str]) -> NoticeRecord:
    """The notice ``nid`` from its hash (a field it does not have keeps its default)."""
    values: dict[str, Any] = {}
    for name, value in text_fields(row).items():
        if name in FIELDS:
            values[name] = FIELDS[name](value)
    return NoticeRecord(id=nid, **values)


def encode_notice(notice: NoticeRecord) -> dict[str, str]:
    """The fields a new notice is committed with."""
    return {name: str(getattr(notice, name)) for name in COMMITTED}


def encode_changes(changes: Mapping[str, object]) -> dict[str, str]:
    """An outcome's changes to named fields, as the hash holds them."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValueError(f"a notice has no field {sorted(unknown)}")
    return {name: str(value) for name, value in changes.items()}

"""Pin bundles: an agency admin hands colleagues, once, every partner agency's root they
pinned by phone, signed by their own agency's root. A colleague checks one fingerprint,
their own agency's, read aloud or pasted, instead of one per partner.

A bundle file is JSON ``{"bundle": base64(body), "signature": base64(sig)}``; the body is
``{"format": "ccr-pins/1", "agency", "root", "issued_at", "pins": {agency: root}}`` (roots
in base64) and the signature is Ed25519 by ``root`` over ``"ccrhub pins v1\\0" ‖ body``,
the body's exact bytes (docs/clients.md)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import TrustError
from .fields import SLUG_RE
from .fingerprints import matches_fingerprint
from .keys import AgencyRoot, verify_signature

BUNDLE_FORMAT: Final = "ccr-pins/1"
_SIG_CONTEXT = b"ccrhub pins v1\0"
_Root = Field(pattern=r"^[A-Za-z0-9+/]{43}=$")  # base64 of 32 bytes


class PinBundleBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    format: Literal["ccr-pins/1"]
    agency: str = Field(pattern=SLUG_RE.pattern)
    root: str = _Root
    issued_at: int
    pins: dict[str, str]


@dataclass(frozen=True)
class PinBundle:
    """A verified bundle: whose it is, when it was made, and the roots it pins (the signing
    agency's own among them)."""

    agency: str
    issued_at: int
    pins: dict[str, bytes]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def make_pin_bundle(root: AgencyRoot, *, agency: str, pins: dict[str, bytes],
                    issued_at: int) -> bytes:
    """The bundle file's bytes; the agency's own root is always among its pins."""
    everything = {**pins, agency: root.public}
    body = PinBundleBody(format=BUNDLE_FORMAT, agency=agency, root=_b64(root.public),
                         issued_at=issued_at,
                         pins={a: _b64(everything[a]) for a in sorted(everything)})
    raw = json.dumps(body.model_dump(), sort_keys=True, separators=(",", ":")).encode()
    signature = root.sign(_SIG_CONTEXT + raw)
    return json.dumps({"bundle": _b64(raw), "signature": _b64(signature)}, indent=2).encode() \
        + b"\n"


def _parts(data: bytes) -> tuple[bytes, bytes, PinBundleBody]:
    bad = TrustError("bad-bundle", "not a pin bundle made by 'hub agency bundle'")
    try:
        doc = json.loads(data)
        raw = base64.b64decode(doc["bundle"], validate=True)
        signature = base64.b64decode(doc["signature"], validate=True)
        body = PinBundleBody.model_validate_json(raw)
    except (ValueError, KeyError, TypeError, binascii.Error, ValidationError):
        raise bad from None
    if set(doc) != {"bundle", "signature"}:
        raise bad
    return raw, signature, body


def _roots(body: PinBundleBody) -> dict[str, bytes]:
    pins = {}
    for agency, text in body.pins.items():
        public = base64.b64decode(text) if len(text) == 44 else b""
        if not SLUG_RE.fullmatch(agency) or len(public) != 32:
            raise TrustError("bad-bundle", "a pin in the bundle is not an agency and its root")
        pins[agency] = public
    if pins.get(body.agency) != base64.b64decode(body.root):
        raise TrustError("bad-bundle", "the bundle does not pin its own agency's root")
    return pins


def open_pin_bundle(data: bytes, fingerprint: str) -> PinBundle:
    """Check the bundle against the fingerprint of the agency that signed it (read aloud or
    pasted, either form), then its signature; the roots it pins."""
    raw, signature, body = _parts(data)
    root = base64.b64decode(body.root)
    if not matches_fingerprint(root, fingerprint):
        raise TrustError("fingerprint-mismatch", f"this bundle says it is from {body.agency}, "
                         "but its key does not match that fingerprint")
    if not verify_signature(root, _SIG_CONTEXT + raw, signature):
        raise TrustError("bundle-signature", "the bundle's signature does not verify: it was "
                         "changed after it was signed")
    return PinBundle(body.agency, body.issued_at, _roots(body))

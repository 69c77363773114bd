"""Signed agency rosters: who works at an agency, their devices, and for each referral type
the escalation group (the point person and backups) that envelopes are sealed to.

The roster is JSON signed as exact bytes by the agency's offline root. The hub stores and
serves rosters but cannot change them: clients verify each one against the root they
pinned and refuse a bad signature, an expired roster or a version rollback.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .certificates import DeviceCertificate, parse_certificate, verify_certificate
from .errors import TrustError
from .fields import SLUG_RE
from .keys import AgencyRoot, verify_signature

ROSTER_FORMAT: Final = "ccr-roster/1"
_SIG_CONTEXT = b"ccrhub roster v1\0"
Role = Literal["sender", "point_person", "backup", "coordinator", "agency_admin"]
_Slug = Field(pattern=SLUG_RE.pattern)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class RosterPerson(_Strict):
    id: str = _Slug
    roles: tuple[Role, ...]


class EscalationGroup(_Strict):
    type: str = _Slug
    point_person: str = _Slug
    backups: tuple[str, ...] = ()


class RosterBody(_Strict):
    format: Literal["ccr-roster/1"]
    agency: str = _Slug
    version: int = Field(ge=1)
    issued_at: int
    expires_at: int
    people: tuple[RosterPerson, ...]
    devices: tuple[str, ...]  # base64 device certificates
    revoked: tuple[str, ...] = ()  # hex device ids (16 bytes)
    groups: tuple[EscalationGroup, ...]


@dataclass(frozen=True)
class SignedRoster:
    body: bytes
    signature: bytes

    def to_json(self) -> dict[str, str]:
        return {"roster": base64.b64encode(self.body).decode(),
                "signature": base64.b64encode(self.signature).decode()}

    @classmethod
    def from_json(cls, doc: object) -> SignedRoster:
        bad = TrustError("bad-roster", "a signed roster is {roster, signature} in base64")
        if not isinstance(doc, dict) or set(doc) != {"roster", "signature"}:
            raise bad
        try:
            return cls(base64.b64decode(doc["roster"], validate=True),
                       base64.b64decode(doc["signature"], validate=True))
        except (binascii.Error, TypeError, ValueError):
            raise bad from None


@dataclass(frozen=True)
class VerifiedRoster:
    agency: str
    version: int
    expires_at: int
    body: RosterBody
    signed: SignedRoster
    devices: dict[bytes, DeviceCertificate] = field(repr=False)
    revoked: frozenset[bytes] = frozenset()

    def group(self, referral_type: str) -> EscalationGroup | None:
        return next((g for g in self.body.groups if g.type == referral_type), None)

    def group_members(self, referral_type: str) -> tuple[str, ...]:
        g = self.group(referral_type)
        return (g.point_person, *g.backups) if g else ()

    def devices_of(self, people: tuple[str, ...], now: int) -> list[DeviceCertificate]:
        return [c for c in self.devices.values()
                if c.person in people and c.valid_at(now) and c.device_id not in self.revoked]

    def recipients(self, referral_type: str, now: int) -> list[DeviceCertificate]:
        """The devices an envelope of this type is sealed to: the whole escalation group, so
        a backup can open an escalated referral without anyone re-wrapping keys."""
        devices = self.devices_of(self.group_members(referral_type), now)
        if not devices:
            raise TrustError("no-recipients",
                             f"{self.agency} has no current device for '{referral_type}'")
        return devices

    def current_device(self, cert: DeviceCertificate, now: int) -> bool:
        """True when this exact certificate is listed, unexpired and not revoked."""
        listed = self.devices.get(cert.device_id)
        return (listed is not None and listed.raw == cert.raw and cert.valid_at(now)
                and cert.device_id not in self.revoked)


def sign_roster(root: AgencyRoot, body: RosterBody) -> SignedRoster:
    raw = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()
    return SignedRoster(raw, root.sign(_SIG_CONTEXT + raw))


def make_roster(root: AgencyRoot, *, agency: str, version: int, issued_at: int, expires_at: int,
                people: list[RosterPerson], devices: list[DeviceCertificate],
                groups: list[EscalationGroup], revoked: Sequence[bytes] = ()) -> SignedRoster:
    body = RosterBody(format=ROSTER_FORMAT, agency=agency, version=version, issued_at=issued_at,
                      expires_at=expires_at, people=tuple(people),
                      devices=tuple(base64.b64encode(c.raw).decode() for c in devices),
                      revoked=tuple(d.hex() for d in revoked), groups=tuple(groups))
    return sign_roster(root, body)


def verify_roster(signed: SignedRoster, root_public: bytes, *, agency: str, now: int,
                  previous: VerifiedRoster | None = None) -> VerifiedRoster:
    """Check signature, agency, expiry, rollback and every certificate; return the roster."""
    if not verify_signature(root_public, _SIG_CONTEXT + signed.body, signed.signature):
        raise TrustError("roster-signature", f"roster not signed by {agency}'s pinned root")
    try:
        body = RosterBody.model_validate_json(signed.body)
    except ValidationError:
        raise TrustError("bad-roster", "the roster is not a valid ccr-roster/1 document") from None
    if body.agency != agency:
        raise TrustError("roster-agency", f"roster is for {body.agency}, expected {agency}")
    if now >= body.expires_at:
        raise TrustError("roster-expired", f"{agency}'s roster has expired; ask for a new one")
    if previous is not None:
        _check_rollback(previous, body, signed)
    devices = _verified_devices(body, root_public, now)
    _check_groups(body)
    revoked = _revoked(body)
    return VerifiedRoster(agency, body.version, body.expires_at, body, signed, devices, revoked)


@dataclass(frozen=True)
class ListedDevices:
    """The devices a published roster lists, as its agency admin carries them into the next
    version: ``current`` are certified by the root and unexpired and unrevoked; ``lapsed``
    cannot be carried (expired, revoked, or not certified by this root)."""

    version: int
    current: tuple[DeviceCertificate, ...]
    lapsed: tuple[DeviceCertificate, ...]


def listed_devices(signed: SignedRoster, root_public: bytes, *, agency: str,
                   now: int) -> ListedDevices:
    """Whatever the roster's own expiry: an admin renews an expired roster with its
    devices. A roster not signed by ``root_public`` (the root was replaced) has every device
    lapsed."""
    try:
        body = RosterBody.model_validate_json(signed.body)
    except ValidationError:
        raise TrustError("bad-roster", "the roster is not a valid ccr-roster/1 document") from None
    trusted = body.agency == agency and verify_signature(
        root_public, _SIG_CONTEXT + signed.body, signed.signature)
    revoked = set(body.revoked)
    current: list[DeviceCertificate] = []
    lapsed: list[DeviceCertificate] = []
    for encoded in body.devices:
        try:
            cert = parse_certificate(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
        usable = trusted and cert.device_id.hex() not in revoked and _certified(
            cert, root_public, now)
        (current if usable else lapsed).append(cert)
    return ListedDevices(body.version, tuple(current), tuple(lapsed))


def _certified(cert: DeviceCertificate, root_public: bytes, now: int) -> bool:
    try:
        verify_certificate(cert, root_public, now=now)
    except TrustError:
        return False
    return True


def _revoked(body: RosterBody) -> frozenset[bytes]:
    try:
        ids = frozenset(bytes.fromhex(d) for d in body.revoked)
    except ValueError:
        ids = frozenset({b""})
    if any(len(i) != 16 for i in ids):
        raise TrustError("bad-roster", "a revoked device id is not 32 hex digits")
    return ids


def _check_rollback(previous: VerifiedRoster, body: RosterBody, signed: SignedRoster) -> None:
    if body.version < previous.version or (
        body.version == previous.version and signed.body != previous.signed.body
    ):
        raise TrustError("roster-rollback",
                         f"roster version {body.version} is not newer than {previous.version}")


def _verified_devices(body: RosterBody, root_public: bytes,
                      now: int) -> dict[bytes, DeviceCertificate]:
    people = {p.id for p in body.people}
    devices: dict[bytes, DeviceCertificate] = {}
    for encoded in body.devices:
        try:
            cert = parse_certificate(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            raise TrustError("bad-certificate", "a roster device is not base64") from None
        if cert.agency != body.agency or cert.person not in people or cert.device_id in devices:
            raise TrustError("bad-certificate", "a roster device belongs to someone else")
        try:
            verify_certificate(cert, root_public, now=now)
        except TrustError as e:
            if e.reason != "certificate-expired":
                raise
            continue  # an expired device simply stops receiving
        devices[cert.device_id] = cert
    return devices


def _check_groups(body: RosterBody) -> None:
    roles = {p.id: p.roles for p in body.people}
    for g in body.groups:
        for member in (g.point_person, *g.backups):
            if member not in roles:
                raise TrustError("bad-roster", f"group '{g.type}' names unknown person '{member}'")
            if "coordinator" in roles[member]:
                raise TrustError("bad-roster", "coordinators never receive content")

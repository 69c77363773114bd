"""Key grants: a device that was sealed to an envelope hands its content key on to a device
of its agency approved after the envelope was sealed (docs/envelope.md, "Key grants").

A grant is 285 bytes: the content key boxed from the granting device's X25519 key to the
grantee's (crypto_box, so one shared key serves a thousand grants to the same new device),
bound to the envelope (thread id, envelope id, header hash), to the grantee's certificate
and to the roster version in which the granter found it, and signed with the granting
device's Ed25519 key. The hub stores grants as opaque blobs and reads only their clear
fields; the grantee checks everything before it trusts one, and refuses with the same
EnvelopeError ("envelope rejected") whatever failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import nacl.bindings as sodium

from .certificates import DeviceCertificate
from .direct import Scratch
from .envelope import (
    DeviceIdentity,
    Opened,
    TrustStoreLike,
    check_sender,
    check_time,
    commitment,
    open_body,
    unwrap_own_key,
)
from .errors import EnvelopeError, TrustError
from .fields import U64, Random, Reader, blake2b, equal, system_random
from .header import Header, KeyFields, key_fields, split_envelope
from .keys import DeviceKeys, verify_signature
from .rosters import VerifiedRoster

GRANT_MAGIC = b"CCRG"
GRANT_VERSION = 1
WRAPPED_LEN = 24 + 16 + 32  # nonce, MAC, content key
SIGNED_LEN = 4 + 1 + 16 + 16 + 32 + 8 + 16 + 16 + 32 + 8 + WRAPPED_LEN
GRANT_LEN = SIGNED_LEN + 64
_SIG_CONTEXT = b"ccrhub key grant v1\0"
_PREFIX = GRANT_MAGIC + bytes([GRANT_VERSION])


@dataclass(frozen=True)
class KeyGrant:
    thread_id: bytes
    envelope_id: bytes
    header_hash: bytes
    roster_version: int
    granter_id: bytes
    grantee_id: bytes
    grantee_hash: bytes
    issued_at: int
    wrapped: bytes
    signature: bytes
    raw: bytes


def grantee_hash(certificate: DeviceCertificate) -> bytes:
    return blake2b(certificate.raw, person=b"ccrhub-grantee1")


class Granter:
    """One device issuing grants; the shared key with each grantee is computed once."""

    def __init__(self, device: DeviceIdentity, rand: Random = system_random):
        self.device = device
        self._rand = rand
        self._grantees: dict[bytes, tuple[bytes, bytes]] = {}  # cert -> shared key, fields
        self._slot = 0  # where this device's key was in the last envelope: tried first
        self._signing = sodium.crypto_sign_seed_keypair(device.keys.sign_seed)[1]
        self._scratch = Scratch(len(_SIG_CONTEXT) + SIGNED_LEN)

    def _grantee(self, grantee: DeviceCertificate) -> tuple[bytes, bytes]:
        """The shared key with ``grantee`` and the grant's grantee fields, made once."""
        known = self._grantees.get(grantee.raw)
        if known is None:
            try:
                key = sodium.crypto_box_beforenm(grantee.box_public, self.device.keys.box_secret)
            except Exception:
                raise TrustError("low-order-key", "the new device's key is not usable") from None
            fields = self.device.certificate.device_id + grantee.device_id + grantee_hash(grantee)
            known = self._grantees[grantee.raw] = (key, fields)
        return known

    def grant(self, envelope: bytes | Header, grantee: DeviceCertificate, *,
              roster_version: int, now: int) -> bytes:
        """A grant of ``envelope`` (sealed to this device) to ``grantee``. Raises
        EnvelopeError when this device cannot open the envelope's key."""
        header = envelope if isinstance(envelope, Header) else key_fields(envelope)
        return self._issue(header, self._unwrap(header), grantee, roster_version, now)

    def _unwrap(self, header: Header | KeyFields) -> bytes:
        """This device's content key: the slot where it was last time first (envelopes of
        one roster list the group in one order), then every slot."""
        keys, wrapped = self.device.keys, header.wrapped_keys
        if self._slot < len(wrapped):
            key = self._scratch.seal_open(wrapped[self._slot], keys.box_public, keys.box_secret)
            if key is not None and equal(commitment(key, header.envelope_id),
                                         header.commitment):
                return key
        self._slot, key = unwrap_own_key(header, keys)
        return key

    def grant_opened(self, opened: Opened, grantee: DeviceCertificate, *,
                     roster_version: int, now: int) -> bytes:
        """The same, for an envelope this device already opened (its own or by a grant is
        refused by the grantee: only a device sealed to may grant)."""
        return self._issue(opened.header, opened._content_key, grantee, roster_version, now)

    def _issue(self, header: Header | KeyFields, content_key: bytes, grantee: DeviceCertificate,
               roster_version: int, now: int) -> bytes:
        shared, fields = self._grantee(grantee)
        nonce = self._rand(24)
        boxed = self._scratch.box_afternm(content_key, nonce, shared)
        signed = b"".join([_PREFIX, header.thread_id, header.envelope_id, header.hash,
                           U64.pack(roster_version), fields, U64.pack(now), nonce, boxed])
        return signed + self._scratch.sign(_SIG_CONTEXT + signed, self._signing)


def parse_grant(raw: bytes) -> KeyGrant:
    def bad() -> EnvelopeError:
        return EnvelopeError("grant-malformed")

    if len(raw) != GRANT_LEN:
        raise bad()
    r = Reader(raw, bad)
    if r.take(4) != GRANT_MAGIC or r.u8() != GRANT_VERSION:
        raise bad()
    fields = (r.take(16), r.take(16), r.take(32), r.u64(), r.take(16), r.take(16), r.take(32),
              r.u64(), r.take(WRAPPED_LEN), r.take(64))
    r.done()
    return KeyGrant(*fields, bytes(raw))


def verify_grant(raw: bytes, *, devices: Iterable[DeviceCertificate]) -> tuple[KeyGrant,
                                                                              DeviceCertificate]:
    """Parse a grant and check its signature against the granting device among ``devices``
    (the hub's check at upload, against the agency's current roster)."""
    grant = parse_grant(raw)
    granter = next((d for d in devices if d.device_id == grant.granter_id), None)
    if granter is None:
        raise EnvelopeError("grant-granter-unknown")
    if not verify_signature(granter.sign_public, _SIG_CONTEXT + raw[:SIGNED_LEN],
                            grant.signature):
        raise EnvelopeError("grant-signature")
    return grant, granter


def open_with_grant(data: bytes, grant_raw: bytes, *, device: DeviceIdentity,
                    trust: TrustGrants, now: int) -> Opened:
    """Open an envelope on a device it was not sealed to, with a grant addressed to it.
    Every failure is the same EnvelopeError ("envelope rejected")."""
    header, body = split_envelope(data)
    check_time(header, now)
    if header.destination != device.certificate.agency:
        raise EnvelopeError("wrong-agency")
    grant = parse_grant(grant_raw)
    _check_binding(grant, header, device.certificate)
    granter = _check_granter(grant, grant_raw, trust, header.destination, now)
    content_key = _unbox(grant, granter, device.keys)
    opened = open_body(header, body, content_key)
    if granter.box_public not in opened.recipients:
        raise EnvelopeError("grant-granter-not-recipient")
    check_sender(opened, trust, now)
    return opened


class TrustGrants(TrustStoreLike, Protocol):
    def roster(self, agency: str, now: int) -> VerifiedRoster: ...


def _check_binding(grant: KeyGrant, header: Header, me: DeviceCertificate) -> None:
    if (grant.thread_id != header.thread_id or grant.envelope_id != header.envelope_id
            or not equal(grant.header_hash, header.hash)):
        raise EnvelopeError("grant-other-envelope")
    if grant.grantee_id != me.device_id or not equal(grant.grantee_hash, grantee_hash(me)):
        raise EnvelopeError("grant-other-device")


def _check_granter(grant: KeyGrant, raw: bytes, trust: TrustGrants, agency: str,
                   now: int) -> DeviceCertificate:
    """The granting device is current in the agency's roster as verified against the pinned
    root, at or after the roster version the grant names, and signed the grant."""
    try:
        roster = trust.roster(agency, now)
    except TrustError:
        raise EnvelopeError("grant-no-roster") from None
    granter = roster.devices.get(grant.granter_id)
    if granter is None or not roster.current_device(granter, now) \
            or grant.roster_version > roster.version:
        raise EnvelopeError("grant-granter-unknown")
    if not verify_signature(granter.sign_public, _SIG_CONTEXT + raw[:SIGNED_LEN],
                            grant.signature):
        raise EnvelopeError("grant-signature")
    return granter


def _unbox(grant: KeyGrant, granter: DeviceCertificate, keys: DeviceKeys) -> bytes:
    nonce, boxed = grant.wrapped[:24], grant.wrapped[24:]
    try:
        return sodium.crypto_box_open(boxed, nonce, granter.box_public, keys.box_secret)
    except Exception:
        raise EnvelopeError("grant-key") from None

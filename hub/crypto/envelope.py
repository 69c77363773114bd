"""Sealing and opening envelopes, format version 1 (docs/envelope.md).

One fresh content key per envelope, wrapped for every recipient device with a sealed box;
the body is XChaCha20-Poly1305 with the whole header as associated data; a key commitment
in the header; an Ed25519 signature inside the ciphertext over the header hash and the
inner content, which carries the sender's certificate and the signed recipient list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import nacl.bindings as sodium

from . import attachments as att
from .certificates import CERT_LEN, DeviceCertificate, parse_certificate
from .errors import CryptoError, EnvelopeError, TrustError
from .fields import U32, U64, Random, Reader, blake2b, equal, system_random
from .header import (
    MAX_ATTACHMENTS,
    MAX_CONTENT,
    MAX_LIFETIME,
    MAX_RECIPIENTS,
    PAD_BLOCK,
    Header,
    KeyFields,
    Kind,
    Urgency,
    encode_header,
    split_envelope,
)
from .keys import DeviceKeys, verify_signature

SIG_CONTEXT = b"ccrhub envelope v1\0"
CLOCK_SKEW = 300  # seconds an envelope may come from the future


@dataclass(frozen=True)
class DeviceIdentity:
    """A device's keys together with the certificate its agency root issued for them."""

    keys: DeviceKeys
    certificate: DeviceCertificate

    def __post_init__(self) -> None:
        if (self.keys.sign_public != self.certificate.sign_public
                or self.keys.box_public != self.certificate.box_public):
            raise TrustError("certificate-mismatch", "certificate is for other keys")


@dataclass(frozen=True)
class AttachmentRef:
    index: int
    size: int
    blob_hash: bytes


@dataclass(frozen=True)
class Sealed:
    envelope: bytes
    attachments: tuple[bytearray, ...]  # the sealed blobs, in their own buffers
    header: Header


@dataclass(frozen=True)
class Opened:
    header: Header
    content: bytes
    sender: DeviceCertificate
    recipients: tuple[bytes, ...]
    attachments: tuple[AttachmentRef, ...]
    _content_key: bytes = field(repr=False)

    def open_attachment(self, index: int, blob: bytes | bytearray) -> bytearray:
        return att.open_attachment(blob, self._content_key, self.header.hash,
                                   self._ref(index))

    def _ref(self, index: int) -> AttachmentRef:
        if not 0 <= index < len(self.attachments):
            raise EnvelopeError("attachment-unknown")
        return self.attachments[index]


class ReplayGuard(Protocol):
    def check_and_remember(self, envelope_id: bytes, expires_at: int) -> bool:
        """False if this envelope id was seen before; otherwise remember it."""


class SeenEnvelopes:
    """An in-memory replay guard; a client persists its own."""

    def __init__(self) -> None:
        self._seen: dict[bytes, int] = {}

    def check_and_remember(self, envelope_id: bytes, expires_at: int) -> bool:
        if envelope_id in self._seen:
            return False
        self._seen[envelope_id] = expires_at
        return True


def _nonce_for(ephemeral: bytes, recipient: bytes) -> bytes:
    """crypto_box_seal's nonce: unkeyed BLAKE2b-192 of the ephemeral and recipient keys."""
    return hashlib.blake2b(ephemeral + recipient, digest_size=24).digest()


def wrap_key(content_key: bytes, recipient: bytes, rand: Random) -> bytes:
    """Exactly libsodium's crypto_box_seal, with the ephemeral key from ``rand`` so that
    known-answer vectors can be generated. Opened with crypto_box_seal_open."""
    ephemeral_public, ephemeral_secret = sodium.crypto_box_seed_keypair(rand(32))
    try:
        boxed = sodium.crypto_box(content_key, _nonce_for(ephemeral_public, recipient), recipient,
                                  ephemeral_secret)
    except Exception:
        raise TrustError("low-order-key", "a recipient public key is not usable") from None
    return ephemeral_public + boxed


def commitment(content_key: bytes, envelope_id: bytes) -> bytes:
    return blake2b(envelope_id, key=content_key, person=b"ccrhub-cmt-v1")


def _encode_manifest(refs: Sequence[AttachmentRef]) -> bytes:
    return bytes([len(refs)]) + b"".join(
        bytes([r.index]) + U64.pack(r.size) + r.blob_hash for r in refs)


def _signed_message(header_digest: bytes, inner_unsigned: bytes) -> bytes:
    return SIG_CONTEXT + header_digest + blake2b(inner_unsigned, person=b"ccrhub-inner-v1")


def seal(content: bytes, *, sender: DeviceIdentity, recipients: Sequence[DeviceCertificate],
         destination: str, referral_type: str, urgency: Urgency, now: int, lifetime: int,
         kind: Kind = Kind.REFERRAL, thread_id: bytes | None = None,
         envelope_id: bytes | None = None, attachments: Sequence[bytes] = (),
         rand: Random = system_random, drill: bool = False) -> Sealed:
    """Seal ``content`` (and attachments) for every recipient device; a ``drill``'s header
    says it is one (header.DRILL)."""
    if not 1 <= len(recipients) <= MAX_RECIPIENTS:
        raise TrustError("recipients", f"an envelope goes to 1 to {MAX_RECIPIENTS} devices")
    if len(content) > MAX_CONTENT or len(attachments) > MAX_ATTACHMENTS \
            or any(len(a) > att.MAX_ATTACHMENT for a in attachments):
        raise TrustError("too-large", "content, an attachment or the attachment count is "
                         "over the limit (4 MiB, 256 MiB, 16)")
    if len({c.box_public for c in recipients}) != len(recipients):
        raise TrustError("recipients", "a device is listed twice")
    content_key = rand(32)
    envelope_id = envelope_id or rand(16)
    thread_id = envelope_id if kind is Kind.REFERRAL else thread_id
    if thread_id is None or len(thread_id) != 16 or len(envelope_id) != 16:
        raise TrustError("thread", "a reply names its referral's 16-byte thread id")
    if not 0 < lifetime <= MAX_LIFETIME:
        raise TrustError("lifetime", f"an envelope lives 1 s to {MAX_LIFETIME // 86400} days")
    nonce = rand(24)
    wrapped = [wrap_key(content_key, c.box_public, rand) for c in recipients]
    key_commitment = commitment(content_key, envelope_id)
    raw_header = encode_header(
        kind=kind, envelope_id=envelope_id, thread_id=thread_id, destination=destination,
        referral_type=referral_type, urgency=urgency, created_at=now, expires_at=now + lifetime,
        commitment=key_commitment, nonce=nonce, wrapped_keys=wrapped, drill=drill)
    header = Header(kind, envelope_id, thread_id, destination, referral_type, urgency, now,
                    now + lifetime, key_commitment, nonce, tuple(wrapped), raw_header)
    digest = header.hash
    sealed = [att.seal_attachment(data, content_key, digest, i)
              for i, data in enumerate(attachments)]
    blobs = tuple(blob for blob, _ in sealed)
    refs = [AttachmentRef(i, len(data), blob_hash)
            for i, (data, (_, blob_hash)) in enumerate(zip(attachments, sealed, strict=True))]
    inner = b"".join([sender.certificate.raw, *(c.box_public for c in recipients),
                      _encode_manifest(refs), U32.pack(len(content)), content])
    signature = sender.keys.sign(_signed_message(digest, inner))
    padded = sodium.sodium_pad(inner + signature, PAD_BLOCK)
    body = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, raw_header, nonce, content_key)
    return Sealed(raw_header + body, blobs, header)


def open_envelope(data: bytes, *, device: DeviceIdentity, trust: TrustStoreLike, now: int,
                  replay: ReplayGuard | None = None) -> Opened:
    """Open an envelope on a recipient device. Every failure is one EnvelopeError."""
    header, body = split_envelope(data)
    check_time(header, now)
    if header.destination != device.certificate.agency:
        raise EnvelopeError("wrong-agency")
    hint = trust.expected_slot(header, device.keys.box_public, now)
    slot, content_key = _unwrap(header, device.keys, hint)
    opened = open_body(header, body, content_key)
    if opened.recipients[slot] != device.keys.box_public:
        raise EnvelopeError("recipient-mismatch")
    check_sender(opened, trust, now)
    if replay is not None and not replay.check_and_remember(header.envelope_id, header.expires_at):
        raise EnvelopeError("replay")
    return opened


def open_body(header: Header, body: bytes, content_key: bytes) -> Opened:
    """Steps 5 to 8 of opening, once a content key is in hand (from a wrapped key of the
    header, or from a key grant): key commitment, AEAD, inner content, sender signature."""
    if not equal(commitment(content_key, header.envelope_id), header.commitment):
        raise EnvelopeError("key-commitment")
    try:
        padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            body, header.raw, header.nonce, content_key)
        plain = sodium.sodium_unpad(padded, PAD_BLOCK)
    except Exception:
        raise EnvelopeError("ciphertext") from None
    return _parse_inner(plain, header, content_key)


def unwrap_own_key(header: Header | KeyFields, keys: DeviceKeys, hint: int | None = None
                   ) -> tuple[int, bytes]:
    """This device's slot and the content key from its own wrapped key (the slot ``hint``
    tried first), checked against the header's key commitment: what a recipient needs to
    hand the envelope on (a key grant) without decrypting its body."""
    slot, content_key = _unwrap(header, keys, hint)
    if not equal(commitment(content_key, header.envelope_id), header.commitment):
        raise EnvelopeError("key-commitment")
    return slot, content_key


class TrustStoreLike(Protocol):
    def is_current_sender(self, cert: DeviceCertificate, now: int) -> bool: ...

    def expected_slot(self, header: Header, box_public: bytes, now: int) -> int | None:
        """Where a sender sealing to the current roster put this device's wrapped key."""


def check_time(header: Header, now: int) -> None:
    if header.created_at > now + CLOCK_SKEW:
        raise EnvelopeError("from-future")
    if now >= header.expires_at:
        raise EnvelopeError("expired")


def _unwrap(header: Header | KeyFields, keys: DeviceKeys, hint: int | None) -> tuple[int, bytes]:
    """Try the slot the roster predicts first, then every slot: wrapped keys carry no
    recipient identifier. The slot found is checked against the signed recipient list."""
    slots = list(range(len(header.wrapped_keys)))
    if hint is not None and 0 <= hint < len(slots):
        slots.insert(0, slots.pop(hint))
    for slot in slots:
        wrapped = header.wrapped_keys[slot]
        try:
            return slot, sodium.crypto_box_seal_open(wrapped, keys.box_public, keys.box_secret)
        except Exception:
            continue
    raise EnvelopeError("not-a-recipient")


def _parse_inner(plain: bytes, header: Header, content_key: bytes) -> Opened:
    def bad() -> EnvelopeError:
        return EnvelopeError("malformed-inner")

    r = Reader(plain, bad)
    try:
        sender = parse_certificate(r.take(CERT_LEN))
    except CryptoError:
        raise bad() from None
    recipients = tuple(r.take(32) for _ in header.wrapped_keys)
    count = r.u8()
    if count > MAX_ATTACHMENTS:
        raise bad()
    refs = tuple(AttachmentRef(r.u8(), r.u64(), r.take(32)) for _ in range(count))
    if any(ref.index != i for i, ref in enumerate(refs)) or len(set(recipients)) != len(recipients):
        raise bad()
    length = r.u32()
    if length > MAX_CONTENT:
        raise bad()
    content = r.take(length)
    signed_len = len(plain) - r.remaining
    signature = r.take(64)
    r.done()
    if not verify_signature(sender.sign_public, _signed_message(header.hash, plain[:signed_len]),
                            signature):
        raise EnvelopeError("signature")
    return Opened(header, content, sender, recipients, refs, content_key)


def check_sender(opened: Opened, trust: TrustStoreLike, now: int) -> None:
    """Only a reduced copy comes from the destination agency itself (its kind says so, so it
    cannot pass for the original sender's words); any other envelope never does."""
    own = opened.sender.agency == opened.header.destination
    if own != (opened.header.kind is Kind.REDUCED):
        raise EnvelopeError("sender-is-recipient-agency" if own else "reduced-by-other-agency")
    if not trust.is_current_sender(opened.sender, now):
        raise EnvelopeError("untrusted-sender")

"""Device certificates: an agency root vouches, until a date, that a device (two public
keys) belongs to one of its people. Fixed-size binary, layout in docs/envelope.md."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import TrustError
from .fields import U64, Reader, decode_slug, encode_slug
from .keys import AgencyRoot, DeviceKeys, is_usable_box_key, verify_signature

CERT_MAGIC = b"CCRD"
CERT_VERSION = 1
CERT_LEN = 4 + 1 + 32 + 32 + 16 + 32 + 32 + 8 + 8 + 64
_SIGNED_LEN = CERT_LEN - 64
_SIG_CONTEXT = b"ccrhub device certificate v1\0"


@dataclass(frozen=True)
class DeviceCertificate:
    agency: str
    person: str
    device_id: bytes
    box_public: bytes
    sign_public: bytes
    issued_at: int
    expires_at: int
    signature: bytes
    raw: bytes  # the exact bytes, as signed and sent

    def valid_at(self, now: int) -> bool:
        return self.issued_at <= now + 300 and now < self.expires_at


def _signed_part(agency: str, person: str, device_id: bytes, box_public: bytes,
                 sign_public: bytes, issued_at: int, expires_at: int) -> bytes:
    return b"".join([CERT_MAGIC, bytes([CERT_VERSION]), encode_slug(agency), encode_slug(person),
                     device_id, box_public, sign_public, U64.pack(issued_at), U64.pack(expires_at)])


def issue_certificate(root: AgencyRoot, *, agency: str, person: str, device_id: bytes,
                      box_public: bytes, sign_public: bytes, issued_at: int,
                      expires_at: int) -> DeviceCertificate:
    if len(device_id) != 16:
        raise TrustError("bad-device-id", "a device id is 16 bytes")
    if not is_usable_box_key(box_public) or len(sign_public) != 32:
        raise TrustError("low-order-key", "the device public key is not usable")
    if expires_at <= issued_at:
        raise TrustError("bad-validity", "a certificate must expire after it is issued")
    signed = _signed_part(agency, person, device_id, box_public, sign_public, issued_at, expires_at)
    signature = root.sign(_SIG_CONTEXT + signed)
    return parse_certificate(signed + signature)


def certify_device(root: AgencyRoot, keys: DeviceKeys, *, agency: str, person: str,
                   device_id: bytes, issued_at: int, expires_at: int) -> DeviceCertificate:
    return issue_certificate(root, agency=agency, person=person, device_id=device_id,
                             box_public=keys.box_public, sign_public=keys.sign_public,
                             issued_at=issued_at, expires_at=expires_at)


def parse_certificate(raw: bytes) -> DeviceCertificate:
    """Strict parse; does not check the signature (see ``verify_certificate``)."""

    def bad() -> TrustError:
        return TrustError("bad-certificate", "not a well-formed device certificate")

    if len(raw) != CERT_LEN:
        raise bad()
    r = Reader(raw, bad)
    if r.take(4) != CERT_MAGIC or r.u8() != CERT_VERSION:
        raise bad()
    agency, person = decode_slug(r.take(32)), decode_slug(r.take(32))
    device_id, box_public, sign_public = r.take(16), r.take(32), r.take(32)
    issued_at, expires_at, signature = r.u64(), r.u64(), r.take(64)
    r.done()
    if agency is None or person is None or expires_at <= issued_at:
        raise bad()
    return DeviceCertificate(agency, person, device_id, box_public, sign_public, issued_at,
                             expires_at, signature, bytes(raw))


def verify_certificate(cert: DeviceCertificate, root_public: bytes, *, now: int) -> None:
    """Raise TrustError unless ``root_public`` signed this certificate, it is valid at
    ``now`` and its opening key is usable."""
    if not verify_signature(root_public, _SIG_CONTEXT + cert.raw[:_SIGNED_LEN], cert.signature):
        raise TrustError("certificate-signature", "certificate not signed by the agency's root")
    if not cert.valid_at(now):
        raise TrustError("certificate-expired", "device certificate is expired or not yet valid")
    if not is_usable_box_key(cert.box_public):
        raise TrustError("low-order-key", "the device public key is not usable")

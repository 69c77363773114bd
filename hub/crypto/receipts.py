"""Signed receipts: a recipient device signs (envelope id, header hash, status, time). The
hub verifies them against the receiving agency's roster, so it can stop an escalation on a
real acknowledgement without reading anything."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from .certificates import DeviceCertificate
from .envelope import DeviceIdentity
from .errors import EnvelopeError
from .fields import U64, Reader
from .keys import verify_signature

RECEIPT_MAGIC = b"CCRR"
RECEIPT_VERSION = 1
RECEIPT_LEN = 4 + 1 + 16 + 32 + 1 + 8 + 16 + 64
_SIG_CONTEXT = b"ccrhub receipt v1\0"


class ReceiptStatus(IntEnum):
    ACKNOWLEDGED = 1
    ACCEPTED = 2
    REJECTED = 3
    COMPLETED = 4


@dataclass(frozen=True)
class Receipt:
    envelope_id: bytes
    header_hash: bytes
    status: ReceiptStatus
    at: int
    device_id: bytes
    signature: bytes
    raw: bytes


def sign_receipt(device: DeviceIdentity, *, envelope_id: bytes, header_hash: bytes,
                 status: ReceiptStatus, at: int) -> bytes:
    signed = b"".join([RECEIPT_MAGIC, bytes([RECEIPT_VERSION]), envelope_id, header_hash,
                       bytes([status]), U64.pack(at), device.certificate.device_id])
    return signed + device.keys.sign(_SIG_CONTEXT + signed)


def parse_receipt(raw: bytes) -> Receipt:
    def bad() -> EnvelopeError:
        return EnvelopeError("malformed-receipt")

    if len(raw) != RECEIPT_LEN:
        raise bad()
    r = Reader(raw, bad)
    if r.take(4) != RECEIPT_MAGIC or r.u8() != RECEIPT_VERSION:
        raise bad()
    envelope_id, digest = r.take(16), r.take(32)
    try:
        status = ReceiptStatus(r.u8())
    except ValueError:
        raise bad() from None
    at, device_id, signature = r.u64(), r.take(16), r.take(64)
    r.done()
    return Receipt(envelope_id, digest, status, at, device_id, signature, bytes(raw))


def verify_receipt(raw: bytes, *, envelope_id: bytes, header_hash: bytes,
                   devices: Iterable[DeviceCertificate]) -> tuple[Receipt, DeviceCertificate]:
    """Check a receipt is for this envelope and signed by one of ``devices`` (the current
    devices of the escalation group). Returns the receipt and the signing device."""
    receipt = parse_receipt(raw)
    if receipt.envelope_id != envelope_id or receipt.header_hash != header_hash:
        raise EnvelopeError("receipt-for-other-envelope")
    device = next((d for d in devices if d.device_id == receipt.device_id), None)
    if device is None:
        raise EnvelopeError("receipt-device-unknown")
    if not verify_signature(device.sign_public, _SIG_CONTEXT + raw[:-64], receipt.signature):
        raise EnvelopeError("receipt-signature")
    return receipt, device

"""End-to-end encryption for CCR Hub: pure functions over bytes and keys; no I/O.

The sender's SDK seals, the recipient's device opens, and the hub only parses headers and
verifies rosters and receipts. Format: docs/envelope.md.
"""

from .certificates import DeviceCertificate, certify_device, parse_certificate, verify_certificate
from .envelope import (
    AttachmentRef,
    DeviceIdentity,
    Opened,
    ReplayGuard,
    Sealed,
    SeenEnvelopes,
    open_envelope,
    seal,
)
from .errors import CryptoError, EnvelopeError, TrustError
from .fingerprints import matches_fingerprint, numeric_fingerprint, short_fingerprint
from .header import Header, Kind, Urgency, parse_header
from .keys import (
    AgencyRoot,
    DeviceKeys,
    export_agency_root,
    export_device_keys,
    import_agency_root,
    import_device_keys,
)
from .pins import PinBundle, make_pin_bundle, open_pin_bundle
from .receipts import Receipt, ReceiptStatus, parse_receipt, sign_receipt, verify_receipt
from .rosters import (
    EscalationGroup,
    RosterPerson,
    SignedRoster,
    VerifiedRoster,
    make_roster,
    verify_roster,
)
from .trust import TrustStore

__all__ = [
    "AgencyRoot", "AttachmentRef", "CryptoError", "DeviceCertificate", "DeviceIdentity",
    "DeviceKeys", "EnvelopeError", "EscalationGroup", "Header", "Kind", "Opened", "PinBundle",
    "Receipt", "ReceiptStatus", "ReplayGuard", "RosterPerson", "Sealed", "SeenEnvelopes",
    "SignedRoster", "TrustError", "TrustStore", "Urgency", "VerifiedRoster", "certify_device",
    "export_agency_root", "export_device_keys", "import_agency_root", "import_device_keys",
    "make_pin_bundle", "make_roster", "matches_fingerprint", "numeric_fingerprint",
    "open_envelope", "open_pin_bundle", "parse_certificate", "parse_header", "parse_receipt",
    "seal", "short_fingerprint", "sign_receipt", "verify_certificate", "verify_receipt",
    "verify_roster",
]

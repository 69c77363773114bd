"""Known-answer vectors for envelope format version 1 (docs/envelope.md).

    .venv/bin/python -m tests.vectors.generate      # rewrites tests/vectors/envelope-v1.json

Nothing here is random: every key comes from a fixed seed, and ``seal`` takes its randomness
(content key, envelope id, nonce, one ephemeral seed per recipient) from a seeded stream
whose draws are written out too, so a second implementation can inject the same bytes.
tests/crypto/test_vectors.py regenerates everything and compares it with the stored file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from hub.crypto import (
    AgencyRoot,
    DeviceIdentity,
    DeviceKeys,
    Kind,
    ReceiptStatus,
    Urgency,
    certify_device,
    make_roster,
    numeric_fingerprint,
    seal,
    short_fingerprint,
    sign_receipt,
)
from hub.crypto.attachments import attachment_key
from hub.crypto.grants import Granter
from hub.crypto.rosters import EscalationGroup, RosterPerson

PATH = Path(__file__).with_name("envelope-v1.json")
MASTER = b"ccrhub known-answer vectors v1"
NOW = 1_800_000_000
DAY = 86_400
TYPE = "discharge-handoff"
SENDING, RECEIVING = "mercy-hospital", "harbor-house"
PEOPLE = {  # agency -> [(person, roles)]; every person has one device
    SENDING: [("mercy-nurse", ("sender", "point_person"))],
    RECEIVING: [("hh-point", ("point_person",)), ("hh-backup", ("backup",))],
}
GROUPS = {SENDING: ("mercy-nurse", ()), RECEIVING: ("hh-point", ("hh-backup",))}

NOTES = [
    "Every byte field is lowercase hex. Times are seconds since the Unix epoch.",
    "Seeds: seed(label) = BLAKE2b-256(label; key = 'ccrhub known-answer vectors v1'). Roots "
    "are AgencyRoot.from_seed(root_seed); devices DeviceKeys.from_seeds(box_seed, sign_seed) "
    "(crypto_box_seed_keypair, Ed25519 seed).",
    "seal's randomness is injected: draw i of n bytes is BLAKE2b-n(u32be(i); key = rand_seed). "
    "The draws, in order, are the content key (32), the envelope id (16), the AEAD nonce (24) "
    "and one ephemeral crypto_box_seed_keypair seed (32) per recipient; they are listed.",
    "Deterministic: certificates, rosters (root-signed JSON bytes), fingerprints, receipts "
    "(Ed25519 is deterministic) and every envelope without attachments, byte for byte.",
    "Not deterministic: an attachment blob starts with a secretstream header that libsodium "
    "draws internally (crypto_secretstream_xchacha20poly1305_init_push takes no seed), and the "
    "blob's SHA-256 is in the signed manifest inside the body. So for an envelope with "
    "attachments only the header (and its hash) is byte-exact; the fields named in "
    "'random_fields' were produced once and must still open to the stored plaintext.",
]


def seed(label: str) -> bytes:
    return hashlib.blake2b(label.encode(), key=MASTER, digest_size=32).digest()


class SeededRandom:
    """``rand(n)``, draw i: BLAKE2b-n(u32be(i); key=seed). Records every draw."""

    def __init__(self, key: bytes):
        self.key = key
        self.draws: list[bytes] = []

    def __call__(self, n: int) -> bytes:
        counter = len(self.draws).to_bytes(4, "big")
        self.draws.append(hashlib.blake2b(counter, key=self.key, digest_size=n).digest())
        return self.draws[-1]


def build_devices(roots: dict[str, AgencyRoot]) -> tuple[dict[str, DeviceIdentity], dict]:
    devices, doc = {}, {}
    for agency, people in PEOPLE.items():
        for person, _ in people:
            box_seed, sign_seed = seed(f"{person} box"), seed(f"{person} sign")
            keys = DeviceKeys.from_seeds(box_seed, sign_seed)
            device_id = seed(f"{person} device id")[:16]
            cert = certify_device(roots[agency], keys, agency=agency, person=person,
                                  device_id=device_id, issued_at=NOW - DAY,
                                  expires_at=NOW + 365 * DAY)
            devices[person] = DeviceIdentity(keys, cert)
            doc[person] = {
                "agency": agency, "person": person, "box_seed": box_seed.hex(),
                "sign_seed": sign_seed.hex(), "box_public": keys.box_public.hex(),
                "box_secret": keys.box_secret.hex(), "sign_public": keys.sign_public.hex(),
                "device_id": device_id.hex(), "issued_at": cert.issued_at,
                "expires_at": cert.expires_at, "certificate": cert.raw.hex(),
            }
    return devices, doc


def build_agency(agency: str, root: AgencyRoot, devices: dict[str, DeviceIdentity]) -> dict:
    point, backups = GROUPS[agency]
    signed = make_roster(
        root, agency=agency, version=1, issued_at=NOW - 3600, expires_at=NOW + 30 * DAY,
        people=[RosterPerson(id=p, roles=r) for p, r in PEOPLE[agency]],
        devices=[devices[p].certificate for p, _ in PEOPLE[agency]],
        groups=[EscalationGroup(type=TYPE, point_person=point, backups=backups)])
    return {
        "root_seed": root.seed.hex(), "root_public": root.public.hex(),
        "numeric_fingerprint": numeric_fingerprint(root.public),
        "short_fingerprint": short_fingerprint(root.public),
        "roster": {"body": signed.body.hex(), "signature": signed.signature.hex()},
    }


def build_envelope(name: str, devices: dict[str, DeviceIdentity], *, sender: str,
                   recipients: list[str], destination: str, content: bytes,
                   kind: Kind = Kind.REFERRAL, thread_id: bytes | None = None,
                   urgency: Urgency = Urgency.URGENT, attachments: tuple[bytes, ...] = (),
                   lifetime: int = 7 * DAY) -> dict:
    rand = SeededRandom(seed(f"{name} rand"))
    sealed = seal(content, sender=devices[sender],
                  recipients=[devices[r].certificate for r in recipients],
                  destination=destination, referral_type=TYPE, urgency=urgency, now=NOW,
                  lifetime=lifetime, kind=kind, thread_id=thread_id, attachments=attachments,
                  rand=rand)
    content_key = rand.draws[0]
    return {
        "name": name, "sender": sender, "recipients": recipients, "destination": destination,
        "referral_type": TYPE, "kind": int(kind), "urgency": int(urgency), "now": NOW,
        "lifetime": lifetime, "thread_id": thread_id.hex() if thread_id else None,
        "content": content.hex(), "attachments": [a.hex() for a in attachments],
        "rand_seed": rand.key.hex(), "draws": [d.hex() for d in rand.draws],
        "content_key": content_key.hex(), "envelope_id": sealed.header.envelope_id.hex(),
        "commitment": sealed.header.commitment.hex(),
        "attachment_keys": [attachment_key(content_key, i).hex()
                            for i in range(len(attachments))],
        "header": sealed.header.raw.hex(), "header_hash": sealed.header.hash.hex(),
        "envelope": sealed.envelope.hex(), "blobs": [b.hex() for b in sealed.attachments],
        "random_fields": ["envelope", "blobs"] if attachments else [],
    }


def build_grants(roots: dict[str, AgencyRoot], devices: dict[str, DeviceIdentity],
                 envelopes: list[dict]) -> dict:
    """hh-backup's second device, approved in roster version 2 after the referral was
    sealed, and hh-point's grant of the referral (and of the envelope with attachments)."""
    keys = DeviceKeys.from_seeds(seed("hh-backup new box"), seed("hh-backup new sign"))
    cert = certify_device(roots[RECEIVING], keys, agency=RECEIVING, person="hh-backup",
                          device_id=seed("hh-backup new device id")[:16], issued_at=NOW,
                          expires_at=NOW + 365 * DAY)
    people = PEOPLE[RECEIVING]
    point, backups = GROUPS[RECEIVING]
    roster = make_roster(
        roots[RECEIVING], agency=RECEIVING, version=2, issued_at=NOW, expires_at=NOW + 30 * DAY,
        people=[RosterPerson(id=p, roles=r) for p, r in people],
        devices=[*(devices[p].certificate for p, _ in people), cert],
        groups=[EscalationGroup(type=TYPE, point_person=point, backups=backups)])
    grants = []
    for name in ("referral", "with-attachments"):
        rand = SeededRandom(seed(f"{name} grant rand"))
        envelope = next(e for e in envelopes if e["name"] == name)
        raw = Granter(devices["hh-point"], rand).grant(
            bytes.fromhex(envelope["envelope"]), cert, roster_version=2, now=NOW + 60)
        grants.append({"envelope": name, "granter": "hh-point", "roster_version": 2,
                       "now": NOW + 60, "rand_seed": rand.key.hex(),
                       "draws": [d.hex() for d in rand.draws], "grant": raw.hex()})
    return {
        "grantee": {"agency": RECEIVING, "person": "hh-backup",
                    "box_seed": seed("hh-backup new box").hex(),
                    "sign_seed": seed("hh-backup new sign").hex(),
                    "device_id": cert.device_id.hex(), "certificate": cert.raw.hex()},
        "roster": {"body": roster.body.hex(), "signature": roster.signature.hex()},
        "grants": grants,
    }


def build() -> dict:
    roots = {a: AgencyRoot.from_seed(seed(f"{a} root")) for a in PEOPLE}
    devices, device_doc = build_devices(roots)
    referral = build_envelope(
        "referral", devices, sender="mercy-nurse", recipients=["hh-point", "hh-backup"],
        destination=RECEIVING, content=b'{"type":"discharge-handoff","note":"call by 5pm"}')
    thread = bytes.fromhex(referral["envelope_id"])
    envelopes = [
        referral,
        build_envelope("empty-content", devices, sender="mercy-nurse", recipients=["hh-point"],
                       destination=RECEIVING, content=b"", urgency=Urgency.EMERGENT),
        build_envelope("reply", devices, sender="hh-point", recipients=["mercy-nurse"],
                       destination=SENDING, content=b'{"status":"bed held"}', kind=Kind.REPLY,
                       thread_id=thread, urgency=Urgency.ROUTINE),
        build_envelope("with-attachments", devices, sender="mercy-nurse",
                       recipients=["hh-backup", "hh-point"], destination=RECEIVING,
                       content=b'{"files":2}', attachments=(b"", b"discharge summary")),
    ]
    receipts = [
        {"device": device, "envelope": "referral", "status": int(status), "at": NOW + at,
         "receipt": sign_receipt(devices[device], envelope_id=thread,
                                 header_hash=bytes.fromhex(referral["header_hash"]),
                                 status=status, at=NOW + at).hex()}
        for device, status, at in [("hh-point", ReceiptStatus.ACKNOWLEDGED, 60),
                                   ("hh-backup", ReceiptStatus.ACCEPTED, 120)]
    ]
    return {
        "format": "ccr-envelope-vectors/1", "notes": NOTES, "now": NOW,
        "agencies": {a: build_agency(a, roots[a], devices) for a in PEOPLE},
        "devices": device_doc, "envelopes": envelopes, "receipts": receipts,
        "grants": build_grants(roots, devices, envelopes),
    }


def main() -> None:
    PATH.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {PATH}")


if __name__ == "__main__":
    main()

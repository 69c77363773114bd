"""Known-answer vectors (tests/vectors/envelope-v1.json) pin format version 1. Regenerating
them with the same injected randomness gives the same bytes, field for field, except the
fields a case declares random (attachment blobs, see the file's notes); and every stored
envelope still opens, with the library and with the doc-following reader, to its stored
plaintext and attachments. Any change to the format fails a vector."""

from __future__ import annotations

import json

import nacl.bindings as sodium
import pytest

from hub.crypto import (
    DeviceIdentity,
    DeviceKeys,
    SignedRoster,
    TrustStore,
    open_envelope,
    parse_certificate,
    verify_receipt,
)
from tests.vectors.generate import PATH, build

from . import forge

VECTORS = json.loads(PATH.read_text())
CASES = {case["name"]: case for case in VECTORS["envelopes"]}
x = bytes.fromhex


@pytest.fixture(scope="module")
def rebuilt() -> dict:
    return build()


def identity(name: str) -> DeviceIdentity:
    stored = VECTORS["devices"][name]
    keys = DeviceKeys.from_seeds(x(stored["box_seed"]), x(stored["sign_seed"]))
    assert (keys.box_public.hex(), keys.sign_public.hex()) == (
        stored["box_public"], stored["sign_public"])
    return DeviceIdentity(keys, parse_certificate(x(stored["certificate"])))


def stored_trust() -> TrustStore:
    trust = TrustStore()
    for agency, stored in VECTORS["agencies"].items():
        trust.pin(agency, x(stored["root_public"]), fingerprint=stored["short_fingerprint"])
        roster = SignedRoster(x(stored["roster"]["body"]), x(stored["roster"]["signature"]))
        trust.accept_roster(agency, roster, VECTORS["now"])
    return trust


@pytest.mark.parametrize("section", ["format", "notes", "now", "agencies", "devices", "receipts"])
def test_keys_certificates_rosters_fingerprints_and_receipts_are_byte_exact(rebuilt: dict,
                                                                             section: str):
    assert rebuilt[section] == VECTORS[section]


@pytest.mark.parametrize("name", list(CASES))
def test_every_envelope_is_byte_exact_but_for_its_declared_random_fields(rebuilt: dict,
                                                                         name: str):
    stored = CASES[name]
    fresh = next(c for c in rebuilt["envelopes"] if c["name"] == name)
    assert fresh["random_fields"] == stored["random_fields"]
    assert set(stored["random_fields"]) == ({"envelope", "blobs"} if stored["attachments"]
                                            else set())
    assert {k: v for k, v in fresh.items() if k not in stored["random_fields"]} == {
        k: v for k, v in stored.items() if k not in stored["random_fields"]}
    assert fresh["envelope"].startswith(stored["header"])


@pytest.mark.parametrize("name", list(CASES))
def test_the_stored_draws_are_the_key_id_nonce_and_ephemeral_seeds(name: str):
    case = CASES[name]
    draws = [x(d) for d in case["draws"]]
    header = x(case["header"])
    assert [len(d) for d in draws] == [32, 16, 24] + [32] * len(case["recipients"])
    assert draws[0] == x(case["content_key"])
    assert forge.get(header, "envelope_id") == draws[1] == x(case["envelope_id"])
    assert forge.get(header, "nonce") == draws[2]
    assert forge.get(header, "commitment") == forge.commitment(draws[0], draws[1])
    for i, ephemeral_seed in enumerate(draws[3:]):
        ephemeral_public = sodium.crypto_box_seed_keypair(ephemeral_seed)[0]
        assert header[176 + 80 * i : 176 + 80 * i + 32] == ephemeral_public
    assert forge.H(header, person=b"ccrhub-hdr-v1") == x(case["header_hash"])


@pytest.mark.parametrize("name", list(CASES))
def test_every_stored_envelope_opens_to_its_stored_plaintext(name: str):
    case = CASES[name]
    envelope, trust = x(case["envelope"]), stored_trust()
    for recipient in case["recipients"]:
        device = identity(recipient)
        opened = open_envelope(envelope, device=device, trust=trust, now=case["now"])
        assert opened.content == x(case["content"])
        assert opened.sender.raw.hex() == VECTORS["devices"][case["sender"]]["certificate"]
        assert opened.header.raw.hex() == case["header"]
        assert opened.header.hash.hex() == case["header_hash"]
        assert [opened.open_attachment(i, x(b)) for i, b in enumerate(case["blobs"])] == [
            x(a) for a in case["attachments"]]
        by_the_doc = forge.read(envelope, device.keys.box_public, device.keys.box_secret)
        assert by_the_doc.content == x(case["content"])


def test_every_stored_receipt_verifies_for_its_envelope():
    for stored in VECTORS["receipts"]:
        case = CASES[stored["envelope"]]
        devices = [identity(r).certificate for r in case["recipients"]]
        receipt, device = verify_receipt(
            x(stored["receipt"]), envelope_id=x(case["envelope_id"]),
            header_hash=x(case["header_hash"]), devices=devices)
        assert device.person == stored["device"]
        assert (receipt.status, receipt.at) == (stored["status"], stored["at"])


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if not c["random_fields"]])
def test_a_writer_following_the_doc_reproduces_every_deterministic_envelope(name: str):
    case = CASES[name]
    draws = [x(d) for d in case["draws"]]
    sender = VECTORS["devices"][case["sender"]]
    draft = forge.Draft(
        cert=x(sender["certificate"]), sign_seed=x(sender["sign_seed"]),
        wrap_to=tuple(x(VECTORS["devices"][r]["box_public"]) for r in case["recipients"]),
        content=x(case["content"]), destination=case["destination"],
        referral_type=case["referral_type"], kind=case["kind"], urgency=case["urgency"],
        created_at=case["now"], lifetime=case["lifetime"], envelope_id=draws[1],
        thread_id=x(case["thread_id"]) if case["thread_id"] else None, content_key=draws[0],
        nonce=draws[2], ephemerals=tuple(draws[3:]))
    assert forge.forge(draft)[0].hex() == case["envelope"]


def test_key_grants_are_byte_exact(rebuilt: dict):
    assert rebuilt["grants"] == VECTORS["grants"]


@pytest.mark.parametrize("case", VECTORS["grants"]["grants"], ids=lambda c: c["envelope"])
def test_every_stored_grant_opens_its_envelope_on_the_new_device(case: dict):
    from hub.crypto.grants import open_with_grant

    stored = VECTORS["grants"]
    trust = stored_trust()
    roster = stored["roster"]
    trust.accept_roster("harbor-house", SignedRoster(x(roster["body"]), x(roster["signature"])),
                        VECTORS["now"])
    grantee = stored["grantee"]
    device = DeviceIdentity(DeviceKeys.from_seeds(x(grantee["box_seed"]), x(grantee["sign_seed"])),
                            parse_certificate(x(grantee["certificate"])))
    envelope = CASES[case["envelope"]]
    opened = open_with_grant(x(envelope["envelope"]), x(case["grant"]), device=device,
                             trust=trust, now=case["now"])
    assert opened.content == x(envelope["content"])
    assert [opened.open_attachment(i, x(b)) for i, b in enumerate(envelope["blobs"])] == [
        x(a) for a in envelope["attachments"]]

"""Cross-implementation: the browser's crypto module (web/src/crypto, JavaScript on
libsodium.js, run here under Node through web/test/interop-cli.mjs) and hub/crypto exchange
envelopes, attachments, receipts, certificates, rosters and key files made with random keys.
Python seals and JavaScript opens; JavaScript seals and Python opens; given the same injected
randomness both write the same bytes; and a damaged envelope is refused by both for the same
reason. The JavaScript suite itself (known-answer vectors, rejections) runs with `npm test`
in web/, which `make test` runs."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hub.crypto import (
    DeviceIdentity,
    EnvelopeError,
    Kind,
    ReceiptStatus,
    SeenEnvelopes,
    TrustStore,
    export_device_keys,
    import_device_keys,
    numeric_fingerprint,
    short_fingerprint,
    sign_receipt,
    verify_receipt,
    verify_roster,
)
from hub.crypto.rosters import SignedRoster

from . import forge
from .world import CONTENT, DAY, NOW, OTHER, RECEIVING, SENDING, TYPE, World, open_as, seal_to

WEB = Path(__file__).resolve().parents[2] / "web"
CLI = WEB / "test" / "interop-cli.mjs"
x = bytes.fromhex


@pytest.fixture(scope="module")
def node() -> str:
    """The node binary, with web/'s npm packages installed (`npm ci` if they are not)."""
    binary = shutil.which("node")
    if binary is None:
        pytest.skip("node is not installed: the JavaScript implementation cannot run")
    if not (WEB / "node_modules" / "libsodium-wrappers-sumo").is_dir():
        npm = shutil.which("npm")
        assert npm is not None, "node is installed but npm is not"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True,
                       timeout=600, stdout=subprocess.DEVNULL)
    return binary


def js(node: str, *requests: dict) -> list[dict]:
    """Run requests through the JavaScript implementation; answers in the same order."""
    done = subprocess.run([node, str(CLI)], input=json.dumps({"requests": list(requests)}),
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "NODE_NO_WARNINGS": "1"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["responses"]


def ok(answer: dict) -> dict:
    assert answer["ok"], answer
    return answer


def device_doc(device: DeviceIdentity) -> dict:
    return {"box_secret": device.keys.box_secret.hex(), "sign_seed": device.keys.sign_seed.hex(),
            "certificate": device.certificate.raw.hex()}


def agencies_doc(world: World) -> dict:
    """Every root pinned (checked by its short fingerprint) and every roster, as bytes."""
    out = {}
    for agency in world.agencies.values():
        signed = agency.roster()
        out[agency.id] = {"root_public": agency.root.public.hex(),
                          "fingerprint": short_fingerprint(agency.root.public),
                          "roster": {"body": signed.body.hex(),
                                     "signature": signed.signature.hex()}}
    return out


def open_in_js(node: str, world: World, envelope: bytes, device: DeviceIdentity, *,
               blobs: tuple = (), now: int = NOW) -> dict:
    return js(node, {"op": "open", "envelope": envelope.hex(), "device": device_doc(device),
                     "agencies": agencies_doc(world), "now": now,
                     "blobs": [bytes(b).hex() for b in blobs]})[0]


def seal_in_js(node: str, world: World, content: bytes, recipients: list[DeviceIdentity], *,
               sender: DeviceIdentity | None = None, destination: str = RECEIVING,
               **fields) -> dict:
    request = {"op": "seal", "content": content.hex(),
               "sender": device_doc(sender or world.sender),
               "recipients": [d.certificate.raw.hex() for d in recipients],
               "destination": destination, "referral_type": TYPE, "urgency": 2, "now": NOW,
               "lifetime": 7 * DAY, **fields}
    return ok(js(node, request)[0])


# -- Python seals, JavaScript opens -----------------------------------------------------------

ATTACHMENTS = (b"", b"discharge summary", os.urandom(2 * 65_536 + 5))


def test_javascript_opens_what_python_seals_with_attachments(node: str, world: World):
    sealed = seal_to(world, [world.point, world.backup], attachments=ATTACHMENTS)
    for device in (world.point, world.backup):
        opened = ok(open_in_js(node, world, sealed.envelope, device, blobs=sealed.attachments))
        assert x(opened["content"]) == CONTENT
        assert x(opened["sender"]) == world.sender.certificate.raw
        assert x(opened["header_hash"]) == sealed.header.hash
        assert [x(a) for a in opened["attachments"]] == list(ATTACHMENTS)
        assert [x(r) for r in opened["recipients"]] == [world.point.keys.box_public,
                                                        world.backup.keys.box_public]


def test_javascript_opens_a_python_reply_on_its_thread(node: str, world: World):
    referral = seal_to(world, [world.point])
    reply = seal_to(world, [world.sender], b'{"status":"bed held"}', sender=world.point,
                    destination=SENDING, kind=Kind.REPLY, thread_id=referral.header.envelope_id)
    opened = ok(open_in_js(node, world, reply.envelope, world.sender))
    assert (opened["kind"], x(opened["thread_id"])) == (2, referral.header.envelope_id)
    assert x(opened["content"]) == b'{"status":"bed held"}'


def shift(name: str, delta: int):
    size = forge.LAYOUT[name][1]
    return lambda e: forge.put(e, name, forge.u(int.from_bytes(forge.get(e, name), "big") + delta,
                                                  size))


DAMAGE = {
    "flipped-body-bit": lambda e: forge.flip(e, len(e) - 1),
    "flipped-wrapped-key": lambda e: forge.flip(e, 176 + 40),
    "truncated": lambda e: e[:-1],
    "appended": lambda e: e + b"\0" * 512,
    "version": lambda e: forge.put(e, "version", b"\x02"),
    "kind-reply": lambda e: forge.put(e, "kind", b"\x02"),
    "destination": lambda e: forge.put(e, "destination", forge.slug(OTHER)),
    "urgency": lambda e: forge.put(e, "urgency", b"\x03"),
    "expires-after-400-days": shift("expires_at", 400 * DAY),
    "commitment": lambda e: forge.flip(e, forge.LAYOUT["commitment"][0]),
    "count": shift("count", 1),
    "no-wrapped-key": lambda e: forge.with_wrapped_keys(e, []),
    "reordered-keys": lambda e: forge.with_wrapped_keys(e, forge.wrapped_keys(e)[::-1]),
}


def python_reason(world: World, envelope: bytes, device: DeviceIdentity, now: int) -> str:
    with pytest.raises(EnvelopeError) as info:
        open_as(world, envelope, device, now=now)
    return info.value.reason


def test_javascript_refuses_what_python_refuses_for_the_same_reason(node: str, world: World):
    envelope = seal_to(world, [world.point, world.backup]).envelope
    cases = [(name, damage(envelope), world.point, NOW) for name, damage in DAMAGE.items()]
    cases += [("not-a-recipient", envelope, world.staff, NOW),
              ("wrong-agency", envelope, world.stranger, NOW),
              ("expired", envelope, world.point, NOW + 7 * DAY),
              ("from-future", seal_to(world, [world.point], now=NOW + 301).envelope,
               world.point, NOW)]
    agencies = agencies_doc(world)
    answers = js(node, *({"op": "open", "envelope": e.hex(), "device": device_doc(d),
                          "agencies": agencies, "now": now} for _, e, d, now in cases))
    for (name, damaged, device, now), answer in zip(cases, answers, strict=True):
        assert not answer["ok"], name
        assert (answer["error"], answer["message"]) == ("EnvelopeError", "envelope rejected")
        assert answer["reason"] == python_reason(world, damaged, device, now), name


# -- JavaScript seals, Python opens -----------------------------------------------------------

def test_python_opens_what_javascript_seals_with_attachments(node: str, world: World):
    sealed = seal_in_js(node, world, CONTENT, [world.point, world.backup],
                        attachments=[a.hex() for a in ATTACHMENTS])
    for device in (world.point, world.backup):
        opened = open_as(world, x(sealed["envelope"]), device, replay=SeenEnvelopes())
        assert opened.content == CONTENT
        assert opened.sender == world.sender.certificate
        assert opened.header.hash.hex() == sealed["header_hash"]
        blobs = [x(b) for b in sealed["blobs"]]
        assert [bytes(opened.open_attachment(i, b)) for i, b in enumerate(blobs)] == list(
            ATTACHMENTS)


def test_python_opens_a_javascript_reply_and_checks_its_receipt(node: str, world: World):
    referral = seal_to(world, [world.point, world.backup])
    reply = seal_in_js(node, world, b'{"status":"bed held"}', [world.sender], sender=world.point,
                       destination=SENDING, kind=2, urgency=1,
                       thread_id=referral.header.envelope_id.hex())
    opened = open_as(world, x(reply["envelope"]), world.sender)
    assert opened.header.kind is Kind.REPLY
    assert opened.header.thread_id == referral.header.envelope_id
    assert opened.content == b'{"status":"bed held"}'

    [answer] = js(node, {"op": "receipt", "device": device_doc(world.backup),
                         "envelope_id": referral.header.envelope_id.hex(),
                         "header_hash": referral.header.hash.hex(),
                         "status": int(ReceiptStatus.ACCEPTED), "at": NOW + 60})
    group = world.shared_trust.roster(RECEIVING, NOW).recipients(TYPE, NOW)
    receipt, device = verify_receipt(x(ok(answer)["receipt"]),
                                     envelope_id=referral.header.envelope_id,
                                     header_hash=referral.header.hash, devices=group)
    assert device == world.backup.certificate
    assert (receipt.status, receipt.at) == (ReceiptStatus.ACCEPTED, NOW + 60)


def test_javascript_verifies_a_python_receipt(node: str, world: World):
    sealed = seal_to(world, [world.point])
    raw = sign_receipt(world.point, envelope_id=sealed.header.envelope_id,
                       header_hash=sealed.header.hash, status=ReceiptStatus.ACKNOWLEDGED, at=NOW)
    request = {"op": "verify_receipt", "envelope_id": sealed.header.envelope_id.hex(),
               "header_hash": sealed.header.hash.hex(),
               "devices": [world.point.certificate.raw.hex()]}
    good, forged = js(node, {**request, "receipt": raw.hex()},
                      {**request, "receipt": forge.flip(raw, 100).hex()})
    assert ok(good)["device_id"] == world.point.certificate.device_id.hex()
    assert (forged["reason"], python_receipt_reason(sealed, forge.flip(raw, 100), world)) == (
        "receipt-signature", "receipt-signature")


def python_receipt_reason(sealed, raw: bytes, world: World) -> str:
    with pytest.raises(EnvelopeError) as info:
        verify_receipt(raw, envelope_id=sealed.header.envelope_id, header_hash=sealed.header.hash,
                       devices=[world.point.certificate])
    return info.value.reason


# -- the same bytes from the same randomness --------------------------------------------------

def test_both_seal_the_same_bytes_from_the_same_randomness(node: str, world: World):
    draws = [os.urandom(n) for n in (32, 16, 24, 32, 32)]
    stream = iter(draws)
    sealed = seal_to(world, [world.point, world.backup], rand=lambda n: next(stream))
    from_js = seal_in_js(node, world, CONTENT, [world.point, world.backup],
                         draws=[d.hex() for d in draws])
    assert x(from_js["envelope"]) == sealed.envelope


def test_certificates_rosters_and_fingerprints_are_the_same_bytes(node: str, world: World):
    harbor = world.agencies[RECEIVING]
    signed = harbor.roster(version=4, revoked=[world.backup.certificate])
    body = json.loads(signed.body)
    [made, prints] = js(node, {
        "op": "roster", "root_seed": harbor.root.seed.hex(), "agency": RECEIVING, "version": 4,
        "issued_at": body["issued_at"], "expires_at": body["expires_at"],
        "people": body["people"], "devices": [base64.b64decode(d).hex() for d in body["devices"]],
        "groups": body["groups"], "revoked": body["revoked"],
    }, {"op": "fingerprints", "public": harbor.root.public.hex()})
    assert (x(ok(made)["body"]), x(made["signature"])) == (signed.body, signed.signature)
    assert (ok(prints)["numeric"], prints["short"]) == (numeric_fingerprint(harbor.root.public),
                                                        short_fingerprint(harbor.root.public))
    verified = verify_roster(SignedRoster(x(made["body"]), x(made["signature"])),
                             harbor.root.public, agency=RECEIVING, now=NOW)
    assert world.backup.certificate not in verified.recipients(TYPE, NOW)


def test_javascript_verifies_python_rosters_and_picks_the_same_recipients(node: str,
                                                                        world: World):
    [answer] = js(node, {"op": "verify_rosters", "agencies": agencies_doc(world), "now": NOW})
    trust: TrustStore = world.shared_trust
    for agency, seen in ok(answer)["agencies"].items():
        roster = trust.roster(agency, NOW)
        for group in roster.body.groups:
            assert seen["recipients"][group.type] == [
                c.device_id.hex() for c in roster.recipients(group.type, NOW)]


def test_key_files_are_the_same_bytes_and_import_across(node: str, world: World):
    keys = world.point.keys
    draws = [os.urandom(16), os.urandom(24)]  # the argon2id salt and the secretbox nonce
    stream = iter(draws)
    python_file = export_device_keys(keys, "a passphrase", rand=lambda n: next(stream))
    exported, imported, plain = js(
        node, {"op": "export_device_keys", "box_secret": keys.box_secret.hex(),
               "sign_seed": keys.sign_seed.hex(), "passphrase": "a passphrase",
               "draws": [d.hex() for d in draws]},
        {"op": "import_device_keys", "file": python_file.decode(), "passphrase": "a passphrase"},
        {"op": "export_device_keys", "box_secret": keys.box_secret.hex(),
         "sign_seed": keys.sign_seed.hex()})
    assert ok(exported)["file"].encode() == python_file
    assert (ok(imported)["box_public"], imported["sign_public"]) == (keys.box_public.hex(),
                                                                     keys.sign_public.hex())
    assert ok(plain)["file"].encode() == export_device_keys(keys)
    assert import_device_keys(plain["file"].encode()).box_public == keys.box_public


# -- key grants, across ---------------------------------------------------------------------

def _grant_world(world: World):
    """A harbor-house backup device approved after sealing, and the agencies as the new
    device sees them (roster version 2 lists it)."""
    from .world import new_device

    newcomer = new_device(world.agencies[RECEIVING].root, RECEIVING, "hh-backup")
    agencies = agencies_doc(world)
    v2 = world.agencies[RECEIVING].roster(version=2, extra=[newcomer.certificate])
    agencies[RECEIVING]["roster"] = {"body": v2.body.hex(), "signature": v2.signature.hex()}
    trust = world.trust()
    trust.accept_roster(RECEIVING, v2, NOW)
    return newcomer, agencies, trust


def test_a_python_grant_opens_in_javascript_and_a_javascript_grant_in_python(node: str,
                                                                            world: World):
    from hub.crypto.grants import Granter, open_with_grant

    newcomer, agencies, trust = _grant_world(world)
    sealed = seal_to(world, [world.point, world.backup], attachments=(b"discharge summary",))
    py_grant = Granter(world.point).grant(sealed.envelope, newcomer.certificate,
                                          roster_version=2, now=NOW)
    opened = ok(js(node, {"op": "open_with_grant", "envelope": sealed.envelope.hex(),
                          "grant": py_grant.hex(), "device": device_doc(newcomer),
                          "agencies": agencies, "now": NOW,
                          "blobs": [bytes(b).hex() for b in sealed.attachments]})[0])
    assert x(opened["content"]) == CONTENT
    assert [x(a) for a in opened["attachments"]] == [b"discharge summary"]

    js_grant = x(ok(js(node, {"op": "grant", "envelope": sealed.envelope.hex(),
                              "granter": device_doc(world.backup),
                              "grantee": newcomer.certificate.raw.hex(), "roster_version": 2,
                              "now": NOW})[0])["grant"])
    assert open_with_grant(sealed.envelope, js_grant, device=newcomer, trust=trust,
                           now=NOW).content == CONTENT


def test_both_write_the_same_grant_and_refuse_a_replayed_one_alike(node: str, world: World):
    from hub.crypto.grants import Granter

    newcomer, agencies, _ = _grant_world(world)
    sealed = seal_to(world, [world.point, world.backup])
    draws = [os.urandom(24)]
    py_grant = Granter(world.point, lambda n: draws[0]).grant(
        sealed.envelope, newcomer.certificate, roster_version=2, now=NOW)
    js_grant = ok(js(node, {"op": "grant", "envelope": sealed.envelope.hex(),
                            "granter": device_doc(world.point), "draws": [draws[0].hex()],
                            "grantee": newcomer.certificate.raw.hex(), "roster_version": 2,
                            "now": NOW})[0])["grant"]
    assert js_grant == py_grant.hex()
    other = seal_to(world, [world.point, world.backup])
    refused = js(node, {"op": "open_with_grant", "envelope": other.envelope.hex(),
                        "grant": js_grant, "device": device_doc(newcomer),
                        "agencies": agencies, "now": NOW})[0]
    assert (refused["ok"], refused["message"], refused["reason"]) == (
        False, "envelope rejected", "grant-other-envelope")


def test_both_seal_to_the_recovery_key_after_the_group_and_open_its_grants(node: str,
                                                                           world: World):
    """An agency's recovery key (a roster person with the role 'recovery') is a recipient
    of every envelope, after the group, in both implementations; its grant opens in both."""
    from hub.crypto import EscalationGroup, RosterPerson, make_roster
    from hub.crypto.grants import Granter

    from .world import new_device

    agency = world.agencies[RECEIVING]
    recovery = new_device(agency.root, RECEIVING, "recovery")
    newcomer = new_device(agency.root, RECEIVING, "hh-backup")
    signed = make_roster(
        agency.root, agency=RECEIVING, version=2, issued_at=NOW - 60, expires_at=NOW + DAY,
        people=[*(RosterPerson(id=p, roles=r) for p, r in agency.roles.items()),
                RosterPerson(id="recovery", roles=("recovery",))],
        devices=[world.point.certificate, world.backup.certificate, recovery.certificate,
                 newcomer.certificate],
        groups=[EscalationGroup(type=TYPE, point_person="hh-point", backups=("hh-backup",))])
    agencies = agencies_doc(world)
    agencies[RECEIVING]["roster"] = {"body": signed.body.hex(), "signature": signed.signature.hex()}
    trust = world.trust()
    roster = trust.accept_roster(RECEIVING, signed, NOW)
    expected = [c.device_id.hex() for c in roster.recipients(TYPE, NOW)]
    assert expected[-1] == recovery.certificate.device_id.hex()
    [answer] = js(node, {"op": "verify_rosters", "agencies": agencies, "now": NOW})
    assert ok(answer)["agencies"][RECEIVING]["recipients"][TYPE] == expected

    sealed = seal_to(world, [world.point, world.backup, recovery])
    grant = Granter(recovery).grant(sealed.envelope, newcomer.certificate, roster_version=2,
                                    now=NOW)
    opened = ok(js(node, {"op": "open_with_grant", "envelope": sealed.envelope.hex(),
                          "grant": grant.hex(), "device": device_doc(newcomer),
                          "agencies": agencies, "now": NOW})[0])
    assert x(opened["content"]) == CONTENT


def test_javascript_follows_the_same_roster_log_and_refuses_a_fork(node: str, world: World):
    from hub.crypto.auditlog import HubKey
    from hub.crypto.rosterlog import (
        GENESIS,
        LogHead,
        LogWitness,
        entry_hash,
        log_entry,
        roster_digest,
    )

    key = HubKey.generate()
    agency = world.agencies[RECEIVING]
    v1, v2, other = agency.roster(version=1), agency.roster(version=2), \
        agency.roster(version=2, extra=[world.stranger.certificate])

    def log(*rosters):
        entries, prev = [], GENESIS
        for n, (signed, version) in enumerate(rosters):
            entries.append(log_entry(n, RECEIVING, version, roster_digest(signed), prev))
            prev = entry_hash(entries[-1])
        head = LogHead.signed(key, len(entries), prev)
        return [e.decode() for e in entries], {"count": head.count, "head": head.head.hex(),
                                              "key": head.key.hex(),
                                              "signature": head.signature.hex()}, head

    entries, head_doc, head = log((v1, 1), (v2, 2))
    witness = LogWitness()
    witness.advance([e.encode() for e in entries], head)
    served = {"agency": RECEIVING, "body": v2.body.hex(), "signature": v2.signature.hex()}
    answer = ok(js(node, {"op": "follow_log", "entries": entries, "head": head_doc,
                          "served": served})[0])
    assert answer["witness"] == witness.doc()
    assert LogWitness.of(answer["witness"]) == witness

    fork_entries, fork_doc, _ = log((v1, 1), (other, 2))
    refused = js(node, {"op": "follow_log", "entries": fork_entries, "head": fork_doc,
                        "witness": witness.doc()},
                 {"op": "follow_log", "entries": entries, "head": head_doc,
                  "served": {**served, "body": v1.body.hex(), "signature": v1.signature.hex()}})
    assert [(r["ok"], r.get("reason")) for r in refused] == [
        (False, "roster-log-fork"), (False, "roster-not-logged")]

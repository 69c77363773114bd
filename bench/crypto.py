"""Crypto micro-benchmark: seal and open envelopes and attachments, next to the raw libsodium
cost floor of the same work, measured in the same run on the same machine.

    python -m bench.crypto            # full run (a minute or two)
    python -m bench.crypto --quick    # fewer, shorter batches (well under 45 s)

Human-readable lines go to stderr; the last line of stdout is one JSON object with every
figure. Each figure is the median over several batches of that batch's per-operation mean,
timed with ``time.perf_counter`` after a warm-up, with the garbage collector paused (as
``timeit`` does). Batch sizes are calibrated so that a batch lasts about the same time on any
machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import nacl.bindings as sodium
from nacl.signing import SigningKey

from hub.crypto import (
    AgencyRoot,
    DeviceCertificate,
    DeviceIdentity,
    DeviceKeys,
    EscalationGroup,
    RosterPerson,
    TrustStore,
    Urgency,
    certify_device,
    make_roster,
    open_envelope,
    seal,
)
from hub.crypto.attachments import CHUNK, open_attachment, seal_attachment
from hub.crypto.envelope import AttachmentRef
from hub.crypto.grants import Granter, open_with_grant

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z; every key, roster and envelope is valid then
DAY = 86_400
REFERRAL_TYPE = "discharge-handoff"
BODY_SIZE = 4 * 1024
MIB = 1024 * 1024
ATTACHMENT_SIZE = 10 * MIB
GRANTS = 1000  # open referrals one device hands to one new device
TARGETS = {"seal_ms": 0.25, "open_ms": 0.30, "attachment_mb_s": 300, "grant_1000_s": 2.0,
           "grant_vs_baseline": 1.5}

_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
_ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_HEADERBYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- timing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    batches: int
    batch_seconds: float  # calibrate each batch to last about this long
    warmup_seconds: float
    per_batch: int | None = None  # fixed batch size instead of calibrating (--tiny)


PROFILES = {
    "full": Profile(batches=15, batch_seconds=0.4, warmup_seconds=0.3),
    "quick": Profile(batches=7, batch_seconds=0.1, warmup_seconds=0.05),
    "tiny": Profile(batches=2, batch_seconds=0.0, warmup_seconds=0.0, per_batch=1),
}


def measure(fn: Callable[[], object], batches: int, per_batch: int) -> float:
    """Seconds per call of ``fn``: the median over ``batches`` of each batch's mean."""
    means = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(batches):
            start = time.perf_counter()
            for _ in range(per_batch):
                fn()
            means.append((time.perf_counter() - start) / per_batch)
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(means)


def warm_up(fn: Callable[[], object], seconds: float) -> float:
    """Call ``fn`` at least once and for about ``seconds``; return the fastest call's time."""
    fastest = float("inf")
    deadline = time.perf_counter() + seconds
    while True:
        start = time.perf_counter()
        fn()
        end = time.perf_counter()
        fastest = min(fastest, end - start)
        if end >= deadline:
            return fastest


def timed(fn: Callable[[], object], profile: Profile) -> float:
    """Warm up, pick a batch size, measure: seconds per call."""
    single = warm_up(fn, profile.warmup_seconds)
    per_batch = profile.per_batch or max(1, round(profile.batch_seconds / max(single, 1e-9)))
    return measure(fn, profile.batches, per_batch)


# --- the CCR under test ---------------------------------------------------------------------


@dataclass(frozen=True)
class CCR:
    """A hospital with one sender device, a shelter whose escalation group for
    discharge-handoff has ``len(devices)`` devices, and the trust store a recipient device
    holds: both roots pinned, both rosters accepted."""

    sender: DeviceIdentity
    devices: tuple[DeviceIdentity, ...]  # in the order the envelope wraps keys for them
    recipients: tuple[DeviceCertificate, ...]
    trust: TrustStore


def _device(root: AgencyRoot, agency: str, person: str, number: int) -> DeviceIdentity:
    keys = DeviceKeys.generate()
    cert = certify_device(root, keys, agency=agency, person=person,
                          device_id=number.to_bytes(16, "big"), issued_at=NOW - DAY,
                          expires_at=NOW + 365 * DAY)
    return DeviceIdentity(keys, cert)


def build_ccr(n_devices: int) -> CCR:
    hospital_root, shelter_root = AgencyRoot.generate(), AgencyRoot.generate()
    sender = _device(hospital_root, "hospital", "nurse-1", 1)
    people = [f"advocate-{i:02d}" for i in range(1, n_devices + 1)]
    devices = {d.keys.box_public: d for d in (_device(shelter_root, "shelter", person, i)
                                              for i, person in enumerate(people, 1))}
    validity = {"version": 1, "issued_at": NOW - DAY, "expires_at": NOW + 30 * DAY}
    hospital_roster = make_roster(
        hospital_root, agency="hospital", people=[RosterPerson(id="nurse-1", roles=("sender",))],
        devices=[sender.certificate], groups=[], **validity)
    shelter_roster = make_roster(
        shelter_root, agency="shelter",
        people=[RosterPerson(id=p, roles=("point_person",) if i == 0 else ("backup",))
                for i, p in enumerate(people)],
        devices=[d.certificate for d in devices.values()],
        groups=[EscalationGroup(type=REFERRAL_TYPE, point_person=people[0],
                                backups=tuple(people[1:]))],
        **validity)
    trust = TrustStore()
    trust.pin("hospital", hospital_root.public)
    trust.pin("shelter", shelter_root.public)
    trust.accept_roster("hospital", hospital_roster, NOW)
    trust.accept_roster("shelter", shelter_roster, NOW)
    recipients = tuple(trust.roster("shelter", NOW).recipients(REFERRAL_TYPE, NOW))
    assert len(recipients) == n_devices
    ordered = tuple(devices[c.box_public] for c in recipients)
    return CCR(sender, ordered, recipients, trust)


def seal_body(ccr: CCR, body: bytes, attachments: Sequence[bytes] = ()) -> bytes:
    return seal(body, sender=ccr.sender, recipients=ccr.recipients, destination="shelter",
                referral_type=REFERRAL_TYPE, urgency=Urgency.URGENT, now=NOW,
                lifetime=7 * DAY, attachments=attachments).envelope


def open_on_every_device(ccr: CCR, envelope: bytes) -> None:
    """Open on each recipient device in turn: device k tries k wrapped keys."""
    for device in ccr.devices:
        open_envelope(envelope, device=device, trust=ccr.trust, now=NOW)


# --- hub measurements -----------------------------------------------------------------------


def bench_envelopes(ccr: CCR, profile: Profile) -> tuple[float, float]:
    """(seal_ms, open_ms) for a 4 KB body; open_ms is the mean over the recipient devices."""
    body = os.urandom(BODY_SIZE)
    envelope = seal_body(ccr, body)
    for device in ccr.devices:  # a benchmark of something broken is worthless
        opened = open_envelope(envelope, device=device, trust=ccr.trust, now=NOW)
        assert opened.content == body and opened.sender == ccr.sender.certificate
    seal_s = timed(lambda: seal_body(ccr, body), profile)
    open_s = timed(lambda: open_on_every_device(ccr, envelope), profile) / len(ccr.devices)
    return seal_s * 1e3, open_s * 1e3


def bench_attachment(profile: Profile) -> tuple[float, float]:
    """(seal seconds, open seconds) for one 10 MiB attachment, as seal() and
    Opened.open_attachment do it: sealing includes the blob hash for the manifest, opening
    checks size and hash (hashing beside decrypting for a large blob)."""
    data, key, digest = os.urandom(ATTACHMENT_SIZE), os.urandom(32), os.urandom(32)
    blob, blob_hash = seal_attachment(data, key, digest, 0)
    ref = AttachmentRef(0, len(data), blob_hash)
    assert open_attachment(blob, key, digest, ref) == data
    seal_s = timed(lambda: seal_attachment(data, key, digest, 0), profile)
    open_s = timed(lambda: open_attachment(blob, key, digest, ref), profile)
    return seal_s, open_s


def bench_grants(profile: Profile) -> tuple[float, float]:
    """(grant seconds, floor seconds): one device of the group granting ``GRANTS`` open
    referrals (each its own sealed envelope, from its bytes) to one newly approved device,
    as 'hub device grant --all' and an unlocked browser compute them without the hub's
    round trips; and ``GRANTS`` bare crypto_box_seal calls of a 32-byte key to one public
    key, what wrapping a content key once per referral costs in libsodium alone. The two
    are timed in alternation, so that the machine's other load falls on both alike."""
    ccr = build_ccr(3)
    envelopes = [seal_body(ccr, os.urandom(256)) for _ in range(GRANTS)]
    granter = ccr.devices[0]
    newcomer = _device_like(ccr.recipients[1])
    grant = Granter(granter).grant(envelopes[0], newcomer.certificate, roster_version=1,
                                   now=NOW)
    opened = open_with_grant(envelopes[0], grant, device=newcomer, trust=ccr.trust, now=NOW)
    assert opened.sender == ccr.sender.certificate  # a benchmark of something broken...
    public, key = sodium.crypto_box_keypair()[0], os.urandom(32)

    def grants() -> None:
        g = Granter(granter)
        for envelope in envelopes:
            g.grant(envelope, newcomer.certificate, roster_version=1, now=NOW)

    def floor() -> None:
        for _ in range(GRANTS):
            sodium.crypto_box_seal(key, public)

    grants(), floor()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(max(3, profile.batches)):
        for fn, out in ((grants, times[0]), (floor, times[1])):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def _device_like(listed: DeviceCertificate) -> DeviceIdentity:
    """A second device of a listed person (the trust store checks the granter, which is
    listed; the grantee only needs a certificate of its own)."""
    keys = DeviceKeys.generate()
    root = AgencyRoot.generate()  # the grantee's own certificate is not checked by the grantee
    cert = certify_device(root, keys, agency=listed.agency, person=listed.person,
                          device_id=b"\xee" * 16, issued_at=NOW - DAY, expires_at=NOW + DAY)
    return DeviceIdentity(keys, cert)


# --- raw libsodium floors -------------------------------------------------------------------


def baseline_seal(n_devices: int, profile: Profile) -> float:
    """ms: n x crypto_box_seal of 32 bytes + one Ed25519 sign of 64 bytes + one AEAD
    encrypt of 4 KB."""
    publics = [sodium.crypto_box_keypair()[0] for _ in range(n_devices)]
    signing = SigningKey.generate()
    key, nonce, message = os.urandom(32), os.urandom(24), os.urandom(64)
    body = os.urandom(BODY_SIZE)

    def once() -> None:
        for public in publics:
            sodium.crypto_box_seal(key, public)
        signing.sign(message)
        sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(body, None, nonce, key)

    return timed(once, profile) * 1e3


def baseline_open(n_devices: int, profile: Profile) -> float:
    """ms: one crypto_box_seal_open (a recipient tries the slot its roster predicts first)
    + one Ed25519 verify + one AEAD decrypt of 4 KB, averaged over the n devices."""
    keypairs = [sodium.crypto_box_keypair() for _ in range(n_devices)]
    key, nonce, message = os.urandom(32), os.urandom(24), os.urandom(64)
    wrapped = [sodium.crypto_box_seal(key, public) for public, _ in keypairs]
    signing = SigningKey.generate()
    verify_key, signature = signing.verify_key, signing.sign(message).signature
    ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        os.urandom(BODY_SIZE), None, nonce, key)

    def once() -> None:
        for (public, secret), box in zip(keypairs, wrapped, strict=True):
            sodium.crypto_box_seal_open(box, public, secret)
            verify_key.verify(message, signature)
            sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, None, nonce, key)

    return timed(once, profile) / n_devices * 1e3


def baseline_attachment(profile: Profile) -> tuple[float, float]:
    """(push seconds, pull seconds): 10 MiB through raw secretstream in 64 KiB chunks, no
    hashing; the plaintext and ciphertext are cut into chunks before the clock starts."""
    key = os.urandom(32)
    chunks = [os.urandom(min(CHUNK, ATTACHMENT_SIZE - i)) for i in range(0, ATTACHMENT_SIZE, CHUNK)]

    def push() -> tuple[bytes, list[bytes]]:
        state = sodium.crypto_secretstream_xchacha20poly1305_state()
        header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key)
        pieces = [sodium.crypto_secretstream_xchacha20poly1305_push(state, c, None, _TAG_MESSAGE)
                  for c in chunks[:-1]]
        pieces.append(sodium.crypto_secretstream_xchacha20poly1305_push(
            state, chunks[-1], None, _TAG_FINAL))
        return header, pieces

    header, pieces = push()

    def pull() -> list[bytes]:
        state = sodium.crypto_secretstream_xchacha20poly1305_state()
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, key)
        return [sodium.crypto_secretstream_xchacha20poly1305_pull(state, p, None)[0]
                for p in pieces]

    assert pull() == chunks
    return timed(push, profile), timed(pull, profile)


# --- report ---------------------------------------------------------------------------------


def mib_per_s(seal_s: float, open_s: float) -> float:
    return ATTACHMENT_SIZE / MIB / (seal_s + open_s)


def _envelope_figures(profile: Profile) -> dict[str, float]:
    figures: dict[str, float] = {}
    for n, suffix in ((3, ""), (12, "_12")):
        ccr = build_ccr(n)
        seal_ms, open_ms = bench_envelopes(ccr, profile)
        floor_seal, floor_open = baseline_seal(n, profile), baseline_open(n, profile)
        log(f"{n:2d} devices: seal {seal_ms:.3f} ms (floor {floor_seal:.3f}, "
            f"x{seal_ms / floor_seal:.2f}); open {open_ms:.3f} ms (floor {floor_open:.3f}, "
            f"x{open_ms / floor_open:.2f}), mean over {n} devices")
        figures.update({f"seal_ms{suffix}": seal_ms, f"open_ms{suffix}": open_ms,
                        f"baseline_seal_ms{suffix}": floor_seal,
                        f"baseline_open_ms{suffix}": floor_open})
    return figures


def _attachment_figures(profile: Profile) -> dict[str, float]:
    seal_s, open_s = bench_attachment(profile)
    push_s, pull_s = baseline_attachment(profile)
    size = ATTACHMENT_SIZE / MIB
    hub, floor = mib_per_s(seal_s, open_s), mib_per_s(push_s, pull_s)
    log(f"attachment {size:.0f} MiB: seal {size / seal_s:.0f} MiB/s, open {size / open_s:.0f} "
        f"MiB/s, together {hub:.0f} MiB/s (floor: push {size / push_s:.0f}, pull "
        f"{size / pull_s:.0f}, together {floor:.0f} MiB/s)")
    return {"attachment_mb_s": hub, "baseline_attachment_mb_s": floor}


def _grant_figures(profile: Profile) -> dict[str, float]:
    grant_s, floor_s = bench_grants(profile)
    log(f"{GRANTS} grants to one new device: {grant_s:.3f} s (floor: {GRANTS} bare "
        f"crypto_box_seal {floor_s:.3f} s, x{grant_s / floor_s:.2f})")
    return {"grant_1000_s": grant_s, "baseline_grant_1000_s": floor_s,
            "grant_vs_baseline": grant_s / floor_s}


def run(profile: Profile) -> dict[str, object]:
    figures = _envelope_figures(profile) | _attachment_figures(profile) | \
        _grant_figures(profile)
    met = {"seal_ms": figures["seal_ms"] <= TARGETS["seal_ms"],
           "open_ms": figures["open_ms"] <= TARGETS["open_ms"],
           "attachment_mb_s": figures["attachment_mb_s"] >= TARGETS["attachment_mb_s"],
           "grant_1000_s": figures["grant_1000_s"] <= TARGETS["grant_1000_s"],
           "grant_vs_baseline": figures["grant_vs_baseline"] <= TARGETS["grant_vs_baseline"]}
    for name, ok in met.items():
        log(f"target {name} {TARGETS[name]}: {'met' if ok else 'NOT met'} "
            f"({figures[name]:.3f})")
    return {name: round(value, 3) for name, value in figures.items()} | {
        "targets": TARGETS, "met": met}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crypto", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter batches")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # tests only
    args = parser.parse_args(argv)
    name = "tiny" if args.tiny else "quick" if args.quick else "full"
    profile = PROFILES[name]
    log(f"bench.crypto ({name}): {profile.batches} batches of ~{profile.batch_seconds} s each; "
        f"median of per-batch means")
    start = time.perf_counter()
    result = run(profile) | {"quick": args.quick}
    log(f"done in {time.perf_counter() - start:.1f} s")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

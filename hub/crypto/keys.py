"""Device keys and agency root keys, and their encrypted-at-rest file form.

A device holds an X25519 key for opening envelopes and an Ed25519 key for signing. An
agency's root is an offline Ed25519 key that certifies devices and signs rosters. Writing
the bytes to disk (mode 0600) is the caller's job: this module does no I/O.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Self

import nacl.bindings as sodium
import nacl.pwhash
import nacl.secret
from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.signing import SigningKey, VerifyKey

from .errors import TrustError
from .fields import Random, system_random

KEY_FILE_FORMAT = "ccr-key/1"
_ARGON_OPS = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
_ARGON_MEM = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE


@dataclass(frozen=True, repr=False)
class DeviceKeys:
    box_secret: bytes  # X25519 secret key, 32 bytes
    box_public: bytes
    sign_seed: bytes  # Ed25519 seed, 32 bytes
    sign_public: bytes

    @classmethod
    def generate(cls, rand: Random = system_random) -> DeviceKeys:
        return cls.from_seeds(rand(32), rand(32))

    @classmethod
    def from_seeds(cls, box_seed: bytes, sign_seed: bytes) -> DeviceKeys:
        box_public, box_secret = sodium.crypto_box_seed_keypair(box_seed)
        signing = SigningKey(sign_seed)
        return cls(box_secret, box_public, sign_seed, bytes(signing.verify_key))

    @cached_property
    def _signing_key(self) -> SigningKey:
        return SigningKey(self.sign_seed)

    def sign(self, message: bytes) -> bytes:
        return self._signing_key.sign(message).signature

    def __repr__(self) -> str:  # never print secrets
        return f"DeviceKeys(box_public={self.box_public.hex()[:16]}...)"


@dataclass(frozen=True, repr=False)
class AgencyRoot:
    """An agency's offline root signing key."""

    seed: bytes
    public: bytes

    @classmethod
    def generate(cls, rand: Random = system_random) -> AgencyRoot:
        return cls.from_seed(rand(32))

    @classmethod
    def from_seed(cls, seed: bytes) -> Self:
        return cls(seed, bytes(SigningKey(seed).verify_key))

    @cached_property
    def _signing_key(self) -> SigningKey:
        return SigningKey(self.seed)

    def sign(self, message: bytes) -> bytes:
        return self._signing_key.sign(message).signature

    def __repr__(self) -> str:
        return f"AgencyRoot(public={self.public.hex()[:16]}...)"


def verify_signature(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        VerifyKey(public).verify(message, signature)
    except (NaclCryptoError, ValueError, TypeError):
        return False
    return True


def is_usable_box_key(public: bytes) -> bool:
    """False for a wrong-size or low-order X25519 public key (it would give a shared secret
    an attacker can predict). libsodium refuses the all-zero result of such a key."""
    if len(public) != 32:
        return False
    try:
        sodium.crypto_scalarmult(b"\x01" * 32, public)
    except Exception:  # nacl raises RuntimeError for the all-zero output
        return False
    return True


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def export_secret(kind: str, secrets: dict[str, bytes], passphrase: str | None,
                  rand: Random = system_random) -> bytes:
    """Serialise secret key material; with a passphrase, encrypt it (argon2id + secretbox)."""
    plain = json.dumps({k: _b64(v) for k, v in secrets.items()}, sort_keys=True).encode()
    doc: dict[str, object] = {"format": KEY_FILE_FORMAT, "kind": kind}
    if passphrase is None:
        doc.update(kdf="none", secrets=plain.decode())
    else:
        salt = rand(nacl.pwhash.argon2id.SALTBYTES)
        key = nacl.pwhash.argon2id.kdf(32, passphrase.encode(), salt, opslimit=_ARGON_OPS,
                                       memlimit=_ARGON_MEM)
        box = nacl.secret.SecretBox(key).encrypt(plain, rand(24))
        doc.update(kdf="argon2id", opslimit=_ARGON_OPS, memlimit=_ARGON_MEM, salt=_b64(salt),
                   box=_b64(bytes(box)))
    return json.dumps(doc, indent=2, sort_keys=True).encode() + b"\n"


def import_secret(data: bytes, kind: str, passphrase: str | None) -> dict[str, bytes]:
    try:
        doc = json.loads(data)
        if doc.get("format") != KEY_FILE_FORMAT or doc.get("kind") != kind:
            raise TrustError("wrong-key-file", f"not a {kind} key file")
        if doc["kdf"] == "none":
            plain = doc["secrets"].encode()
        elif passphrase is None:
            raise TrustError("passphrase-required", "this key file is protected by a passphrase")
        else:
            key = nacl.pwhash.argon2id.kdf(32, passphrase.encode(), base64.b64decode(doc["salt"]),
                                           opslimit=int(doc["opslimit"]),
                                           memlimit=int(doc["memlimit"]))
            plain = nacl.secret.SecretBox(key).decrypt(base64.b64decode(doc["box"]))
        return {k: base64.b64decode(v) for k, v in json.loads(plain).items()}
    except TrustError:
        raise
    except NaclCryptoError:
        raise TrustError("bad-passphrase", "wrong passphrase for this key file") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise TrustError("bad-key-file", "the key file is damaged or not a key file") from None


# The X25519 secret key's name in a device key file. Files written before it was renamed
# call it "box_seed_secret": the same raw secret key (not a seed), still read.
BOX_SECRET, LEGACY_BOX_SECRET = "box_secret", "box_seed_secret"


def export_device_keys(keys: DeviceKeys, passphrase: str | None = None,
                       rand: Random = system_random) -> bytes:
    secrets = {BOX_SECRET: keys.box_secret, "sign_seed": keys.sign_seed}
    return export_secret("device", secrets, passphrase, rand)


def import_device_keys(data: bytes, passphrase: str | None = None) -> DeviceKeys:
    s = import_secret(data, "device", passphrase)
    box_secret = s.get(BOX_SECRET, s.get(LEGACY_BOX_SECRET, b""))
    sign_seed = s.get("sign_seed", b"")
    if len(box_secret) != 32 or len(sign_seed) != 32:
        raise TrustError("bad-key-file", "the key file is damaged or not a key file")
    box_public = sodium.crypto_scalarmult_base(box_secret)
    return DeviceKeys(box_secret, box_public, sign_seed, bytes(SigningKey(sign_seed).verify_key))


def export_agency_root(root: AgencyRoot, passphrase: str | None = None,
                       rand: Random = system_random) -> bytes:
    return export_secret("agency-root", {"seed": root.seed}, passphrase, rand)


def import_agency_root(data: bytes, passphrase: str | None = None) -> AgencyRoot:
    return AgencyRoot.from_seed(import_secret(data, "agency-root", passphrase)["seed"])

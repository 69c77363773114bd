"""The audit log's cryptography: canonical JSON, the hash that links each sealed entry to
the one before it, and the hub's Ed25519 signature over a checkpoint (how many entries the
log had, and the hash of the last). Pure functions; the hub's key file is the caller's."""

from __future__ import annotations

import json

from .fields import blake2b
from .keys import AgencyRoot, verify_signature

GENESIS = bytes(32)  # what the first entry names as the one before it
_CHECKPOINT = b"ccr-hub audit checkpoint v1\0"


def canonical(doc: object) -> bytes:
    """One byte string per JSON value: keys sorted, no spaces, UTF-8."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: bytes) -> bytes:
    """The hash of a sealed entry's canonical JSON (which holds the previous hash)."""
    return blake2b(entry, person=b"ccrhub-audit-v1")


def checkpoint_message(count: int, head: bytes, at: int) -> bytes:
    return _CHECKPOINT + canonical({"count": count, "head": head.hex(), "at": at})


class HubKey(AgencyRoot):
    """The hub's own Ed25519 signing key (an offline-root-like key pair kept by the hub):
    it signs audit checkpoints, nothing else."""

    def sign_checkpoint(self, count: int, head: bytes, at: int) -> bytes:
        return self.sign(checkpoint_message(count, head, at))

    def __repr__(self) -> str:
        return f"HubKey(public={self.public.hex()[:16]}...)"


def verify_checkpoint(public: bytes, count: int, head: bytes, at: int,
                      signature: bytes) -> bool:
    return verify_signature(public, checkpoint_message(count, head, at), signature)

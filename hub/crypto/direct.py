"""libsodium called straight through PyNaCl's own cffi binding, for the loop that runs once
per open referral when a device hands its referrals to a new device (grants.py): the same C
functions as nacl.bindings, into buffers made once, without the wrapper's per-call checks
and allocations (which cost as much as the X25519 and Ed25519 work itself). The callers
check lengths; a Scratch is one thread's."""

from __future__ import annotations

from nacl._sodium import ffi, lib

KEY, BOXED, SIGNATURE = 32, 48, 64


class Scratch:
    def __init__(self, message_len: int):
        self.message_len = message_len
        self.key = ffi.new(f"unsigned char[{KEY}]")
        self.boxed = ffi.new(f"unsigned char[{BOXED}]")
        self.signed = ffi.new(f"unsigned char[{SIGNATURE + message_len}]")

    def seal_open(self, wrapped: bytes, public: bytes, secret: bytes) -> bytes | None:
        """crypto_box_seal_open of an 80-byte wrapped key; None when it does not open."""
        if len(wrapped) != KEY + BOXED or lib.crypto_box_seal_open(
                self.key, wrapped, len(wrapped), public, secret) != 0:
            return None
        return bytes(ffi.buffer(self.key, KEY))

    def box_afternm(self, key: bytes, nonce: bytes, shared: bytes) -> bytes:
        """crypto_box_easy_afternm of a 32-byte key: MAC and ciphertext, 48 bytes."""
        if lib.crypto_box_easy_afternm(self.boxed, key, KEY, nonce, shared) != 0:
            raise RuntimeError("crypto_box_easy_afternm failed")  # pragma: no cover
        return bytes(ffi.buffer(self.boxed, BOXED))

    def sign(self, message: bytes, secret: bytes) -> bytes:
        """The Ed25519 signature of a message of this Scratch's length (crypto_sign's first
        64 bytes: the detached signature)."""
        if len(message) != self.message_len or lib.crypto_sign(
                self.signed, ffi.NULL, message, len(message), secret) != 0:
            raise RuntimeError("crypto_sign failed")  # pragma: no cover
        return bytes(ffi.buffer(self.signed, SIGNATURE))

"""Attachments: separate blobs, encrypted with secretstream in 64 KiB chunks under a key
derived from the envelope's content key, each chunk bound to the header and the
attachment's index. The signed manifest inside the envelope lists (index, size, hash)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator
from queue import SimpleQueue
from typing import TYPE_CHECKING

import nacl.bindings as sodium
from nacl._sodium import ffi, lib  # PyNaCl's own libsodium binding: no copy per chunk

from .errors import CryptoError, EnvelopeError
from .fields import U16, blake2b

if TYPE_CHECKING:
    from .envelope import AttachmentRef

CHUNK = 64 * 1024
_ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_HEADERBYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
MAX_ATTACHMENT = 256 * 1024 * 1024
PARALLEL = 1024 * 1024  # from this size a second thread hashes while the first encrypts


def attachment_key(content_key: bytes, index: int) -> bytes:
    return blake2b(b"", key=content_key, salt=U16.pack(index), person=b"ccrhub-attkey-v1")


def _chunk_ad(header_digest: bytes, index: int) -> bytes:
    return header_digest + U16.pack(index)


def blob_length(size: int) -> int:
    chunks = max(1, -(-size // CHUNK))
    return _HEADERBYTES + size + chunks * _ABYTES


def blob_hash(blob: bytes | bytearray) -> bytes:
    """SHA-256 of the whole blob: collision resistance is what stops a co-recipient, who
    knows the attachment key, from swapping in another blob. SHA-256 rather than BLAKE2b
    because OpenSSL's runs on the CPU's SHA extensions, twice as fast here."""
    return hashlib.sha256(blob).digest()


def seal_chunks(chunks: Iterable[bytes], content_key: bytes, header_digest: bytes,
                index: int) -> Iterator[bytes]:
    """Encrypt a stream of plaintext pieces; yields the blob in pieces (header first)."""
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    yield sodium.crypto_secretstream_xchacha20poly1305_init_push(
        state, attachment_key(content_key, index))
    ad = _chunk_ad(header_digest, index)
    pending = bytearray()
    for piece in chunks:
        pending += piece
        while len(pending) > CHUNK:  # keep one chunk back: the last one is tagged final
            yield sodium.crypto_secretstream_xchacha20poly1305_push(
                state, bytes(pending[:CHUNK]), ad, _TAG_MESSAGE)
            del pending[:CHUNK]
    yield sodium.crypto_secretstream_xchacha20poly1305_push(state, bytes(pending), ad, _TAG_FINAL)


def seal_attachment(data: bytes, content_key: bytes, header_digest: bytes,
                    index: int) -> tuple[bytearray, bytes]:
    """The whole blob at once (``seal_chunks`` streams) and its hash for the manifest.
    Chunks are sealed straight into the blob's buffer, handed over without a copy (a copy
    of a big blob costs as much as sealing it), and a large blob is hashed by a second
    thread as its chunks are written (libsodium and hashlib both release the GIL)."""
    size = len(data)
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    out = bytearray(blob_length(size))
    out[:_HEADERBYTES] = sodium.crypto_secretstream_xchacha20poly1305_init_push(
        state, attachment_key(content_key, index))
    ad = _chunk_ad(header_digest, index)
    src, dst = ffi.from_buffer("unsigned char[]", data), ffi.from_buffer("unsigned char[]", out)
    hasher = _Hasher(out) if size >= PARALLEL else None
    last = max(0, (size - 1) // CHUNK)
    read, written = 0, _HEADERBYTES
    for n in range(last + 1):
        take = min(CHUNK, size - read)
        rc = lib.crypto_secretstream_xchacha20poly1305_push(
            state.statebuf, dst + written, ffi.NULL, src + read, take, ad, len(ad),
            _TAG_FINAL if n == last else _TAG_MESSAGE)
        if rc != 0:
            raise CryptoError("libsodium refused to seal an attachment chunk")
        read, written = read + take, written + take + _ABYTES
        if hasher is not None:
            hasher.upto(written)
    return out, hasher.digest() if hasher is not None else blob_hash(out)


class _Hasher:
    """SHA-256 of a buffer on a second thread, fed the positions written so far."""

    def __init__(self, buffer: bytes | bytearray):
        self._view = memoryview(buffer)
        self._ends: SimpleQueue[int | None] = SimpleQueue()
        self._hash = hashlib.sha256()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        done = 0
        while (end := self._ends.get()) is not None:
            self._hash.update(self._view[done:end])
            done = end

    def upto(self, end: int) -> None:
        self._ends.put(end)

    def digest(self) -> bytes:
        self._ends.put(None)
        self._thread.join()
        self._view.release()
        return self._hash.digest()


def open_attachment(blob: bytes | bytearray, content_key: bytes, header_digest: bytes,
                    ref: AttachmentRef) -> bytearray:
    """Check the blob against its manifest entry and decrypt it. One EnvelopeError on any
    failure: wrong size, wrong hash, a chunk out of order, a missing final chunk. A large
    blob is hashed on a second thread while it is decrypted; nothing is returned unless
    both succeed, and a wrong hash is reported as such whatever decryption found."""
    if ref.size > MAX_ATTACHMENT or len(blob) != blob_length(ref.size):
        raise EnvelopeError("attachment-size")
    if ref.size < PARALLEL:
        if blob_hash(blob) != ref.blob_hash:
            raise EnvelopeError("attachment-hash")
        return _pull_into(blob, content_key, header_digest, ref)
    hasher = _Hasher(blob)
    hasher.upto(len(blob))
    try:
        plain, failure = _pull_into(blob, content_key, header_digest, ref), None
    except EnvelopeError as e:
        plain, failure = bytearray(), e
    if hasher.digest() != ref.blob_hash:
        raise EnvelopeError("attachment-hash")
    if failure is not None:
        raise failure
    return plain


def _pull_into(blob: bytes | bytearray, content_key: bytes, header_digest: bytes,
               ref: AttachmentRef) -> bytearray:
    """Decrypt chunk by chunk straight into one buffer (the size is known and checked),
    returned without a copy."""
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    ad = _chunk_ad(header_digest, ref.index)
    try:
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(
            state, bytes(blob[:_HEADERBYTES]), attachment_key(content_key, ref.index))
    except Exception:
        raise EnvelopeError("attachment-ciphertext") from None
    out = bytearray(ref.size)
    src, dst = ffi.from_buffer("unsigned char[]", blob), ffi.from_buffer("unsigned char[]", out)
    tag = ffi.new("unsigned char *")
    read, written, final = _HEADERBYTES, 0, False
    while read < len(blob):
        if final:
            raise EnvelopeError("attachment-truncated")  # chunks after the final one
        clen = min(CHUNK + _ABYTES, len(blob) - read)
        rc = lib.crypto_secretstream_xchacha20poly1305_pull(
            state.statebuf, dst + written, ffi.NULL, tag, src + read, clen, ad, len(ad))
        if rc != 0:
            raise EnvelopeError("attachment-ciphertext")
        read, written, final = read + clen, written + clen - _ABYTES, tag[0] == _TAG_FINAL
    if not final:
        raise EnvelopeError("attachment-truncated")
    return out

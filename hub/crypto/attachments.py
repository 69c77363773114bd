"""Attachments: separate blobs, encrypted with secretstream in 64 KiB chunks under a key
derived from the envelope's content key, each chunk bound to the header and the
attachment's index. The signed manifest inside the envelope lists (index, size, hash)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

import nacl.bindings as sodium

from .errors import EnvelopeError
from .fields import U16, blake2b

CHUNK = 64 * 1024
_ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_HEADERBYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
MAX_ATTACHMENT = 256 * 1024 * 1024


def attachment_key(content_key: bytes, index: int) -> bytes:
    return blake2b(b"", key=content_key, salt=U16.pack(index), person=b"ccrhub-attkey-v1")


def _chunk_ad(header_digest: bytes, index: int) -> bytes:
    return header_digest + U16.pack(index)


def blob_length(size: int) -> int:
    chunks = max(1, -(-size // CHUNK))
    return _HEADERBYTES + size + chunks * _ABYTES


def blob_hash(blob: bytes) -> bytes:
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


def seal_attachment(data: bytes, content_key: bytes, header_digest: bytes, index: int) -> bytes:
    """The whole blob at once (``seal_chunks`` streams): one copy per chunk, no buffering."""
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    out = [sodium.crypto_secretstream_xchacha20poly1305_init_push(
        state, attachment_key(content_key, index))]
    ad = _chunk_ad(header_digest, index)
    last = max(0, (len(data) - 1) // CHUNK)
    for n in range(last + 1):
        tag = _TAG_FINAL if n == last else _TAG_MESSAGE
        out.append(sodium.crypto_secretstream_xchacha20poly1305_push(
            state, data[n * CHUNK : (n + 1) * CHUNK], ad, tag))
    return b"".join(out)


def open_attachment(blob: bytes, content_key: bytes, header_digest: bytes, ref) -> bytes:
    """Check the blob against its manifest entry and decrypt it. One EnvelopeError on any
    failure: wrong size, wrong hash, a chunk out of order, a missing final chunk."""
    if ref.size > MAX_ATTACHMENT or len(blob) != blob_length(ref.size):
        raise EnvelopeError("attachment-size")
    if blob_hash(blob) != ref.blob_hash:
        raise EnvelopeError("attachment-hash")
    return b"".join(_pull_chunks(blob, content_key, header_digest, ref.index))


def _pull_chunks(blob: bytes, content_key: bytes, header_digest: bytes,
                 index: int) -> Iterator[bytes]:
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    ad = _chunk_ad(header_digest, index)
    view = memoryview(blob)
    try:
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(
            state, bytes(view[:_HEADERBYTES]), attachment_key(content_key, index))
        pos, tag = _HEADERBYTES, None
        while pos < len(view):
            piece = bytes(view[pos : pos + CHUNK + _ABYTES])
            pos += len(piece)
            message, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, piece, ad)
            if tag == _TAG_FINAL and pos != len(view):
                raise EnvelopeError("attachment-truncated")
            yield message
    except EnvelopeError:
        raise
    except Exception:
        raise EnvelopeError("attachment-ciphertext") from None
    if tag != _TAG_FINAL:
        raise EnvelopeError("attachment-truncated")

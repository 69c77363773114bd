"""Envelope bytes by hand, following docs/envelope.md with PyNaCl's libsodium bindings only
(no hub.crypto code): a second writer and reader for the interop tests, and the knife the
rejection tests use to cut fields and to build what ``seal`` refuses to make."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import nacl.bindings as sodium
from nacl.signing import SigningKey, VerifyKey

# docs/envelope.md, "Header": field -> (offset, size)
LAYOUT = {
    "magic": (0, 4), "version": (4, 1), "kind": (5, 1), "envelope_id": (6, 16),
    "thread_id": (22, 16), "destination": (38, 32), "referral_type": (70, 32),
    "urgency": (102, 1), "created_at": (103, 8), "expires_at": (111, 8),
    "commitment": (119, 32), "nonce": (151, 24), "count": (175, 1),
}
FIXED, WRAPPED, CERT, PAD, CHUNK = 176, 80, 229, 512, 65_536
STREAM_HEADER, STREAM_TAG = 24, 17
MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


def H(data: bytes, *, person: bytes, key: bytes = b"", salt: bytes = b"",
      size: int = 32) -> bytes:
    """The doc's H: crypto_generichash_blake2b_salt_personal."""
    return sodium.crypto_generichash_blake2b_salt_personal(data, size, key, salt, person)


def u(value: int, size: int) -> bytes:
    return value.to_bytes(size, "big")


def slug(text: str) -> bytes:
    return text.encode("ascii").ljust(32, b"\0")


# -- surgery on existing bytes ---------------------------------------------------------------

def get(envelope: bytes, name: str) -> bytes:
    offset, size = LAYOUT[name]
    return envelope[offset : offset + size]


def put(envelope: bytes, name: str, value: bytes) -> bytes:
    offset, size = LAYOUT[name]
    assert len(value) == size, (name, len(value))
    return envelope[:offset] + value + envelope[offset + size :]


def flip(data: bytes, index: int, bit: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ (1 << bit)]) + data[index + 1 :]


def split(envelope: bytes) -> tuple[bytes, bytes]:
    end = FIXED + WRAPPED * envelope[175]
    return envelope[:end], envelope[end:]


def wrapped_keys(envelope: bytes) -> list[bytes]:
    header, _ = split(envelope)
    return [header[i : i + WRAPPED] for i in range(FIXED, len(header), WRAPPED)]


def with_wrapped_keys(envelope: bytes, keys: list[bytes]) -> bytes:
    """The same envelope with another list of wrapped keys (and count), body unchanged."""
    header, body = split(envelope)
    return header[: FIXED - 1] + bytes([len(keys)]) + b"".join(keys) + body


# -- reading, as a recipient following the doc would ------------------------------------------

def commitment(content_key: bytes, envelope_id: bytes) -> bytes:
    return H(envelope_id, key=content_key, person=b"ccrhub-cmt-v1")


def unwrap(envelope: bytes, box_public: bytes, box_secret: bytes) -> bytes:
    for wrapped in wrapped_keys(envelope):
        try:
            return sodium.crypto_box_seal_open(wrapped, box_public, box_secret)
        except Exception:
            continue
    raise AssertionError("not a recipient")


def decrypt(envelope: bytes, content_key: bytes) -> bytes:
    header, body = split(envelope)
    padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        body, header, get(envelope, "nonce"), content_key)
    return sodium.sodium_unpad(padded, PAD)


def encrypt(header: bytes, inner: bytes, content_key: bytes) -> bytes:
    """``header ‖ AEAD(Pad(inner), ad = header)``: what a holder of the content key can write."""
    body = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        sodium.sodium_pad(inner, PAD), header, header[151:175], content_key)
    return header + body


@dataclass(frozen=True)
class Inner:
    cert: bytes
    recipients: tuple[bytes, ...]
    manifest: tuple[tuple[int, int, bytes], ...]
    content: bytes
    signature: bytes

    def unsigned(self) -> bytes:
        return build_inner(self.cert, self.recipients, self.manifest, self.content)


def parse_inner(inner: bytes, count: int) -> Inner:
    cert, pos = inner[:CERT], CERT
    recipients = tuple(inner[pos + 32 * i : pos + 32 * (i + 1)] for i in range(count))
    pos += 32 * count
    manifest = []
    for _ in range(inner[pos]):
        entry = inner[pos + 1 : pos + 42]
        manifest.append((entry[0], int.from_bytes(entry[1:9], "big"), entry[9:]))
        pos += 41
    length = int.from_bytes(inner[pos + 1 : pos + 5], "big")
    content = inner[pos + 5 : pos + 5 + length]
    signature = inner[pos + 5 + length :]
    assert len(signature) == 64
    return Inner(cert, recipients, tuple(manifest), content, signature)


def build_inner(cert: bytes, recipients: tuple[bytes, ...],
                manifest: tuple[tuple[int, int, bytes], ...], content: bytes) -> bytes:
    entries = b"".join(bytes([i]) + u(size, 8) + digest for i, size, digest in manifest)
    return b"".join([cert, *recipients, bytes([len(manifest)]), entries,
                     u(len(content), 4), content])


def signed_message(header: bytes, unsigned: bytes) -> bytes:
    return (b"ccrhub envelope v1\0" + H(header, person=b"ccrhub-hdr-v1")
            + H(unsigned, person=b"ccrhub-inner-v1"))


def read(envelope: bytes, box_public: bytes, box_secret: bytes) -> Inner:
    """Open an envelope as the doc says (no trust or time checks): unwrap, check the key
    commitment, decrypt, parse, verify the sender's signature."""
    content_key = unwrap(envelope, box_public, box_secret)
    assert commitment(content_key, get(envelope, "envelope_id")) == get(envelope, "commitment")
    inner = parse_inner(decrypt(envelope, content_key), envelope[175])
    sign_public = inner.cert[117:149]
    VerifyKey(sign_public).verify(signed_message(split(envelope)[0], inner.unsigned()),
                                  inner.signature)
    return inner


def certificate(root_seed: bytes, *, agency: str, person: str, device_id: bytes,
                box_public: bytes, sign_public: bytes, issued_at: int, expires_at: int) -> bytes:
    """A device certificate signed by hand, so it may hold keys ``certify_device`` refuses."""
    signed = b"".join([b"CCRD", b"\x01", slug(agency), slug(person), device_id, box_public,
                       sign_public, u(issued_at, 8), u(expires_at, 8)])
    sig = SigningKey(root_seed).sign(b"ccrhub device certificate v1\0" + signed).signature
    return signed + sig


# -- writing: everything seal decides, each open to tampering -------------------------------

def attachment_key(content_key: bytes, index: int) -> bytes:
    return H(b"", key=content_key, salt=u(index, 2), person=b"ccrhub-attkey-v1")


def wrap(content_key: bytes, box_public: bytes, ephemeral_seed: bytes | None = None) -> bytes:
    """SealBox(content_key, pk): libsodium's own, or spelt out from an ephemeral seed as the
    doc says: ``epk ‖ crypto_box_easy(k, H(epk ‖ pk; n=24), pk, esk)``."""
    if ephemeral_seed is None:
        return sodium.crypto_box_seal(content_key, box_public)
    epk, esk = sodium.crypto_box_seed_keypair(ephemeral_seed)
    nonce = H(epk + box_public, person=b"", size=24)
    return epk + sodium.crypto_box(content_key, nonce, box_public, esk)


def final_last(n: int, count: int) -> int:
    return FINAL if n == count - 1 else MESSAGE


def seal_blob(data: bytes, key: bytes, ad: bytes,
              tag: Callable[[int, int], int] = final_last) -> list[bytes]:
    """[stream header, chunk 0, chunk 1, ...]; ``tag(n, count)`` picks each chunk's tag."""
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    pieces = [sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key)]
    chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]
    pieces += [sodium.crypto_secretstream_xchacha20poly1305_push(state, c, ad, tag(n, len(chunks)))
               for n, c in enumerate(chunks)]
    return pieces


def keep(pieces: list[bytes]) -> list[bytes]:
    return pieces


def pieces(blob: bytes) -> list[bytes]:
    """A blob cut back into [stream header, chunk 0, chunk 1, ...]."""
    step = CHUNK + STREAM_TAG
    starts = range(STREAM_HEADER, len(blob), step)
    return [blob[:STREAM_HEADER]] + [blob[i : i + step] for i in starts]


@dataclass(frozen=True)
class Draft:
    """An envelope to forge. The defaults make an honest one; the rejection tests change
    one thing at a time with ``dataclasses.replace``."""

    cert: bytes  # the sender certificate written in the inner content
    sign_seed: bytes  # the Ed25519 seed that signs
    wrap_to: tuple[bytes, ...]  # X25519 keys that get a wrapped key, in slot order
    listed: tuple[bytes, ...] | None = None  # the signed recipient list (default: wrap_to)
    content: bytes = b'{"note": "forged by hand"}'
    destination: str = "harbor-house"
    referral_type: str = "discharge-handoff"
    kind: int = 1
    urgency: int = 2
    created_at: int = 1_800_000_000
    lifetime: int = 7 * 86_400
    envelope_id: bytes = bytes(range(16))
    thread_id: bytes | None = None
    content_key: bytes = b"\x42" * 32
    slot_keys: dict[int, bytes] = field(default_factory=dict)  # a slot wrapping another key
    ephemerals: tuple[bytes, ...] = ()  # seeds for the sealed boxes (default: libsodium's)
    commitment: bytes | None = None
    nonce: bytes = b"\x24" * 24
    attachments: tuple[bytes, ...] = ()
    tag: Callable[[int, int], int] = final_last  # chunk tags of every attachment
    edit: Callable[[list[bytes]], list[bytes]] = keep  # [stream header, chunks...] of each blob

    def header(self) -> bytes:
        wrapped = [wrap(self.slot_keys.get(i, self.content_key), pk,
                        self.ephemerals[i] if self.ephemerals else None)
                   for i, pk in enumerate(self.wrap_to)]
        key_commitment = self.commitment or commitment(self.content_key, self.envelope_id)
        return b"".join([
            b"CCRE", bytes([1, self.kind]), self.envelope_id,
            self.thread_id or self.envelope_id, slug(self.destination),
            slug(self.referral_type), bytes([self.urgency]), u(self.created_at, 8),
            u(self.created_at + self.lifetime, 8), key_commitment, self.nonce,
            bytes([len(wrapped)]), *wrapped,
        ])

    def blob(self, index: int, data: bytes, header_hash: bytes) -> list[bytes]:
        ad = header_hash + u(index, 2)
        return self.edit(seal_blob(data, attachment_key(self.content_key, index), ad, self.tag))


def forge(d: Draft) -> tuple[bytes, tuple[bytes, ...]]:
    """The envelope and its attachment blobs; the manifest always matches the blobs."""
    header = d.header()
    digest = H(header, person=b"ccrhub-hdr-v1")
    manifest, blobs = [], []
    for i, data in enumerate(d.attachments):
        parts = d.blob(i, data, digest)
        blob = b"".join(parts)
        size = sum(len(p) - STREAM_TAG for p in parts[1:])
        manifest.append((i, size, hashlib.sha256(blob).digest()))
        blobs.append(blob)
    unsigned = build_inner(d.cert, d.listed or d.wrap_to, tuple(manifest), d.content)
    signature = SigningKey(d.sign_seed).sign(signed_message(header, unsigned)).signature
    return encrypt(header, unsigned + signature, d.content_key), tuple(blobs)

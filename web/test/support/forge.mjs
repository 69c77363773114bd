// Envelope bytes by hand, following docs/envelope.md with libsodium only (as
// tests/crypto/forge.py): the knife the rejection tests use to cut fields and to build what
// `seal` refuses to make.

import { H, ready } from '../../src/crypto/index.js';
import { sodium } from '../../src/crypto/sodium.js';

await ready();

export const LAYOUT = {
  magic: [0, 4], version: [4, 1], kind: [5, 1], envelope_id: [6, 16], thread_id: [22, 16],
  destination: [38, 32], referral_type: [70, 32], urgency: [102, 1], created_at: [103, 8],
  expires_at: [111, 8], commitment: [119, 32], nonce: [151, 24], count: [175, 1],
};
export const [FIXED, WRAPPED, CERT, PAD, CHUNK, STREAM_HEADER, STREAM_TAG] =
  [176, 80, 229, 512, 65536, 24, 17];
export const MESSAGE = 0;
export const FINAL = 3;

export const cat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
export const text = (s) => new TextEncoder().encode(s);

export function u(value, size) {
  const out = new Uint8Array(size);
  let v = BigInt(value);
  for (let i = size - 1; i >= 0; i -= 1) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

export function slug(s) {
  const out = new Uint8Array(32);
  out.set(text(s).subarray(0, 32));
  return out;
}

export const get = (e, name) => e.slice(LAYOUT[name][0], LAYOUT[name][0] + LAYOUT[name][1]);

export function put(e, name, value) {
  const [offset, size] = LAYOUT[name];
  if (value.length !== size) throw new Error(`${name}: ${value.length} bytes`);
  const out = e.slice();
  out.set(value, offset);
  return out;
}

export function flip(data, index, bit = 0) {
  const out = data.slice();
  out[index] ^= 1 << bit;
  return out;
}

export function split(e) {
  const end = FIXED + WRAPPED * e[175];
  return [e.slice(0, end), e.slice(end)];
}

export function wrappedKeys(e) {
  const [header] = split(e);
  const keys = [];
  for (let i = FIXED; i < header.length; i += WRAPPED) keys.push(header.slice(i, i + WRAPPED));
  return keys;
}

export function withWrappedKeys(e, keys) {
  const [header, body] = split(e);
  return cat(header.subarray(0, FIXED - 1), Uint8Array.of(keys.length), ...keys, body);
}

export const commitment = (k, id) => H(id, { key: k, person: 'ccrhub-cmt-v1' });

export function unwrap(e, pk, sk) {
  for (const w of wrappedKeys(e)) {
    try { return sodium.crypto_box_seal_open(w, pk, sk); } catch { /* next */ }
  }
  throw new Error('not a recipient');
}

export function decrypt(e, k) {
  const [header, body] = split(e);
  return sodium.unpad(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, body, header,
    get(e, 'nonce'), k), PAD);
}

export function encrypt(header, inner, k) {
  return cat(header, sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(sodium.pad(inner, PAD),
    header, null, header.subarray(151, 175), k));
}

export function parseInner(inner, count) {
  let pos = CERT;
  const cert = inner.slice(0, CERT);
  const recipients = [];
  for (let i = 0; i < count; i += 1, pos += 32) recipients.push(inner.slice(pos, pos + 32));
  const manifest = [];
  const m = inner[pos];
  for (let i = 0; i < m; i += 1, pos += 41) {
    const e = inner.slice(pos + 1, pos + 42);
    manifest.push([e[0], Number(new DataView(e.buffer).getBigUint64(1)), e.slice(9)]);
  }
  const length = new DataView(inner.buffer, inner.byteOffset).getUint32(pos + 1);
  const content = inner.slice(pos + 5, pos + 5 + length);
  return { cert, recipients, manifest, content, signature: inner.slice(pos + 5 + length) };
}

export function buildInner(cert, recipients, manifest, content) {
  return cat(cert, ...recipients, Uint8Array.of(manifest.length),
    ...manifest.map(([i, size, digest]) => cat(Uint8Array.of(i), u(size, 8), digest)),
    u(content.length, 4), content);
}

export const signedMessage = (header, unsigned) => cat(text('ccrhub envelope v1\0'),
  H(header, { person: 'ccrhub-hdr-v1' }), H(unsigned, { person: 'ccrhub-inner-v1' }));

export function sign(seed, message) {
  return sodium.crypto_sign_detached(message, sodium.crypto_sign_seed_keypair(seed).privateKey);
}

export function certificate(rootSeed, { agency, person, deviceId, boxPublic, signPublic,
  issuedAt, expiresAt }) {
  const signed = cat(text('CCRD'), Uint8Array.of(1), slug(agency), slug(person), deviceId,
    boxPublic, signPublic, u(issuedAt, 8), u(expiresAt, 8));
  return cat(signed, sign(rootSeed, cat(text('ccrhub device certificate v1\0'), signed)));
}

export const attachmentKey = (k, i) => H(new Uint8Array(0), { key: k, salt: u(i, 2),
  person: 'ccrhub-attkey-v1' });

export const wrap = (k, pk) => sodium.crypto_box_seal(k, pk);

export const finalLast = (n, count) => (n === count - 1 ? FINAL : MESSAGE);

export function sealBlob(data, key, ad, tag = finalLast) {
  const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
  const chunks = [];
  for (let i = 0; i < data.length; i += CHUNK) chunks.push(data.subarray(i, i + CHUNK));
  if (!chunks.length) chunks.push(new Uint8Array(0));
  return [header, ...chunks.map((c, n) =>
    sodium.crypto_secretstream_xchacha20poly1305_push(state, c, ad, tag(n, chunks.length)))];
}

export function pieces(blob) {
  const step = CHUNK + STREAM_TAG;
  const out = [blob.slice(0, STREAM_HEADER)];
  for (let i = STREAM_HEADER; i < blob.length; i += step) out.push(blob.slice(i, i + step));
  return out;
}

/** An envelope to forge: the defaults make an honest one; tests change one thing at a time. */
export function draftOf(world) {
  return {
    cert: world.sender.certificate.raw, signSeed: world.sender.keys.signSeed,
    wrapTo: [world.point.keys.boxPublic, world.backup.keys.boxPublic], listed: null,
    content: text('{"note": "forged by hand"}'), destination: 'harbor-house',
    referralType: 'discharge-handoff', kind: 1, urgency: 2, createdAt: 1_800_000_000,
    lifetime: 7 * 86400, envelopeId: Uint8Array.from({ length: 16 }, (_, i) => i),
    threadId: null, contentKey: new Uint8Array(32).fill(0x42), slotKeys: {}, commitment: null,
    nonce: new Uint8Array(24).fill(0x24), attachments: [], tag: finalLast, edit: (p) => p,
  };
}

function draftHeader(d) {
  const wrapped = d.wrapTo.map((pk, i) => wrap(d.slotKeys[i] ?? d.contentKey, pk));
  return cat(text('CCRE'), Uint8Array.of(1, d.kind), d.envelopeId, d.threadId ?? d.envelopeId,
    slug(d.destination), slug(d.referralType), Uint8Array.of(d.urgency), u(d.createdAt, 8),
    u(d.createdAt + d.lifetime, 8), d.commitment ?? commitment(d.contentKey, d.envelopeId),
    d.nonce, Uint8Array.of(wrapped.length), ...wrapped);
}

/** [envelope, blobs]; the manifest always matches the blobs. */
export function forge(d) {
  const header = draftHeader(d);
  const digest = H(header, { person: 'ccrhub-hdr-v1' });
  const manifest = [];
  const blobs = [];
  d.attachments.forEach((data, i) => {
    const parts = d.edit(sealBlob(data, attachmentKey(d.contentKey, i), cat(digest, u(i, 2)),
      d.tag));
    const blob = cat(...parts);
    const size = parts.slice(1).reduce((n, p) => n + p.length - STREAM_TAG, 0);
    manifest.push([i, size, sodium.crypto_hash_sha256(blob)]);
    blobs.push(blob);
  });
  const unsigned = buildInner(d.cert, d.listed ?? d.wrapTo, manifest, d.content);
  const signature = sign(d.signSeed, signedMessage(header, unsigned));
  return [encrypt(header, cat(unsigned, signature), d.contentKey), blobs];
}

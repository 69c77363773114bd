// The outer header: the only part of an envelope the hub may read (mirrors
// hub/crypto/header.py). Parsing is strict and checks every limit before any public-key work.

import { EnvelopeError } from './errors.js';
import { Reader, SLUG_LEN, bytesEqual, concat, decodeSlug, encodeSlug, u64, u8, utf8 } from './fields.js';
import { H } from './sodium.js';

export const MAGIC = utf8('CCRE');
export const VERSION = 1;
export const WRAPPED_KEY_LEN = 80; // a sealed box of a 32-byte key: ephemeral key, MAC, key
export const MAX_RECIPIENTS = 64;
export const FIXED_LEN = 4 + 1 + 1 + 16 + 16 + SLUG_LEN + SLUG_LEN + 1 + 8 + 8 + 32 + 24 + 1;
export const PAD_BLOCK = 512;
export const AEAD_TAG = 16;
export const MAX_CONTENT = 4 * 1024 * 1024;
export const MAX_ATTACHMENTS = 16;
export const MAX_LIFETIME = 400 * 86400;

// REDUCED: a referral's content reduced by its receiving agency (its narrative purged)
export const Kind = Object.freeze({ REFERRAL: 1, REPLY: 2, REDUCED: 3 });
export const Urgency = Object.freeze({ ROUTINE: 1, URGENT: 2, EMERGENT: 3 });
/** The kind byte's high bit: a drill's envelope, whose content is made up (docs/envelope.md). */
export const DRILL = 0x80;

export function headerHash(raw) {
  return H(raw, { person: 'ccrhub-hdr-v1' });
}

export class Header {
  constructor(fields) {
    Object.assign(this, fields); // kind, envelopeId, threadId, destination, referralType,
    this.drill = Boolean(this.raw[5] & DRILL); // sealed for a drill: every page says so
    this.hash = headerHash(this.raw); // urgency, createdAt, expiresAt (BigInt), commitment,
    Object.freeze(this); //              nonce, wrappedKeys, raw
  }
}

export function encodeHeader({ kind, envelopeId, threadId, destination, referralType, urgency,
  createdAt, expiresAt, commitment, nonce, wrappedKeys, drill = false }) {
  return concat(MAGIC, u8(VERSION), u8(kind | (drill ? DRILL : 0)), envelopeId, threadId, encodeSlug(destination),
    encodeSlug(referralType), u8(urgency), u64(createdAt), u64(expiresAt), commitment, nonce,
    u8(wrappedKeys.length), ...wrappedKeys);
}

/** The largest padded inner content an envelope may carry. */
export function maxPaddedInner() {
  const overhead = 229 + 32 * MAX_RECIPIENTS + 1 + 41 * MAX_ATTACHMENTS + 4 + 64 + 1;
  return Math.ceil((MAX_CONTENT + overhead) / PAD_BLOCK) * PAD_BLOCK;
}

const malformed = () => new EnvelopeError('malformed');

function readFixed(r) {
  if (!bytesEqual(r.take(4), MAGIC)) throw malformed();
  if (r.u8() !== VERSION) throw new EnvelopeError('unknown-version');
  const kind = r.u8() & ~DRILL;
  const envelopeId = r.take(16);
  const threadId = r.take(16);
  const destination = decodeSlug(r.take(SLUG_LEN));
  const referralType = decodeSlug(r.take(SLUG_LEN));
  const urgency = r.u8();
  if (!Object.values(Kind).includes(kind) || !Object.values(Urgency).includes(urgency)) {
    throw malformed();
  }
  const createdAt = r.u64();
  const expiresAt = r.u64();
  if (destination === null || referralType === null
      || !(createdAt < expiresAt && expiresAt <= createdAt + BigInt(MAX_LIFETIME))
      || (kind === Kind.REFERRAL && !bytesEqual(threadId, envelopeId))) {
    throw malformed();
  }
  return { kind, envelopeId, threadId, destination, referralType, urgency, createdAt,
    expiresAt, commitment: r.take(32), nonce: r.take(24) };
}

function checkBodyLength(bodyLength) {
  if (bodyLength < PAD_BLOCK + AEAD_TAG || (bodyLength - AEAD_TAG) % PAD_BLOCK) throw malformed();
  if (bodyLength - AEAD_TAG > maxPaddedInner()) throw new EnvelopeError('too-large');
}

/** Parse an envelope into its header and body ciphertext, checking every length and field.
 * Throws EnvelopeError. Cheap: no public-key work. */
export function splitEnvelope(data) {
  if (!(data instanceof Uint8Array)
      || data.length < FIXED_LEN + WRAPPED_KEY_LEN + PAD_BLOCK + AEAD_TAG) {
    throw malformed();
  }
  const r = new Reader(data, malformed);
  const fixed = readFixed(r);
  const count = r.u8();
  if (!(count >= 1 && count <= MAX_RECIPIENTS)) {
    throw new EnvelopeError(count ? 'too-many-recipients' : 'malformed');
  }
  const wrappedKeys = [];
  for (let i = 0; i < count; i += 1) wrappedKeys.push(r.take(WRAPPED_KEY_LEN));
  checkBodyLength(r.remaining);
  const headerLength = FIXED_LEN + count * WRAPPED_KEY_LEN;
  const header = new Header({ ...fixed, wrappedKeys, raw: r.data.slice(0, headerLength) });
  return [header, r.data.subarray(headerLength)];
}

/** What the hub reads of an envelope: the header, after a full structural check. */
export function parseHeader(data) {
  return splitEnvelope(data)[0];
}

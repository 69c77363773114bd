// Sealing and opening envelopes, format version 1 (docs/envelope.md; mirrors
// hub/crypto/envelope.py). One fresh content key per envelope, wrapped for every recipient
// device with a sealed box; the body is XChaCha20-Poly1305 with the whole header as associated
// data; a key commitment in the header; an Ed25519 signature inside the ciphertext over the
// header hash and the inner content, which carries the sender's certificate and the signed
// recipient list.

import * as att from './attachments.js';
import { CERT_LEN, CLOCK_SKEW, parseCertificate } from './certificates.js';
import { CryptoError, EnvelopeError, TrustError } from './errors.js';
import { Reader, bytesEqual, concat, seconds, toHex, u32, u64, u8, utf8 } from './fields.js';
import {
  Header, Kind, MAX_ATTACHMENTS, MAX_CONTENT, MAX_LIFETIME, MAX_RECIPIENTS, PAD_BLOCK,
  Urgency, encodeHeader, splitEnvelope,
} from './header.js';
import { verifySignature } from './keys.js';
import { H, equal, sodium, systemRandom } from './sodium.js';

const SIG_CONTEXT = utf8('ccrhub envelope v1\0');

/** A device's keys together with the certificate its agency root issued for them. */
export class DeviceIdentity {
  constructor(keys, certificate) {
    if (!bytesEqual(keys.signPublic, certificate.signPublic)
        || !bytesEqual(keys.boxPublic, certificate.boxPublic)) {
      throw new TrustError('certificate-mismatch', 'certificate is for other keys');
    }
    this.keys = keys;
    this.certificate = certificate;
    Object.freeze(this);
  }
}

/** What was opened: the header, the content, the sender's certificate, the signed recipient
 * list and the attachment manifest ({index, size, blobHash}). */
export class Opened {
  #contentKey;

  constructor({ header, content, sender, recipients, attachments }, contentKey) {
    Object.assign(this, { header, content, sender, recipients, attachments });
    this.#contentKey = contentKey;
    Object.freeze(this);
  }

  /** The content key, for issuing a key grant (grants.js); never stored or sent. */
  contentKeyForGrant() {
    return this.#contentKey;
  }

  openAttachment(index, blob) {
    if (!(Number.isInteger(index) && index >= 0 && index < this.attachments.length)) {
      throw new EnvelopeError('attachment-unknown');
    }
    return att.openAttachment(blob, this.#contentKey, this.header.hash, this.attachments[index]);
  }
}

/** An in-memory replay guard; a client persists its own with the same method. */
export class SeenEnvelopes {
  constructor() {
    this.seen = new Map(); // hex envelope id -> expires at
  }

  /** False if this envelope id was seen before; otherwise remember it. */
  checkAndRemember(envelopeId, expiresAt) {
    const id = toHex(envelopeId);
    if (this.seen.has(id)) return false;
    this.seen.set(id, expiresAt);
    return true;
  }
}

/** Exactly libsodium's crypto_box_seal, with the ephemeral key pair from
 * crypto_box_seed_keypair(rand(32)) so that known-answer vectors can be reproduced. Opened
 * with crypto_box_seal_open. */
export function wrapKey(contentKey, recipient, rand = systemRandom) {
  const ephemeral = sodium.crypto_box_seed_keypair(rand(32));
  const nonce = H(concat(ephemeral.publicKey, recipient), { size: 24 });
  let boxed;
  try {
    boxed = sodium.crypto_box_easy(contentKey, nonce, recipient, ephemeral.privateKey);
  } catch {
    throw new TrustError('low-order-key', 'a recipient public key is not usable');
  }
  return concat(ephemeral.publicKey, boxed);
}

export function commitment(contentKey, envelopeId) {
  return H(envelopeId, { key: contentKey, person: 'ccrhub-cmt-v1' });
}

function encodeManifest(refs) {
  return concat(u8(refs.length),
    ...refs.map((r) => concat(u8(r.index), u64(r.size), r.blobHash)));
}

function signedMessage(headerDigest, innerUnsigned) {
  return concat(SIG_CONTEXT, headerDigest, H(innerUnsigned, { person: 'ccrhub-inner-v1' }));
}

function checkSealArguments(content, recipients, attachments, kind, urgency) {
  if (!(recipients.length >= 1 && recipients.length <= MAX_RECIPIENTS)) {
    throw new TrustError('recipients', `an envelope goes to 1 to ${MAX_RECIPIENTS} devices`);
  }
  if (content.length > MAX_CONTENT || attachments.length > MAX_ATTACHMENTS
      || attachments.some((a) => a.length > att.MAX_ATTACHMENT)) {
    throw new TrustError('too-large',
      'content, an attachment or the attachment count is over the limit (4 MiB, 256 MiB, 16)');
  }
  if (new Set(recipients.map((c) => toHex(c.boxPublic))).size !== recipients.length) {
    throw new TrustError('recipients', 'a device is listed twice');
  }
  if (!Object.values(Kind).includes(kind) || !Object.values(Urgency).includes(urgency)) {
    throw new RangeError('unknown kind or urgency');
  }
}

/**
 * Seal `content` (and `attachments`) for every recipient device (DeviceCertificates).
 * Randomness is drawn from `rand(n)` in this order, as hub/crypto does: content key (32),
 * envelope id (16, unless given), AEAD nonce (24), one ephemeral seed (32) per recipient.
 * Returns {envelope, attachments: [blob], header}.
 */
export function seal(content, { sender, recipients, destination, referralType, urgency, now,
  lifetime, kind = Kind.REFERRAL, threadId = null, envelopeId = null, attachments = [],
  rand = systemRandom, drill = false }) {
  checkSealArguments(content, recipients, attachments, kind, urgency);
  const createdAt = seconds(now);
  const contentKey = rand(32);
  const id = envelopeId?.length ? envelopeId : rand(16);
  const thread = kind === Kind.REFERRAL ? id : threadId;
  if (!thread || thread.length !== 16 || id.length !== 16) {
    throw new TrustError('thread', "a reply names its referral's 16-byte thread id");
  }
  if (!(lifetime > 0 && lifetime <= MAX_LIFETIME) || !Number.isInteger(lifetime)) {
    throw new TrustError('lifetime', `an envelope lives 1 s to ${MAX_LIFETIME / 86400} days`);
  }
  const nonce = rand(24);
  const wrappedKeys = recipients.map((c) => wrapKey(contentKey, c.boxPublic, rand));
  const fields = { kind, envelopeId: id, threadId: thread, destination, referralType, urgency,
    createdAt, expiresAt: createdAt + BigInt(lifetime), commitment: commitment(contentKey, id),
    nonce, wrappedKeys, drill };
  const header = new Header({ ...fields, raw: encodeHeader(fields) });
  const sealed = attachments.map((data, i) => att.sealAttachment(data, contentKey, header.hash, i));
  const refs = sealed.map((s, i) => ({ index: i, size: attachments[i].length,
    blobHash: s.blobHash }));
  const inner = concat(sender.certificate.raw, ...recipients.map((c) => c.boxPublic),
    encodeManifest(refs), u32(content.length), content);
  const signature = sender.keys.sign(signedMessage(header.hash, inner));
  const padded = sodium.pad(concat(inner, signature), PAD_BLOCK);
  const body = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, header.raw, null,
    nonce, contentKey);
  return { envelope: concat(header.raw, body), attachments: sealed.map((s) => s.blob), header };
}

/**
 * Open an envelope on a recipient device. `trust` is a TrustStore (pinned roots, verified
 * rosters); `replay` an optional guard such as SeenEnvelopes. Every failure is one
 * EnvelopeError ("envelope rejected"), checked in the order docs/envelope.md gives.
 */
export function openEnvelope(data, { device, trust, now, replay = null }) {
  const [header, body] = splitEnvelope(data);
  checkTime(header, seconds(now));
  if (header.destination !== device.certificate.agency) throw new EnvelopeError('wrong-agency');
  const hint = trust.expectedSlot(header, device.keys.boxPublic, now);
  const [slot, contentKey] = unwrap(header, device.keys, hint);
  const opened = openBody(header, body, contentKey);
  if (!bytesEqual(opened.recipients[slot], device.keys.boxPublic)) {
    throw new EnvelopeError('recipient-mismatch');
  }
  checkSender(opened, trust, now);
  if (replay !== null && !replay.checkAndRemember(header.envelopeId, header.expiresAt)) {
    throw new EnvelopeError('replay');
  }
  return opened;
}

/** Steps 5 to 8 of opening, once a content key is in hand (from a wrapped key of the header,
 * or from a key grant): key commitment, AEAD, inner content, sender signature. */
export function openBody(header, body, contentKey) {
  if (!equal(commitment(contentKey, header.envelopeId), header.commitment)) {
    throw new EnvelopeError('key-commitment');
  }
  let plain;
  try {
    const padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, body, header.raw,
      header.nonce, contentKey);
    plain = sodium.unpad(padded, PAD_BLOCK);
  } catch {
    throw new EnvelopeError('ciphertext');
  }
  return parseInner(plain, header, contentKey);
}

/** The content key from this device's own wrapped key, checked against the header's key
 * commitment: what a recipient needs to hand the envelope on (a key grant). */
export function unwrapOwnKey(header, keys) {
  const [, contentKey] = unwrap(header, keys, null);
  if (!equal(commitment(contentKey, header.envelopeId), header.commitment)) {
    throw new EnvelopeError('key-commitment');
  }
  return contentKey;
}

export function checkTime(header, now) {
  if (header.createdAt > now + CLOCK_SKEW) throw new EnvelopeError('from-future');
  if (now >= header.expiresAt) throw new EnvelopeError('expired');
}

/** Try the slot the roster predicts first, then every slot: wrapped keys carry no recipient
 * identifier. The slot found is checked against the signed recipient list. */
function unwrap(header, keys, hint) {
  const slots = header.wrappedKeys.map((_, i) => i);
  if (hint !== null && hint >= 0 && hint < slots.length) slots.unshift(...slots.splice(hint, 1));
  for (const slot of slots) {
    try {
      return [slot, sodium.crypto_box_seal_open(header.wrappedKeys[slot], keys.boxPublic,
        keys.boxSecret)];
    } catch {
      // not this slot
    }
  }
  throw new EnvelopeError('not-a-recipient');
}

function parseInner(plain, header, contentKey) {
  const bad = () => new EnvelopeError('malformed-inner');
  const r = new Reader(plain, bad);
  let sender;
  try {
    sender = parseCertificate(r.take(CERT_LEN));
  } catch (e) {
    if (e instanceof CryptoError) throw bad();
    throw e;
  }
  const recipients = header.wrappedKeys.map(() => r.take(32));
  const count = r.u8();
  if (count > MAX_ATTACHMENTS) throw bad();
  const refs = [];
  for (let i = 0; i < count; i += 1) {
    refs.push(Object.freeze({ index: r.u8(), size: Number(r.u64()), blobHash: r.take(32) }));
  }
  if (refs.some((ref, i) => ref.index !== i)
      || new Set(recipients.map(toHex)).size !== recipients.length) {
    throw bad();
  }
  const length = r.u32();
  if (length > MAX_CONTENT) throw bad();
  const content = r.take(length);
  const signedLength = plain.length - r.remaining;
  const signature = r.take(64);
  r.done();
  if (!verifySignature(sender.signPublic,
    signedMessage(header.hash, plain.subarray(0, signedLength)), signature)) {
    throw new EnvelopeError('signature');
  }
  return new Opened({ header, content, sender, recipients, attachments: refs }, contentKey);
}

/** Only a reduced copy (Kind.REDUCED) comes from the destination agency itself. */
export function checkSender(opened, trust, now) {
  const own = opened.sender.agency === opened.header.destination;
  if (own !== (opened.header.kind === Kind.REDUCED)) {
    throw new EnvelopeError(own ? 'sender-is-recipient-agency' : 'reduced-by-other-agency');
  }
  if (!trust.isCurrentSender(opened.sender, now)) throw new EnvelopeError('untrusted-sender');
}

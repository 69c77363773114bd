// Device certificates (mirrors hub/crypto/certificates.py): an agency root vouches, until a
// date, that a device (two public keys) belongs to one of its people. 229 bytes, layout in
// docs/envelope.md.

import { TrustError } from './errors.js';
import { Reader, bytesEqual, concat, decodeSlug, encodeSlug, seconds, u64, u8, utf8 } from './fields.js';
import { isUsableBoxKey, verifySignature } from './keys.js';

export const CERT_MAGIC = utf8('CCRD');
export const CERT_VERSION = 1;
export const CERT_LEN = 4 + 1 + 32 + 32 + 16 + 32 + 32 + 8 + 8 + 64;
const SIGNED_LEN = CERT_LEN - 64;
const SIG_CONTEXT = utf8('ccrhub device certificate v1\0');
export const CLOCK_SKEW = 300n;

export class DeviceCertificate {
  constructor(fields) {
    Object.assign(this, fields); // agency, person, deviceId, boxPublic, signPublic,
    Object.freeze(this); //          issuedAt, expiresAt (BigInt), signature, raw
  }

  validAt(now) {
    const t = seconds(now);
    return this.issuedAt <= t + CLOCK_SKEW && t < this.expiresAt;
  }

  equals(other) {
    return other instanceof DeviceCertificate && bytesEqual(this.raw, other.raw);
  }
}

function signedPart({ agency, person, deviceId, boxPublic, signPublic, issuedAt, expiresAt }) {
  return concat(CERT_MAGIC, u8(CERT_VERSION), encodeSlug(agency), encodeSlug(person), deviceId,
    boxPublic, signPublic, u64(issuedAt), u64(expiresAt));
}

export function issueCertificate(root, fields) {
  const { deviceId, boxPublic, signPublic } = fields;
  const issuedAt = seconds(fields.issuedAt);
  const expiresAt = seconds(fields.expiresAt);
  if (deviceId.length !== 16) throw new TrustError('bad-device-id', 'a device id is 16 bytes');
  if (!isUsableBoxKey(boxPublic) || signPublic.length !== 32) {
    throw new TrustError('low-order-key', 'the device public key is not usable');
  }
  if (expiresAt <= issuedAt) {
    throw new TrustError('bad-validity', 'a certificate must expire after it is issued');
  }
  const signed = signedPart({ ...fields, issuedAt, expiresAt });
  return parseCertificate(concat(signed, root.sign(concat(SIG_CONTEXT, signed))));
}

/** `fields`: agency, person, deviceId, issuedAt, expiresAt. */
export function certifyDevice(root, keys, fields) {
  return issueCertificate(root, { ...fields, boxPublic: keys.boxPublic,
    signPublic: keys.signPublic });
}

/** Strict parse; does not check the signature (see `verifyCertificate`). */
export function parseCertificate(raw) {
  const bad = () => new TrustError('bad-certificate', 'not a well-formed device certificate');
  if (!(raw instanceof Uint8Array) || raw.length !== CERT_LEN) throw bad();
  const r = new Reader(raw, bad);
  if (!bytesEqual(r.take(4), CERT_MAGIC) || r.u8() !== CERT_VERSION) throw bad();
  const agency = decodeSlug(r.take(32));
  const person = decodeSlug(r.take(32));
  const deviceId = r.take(16);
  const boxPublic = r.take(32);
  const signPublic = r.take(32);
  const issuedAt = r.u64();
  const expiresAt = r.u64();
  const signature = r.take(64);
  r.done();
  if (agency === null || person === null || expiresAt <= issuedAt) throw bad();
  return new DeviceCertificate({ agency, person, deviceId, boxPublic, signPublic, issuedAt,
    expiresAt, signature, raw: r.data });
}

/** Throw TrustError unless `rootPublic` signed this certificate, it is valid at `now` and its
 * opening key is usable. */
export function verifyCertificate(cert, rootPublic, now) {
  if (!verifySignature(rootPublic, concat(SIG_CONTEXT, cert.raw.subarray(0, SIGNED_LEN)),
    cert.signature)) {
    throw new TrustError('certificate-signature', "certificate not signed by the agency's root");
  }
  if (!cert.validAt(now)) {
    throw new TrustError('certificate-expired', 'device certificate is expired or not yet valid');
  }
  if (!isUsableBoxKey(cert.boxPublic)) {
    throw new TrustError('low-order-key', 'the device public key is not usable');
  }
}

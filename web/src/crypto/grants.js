// Key grants (docs/envelope.md, "Key grants"; mirrors hub/crypto/grants.py): a device that
// was sealed to an envelope hands its content key on to a device of its agency approved
// later. 285 bytes: the content key boxed from the granter's X25519 key to the grantee's,
// bound to the envelope, the grantee's certificate and the roster version, signed by the
// granting device. The grantee refuses anything wrong with one EnvelopeError.

import { checkSender, checkTime, openBody, unwrapOwnKey } from './envelope.js';
import { EnvelopeError, TrustError } from './errors.js';
import { Reader, bytesEqual, concat, seconds, toHex, u64, u8, utf8 } from './fields.js';
import { splitEnvelope } from './header.js';
import { verifySignature } from './keys.js';
import { H, equal, sodium, systemRandom } from './sodium.js';

export const GRANT_MAGIC = utf8('CCRG');
export const GRANT_VERSION = 1;
const WRAPPED_LEN = 24 + 16 + 32;
export const SIGNED_LEN = 4 + 1 + 16 + 16 + 32 + 8 + 16 + 16 + 32 + 8 + WRAPPED_LEN;
export const GRANT_LEN = SIGNED_LEN + 64;
const SIG_CONTEXT = utf8('ccrhub key grant v1\0');

export const granteeHash = (certificate) => H(certificate.raw, { person: 'ccrhub-grantee1' });

/** One device issuing grants; the shared key with each grantee is computed once. */
export class Granter {
  #shared = new Map();

  constructor(device, rand = systemRandom) {
    this.device = device;
    this.rand = rand;
  }

  #sharedKey(grantee) {
    const id = toHex(grantee.boxPublic);
    let key = this.#shared.get(id);
    if (key === undefined) {
      try {
        key = sodium.crypto_box_beforenm(grantee.boxPublic, this.device.keys.boxSecret);
      } catch {
        throw new TrustError('low-order-key', "the new device's key is not usable");
      }
      this.#shared.set(id, key);
    }
    return key;
  }

  /** A grant of `envelope` (bytes, or a parsed Header) sealed to this device. */
  grant(envelope, grantee, { rosterVersion, now }) {
    const header = envelope instanceof Uint8Array ? splitEnvelope(envelope)[0] : envelope;
    return this.#issue(header, unwrapOwnKey(header, this.device.keys), grantee, rosterVersion,
      now);
  }

  /** The same, for an envelope already opened (only one opened as a recipient is accepted). */
  grantOpened(opened, grantee, { rosterVersion, now }) {
    return this.#issue(opened.header, opened.contentKeyForGrant(), grantee, rosterVersion, now);
  }

  #issue(header, contentKey, grantee, rosterVersion, now) {
    const nonce = this.rand(24);
    const boxed = sodium.crypto_box_easy_afternm(contentKey, nonce, this.#sharedKey(grantee));
    const signed = concat(GRANT_MAGIC, u8(GRANT_VERSION), header.threadId, header.envelopeId,
      header.hash, u64(rosterVersion), this.device.certificate.deviceId, grantee.deviceId,
      granteeHash(grantee), u64(seconds(now)), nonce, boxed);
    return concat(signed, this.device.keys.sign(concat(SIG_CONTEXT, signed)));
  }
}

export function parseGrant(raw) {
  const bad = () => new EnvelopeError('grant-malformed');
  if (!(raw instanceof Uint8Array) || raw.length !== GRANT_LEN) throw bad();
  const r = new Reader(raw, bad);
  if (!bytesEqual(r.take(4), GRANT_MAGIC) || r.u8() !== GRANT_VERSION) throw bad();
  const grant = { threadId: r.take(16), envelopeId: r.take(16), headerHash: r.take(32),
    rosterVersion: r.u64(), granterId: r.take(16), granteeId: r.take(16),
    granteeHash: r.take(32), issuedAt: r.u64(), wrapped: r.take(WRAPPED_LEN),
    signature: r.take(64), raw: r.data };
  r.done();
  return Object.freeze(grant);
}

/** Open an envelope on a device it was not sealed to, with a grant addressed to it. Every
 * failure is the same EnvelopeError ("envelope rejected"). */
export function openWithGrant(data, grantRaw, { device, trust, now }) {
  const [header, body] = splitEnvelope(data);
  checkTime(header, seconds(now));
  if (header.destination !== device.certificate.agency) throw new EnvelopeError('wrong-agency');
  const grant = parseGrant(grantRaw);
  checkBinding(grant, header, device.certificate);
  const granter = checkGranter(grant, trust, header.destination, now);
  let contentKey;
  try {
    contentKey = sodium.crypto_box_open_easy(grant.wrapped.subarray(24), grant.wrapped.subarray(0, 24),
      granter.boxPublic, device.keys.boxSecret);
  } catch {
    throw new EnvelopeError('grant-key');
  }
  const opened = openBody(header, body, contentKey);
  if (!opened.recipients.some((pk) => bytesEqual(pk, granter.boxPublic))) {
    throw new EnvelopeError('grant-granter-not-recipient');
  }
  checkSender(opened, trust, now);
  return opened;
}

function checkBinding(grant, header, me) {
  if (!bytesEqual(grant.threadId, header.threadId) || !bytesEqual(grant.envelopeId, header.envelopeId)
      || !equal(grant.headerHash, header.hash)) {
    throw new EnvelopeError('grant-other-envelope');
  }
  if (!bytesEqual(grant.granteeId, me.deviceId) || !equal(grant.granteeHash, granteeHash(me))) {
    throw new EnvelopeError('grant-other-device');
  }
}

function checkGranter(grant, trust, agency, now) {
  let roster;
  try {
    roster = trust.roster(agency, now);
  } catch (e) {
    if (e instanceof TrustError) throw new EnvelopeError('grant-no-roster');
    throw e;
  }
  const granter = roster.devices.get(toHex(grant.granterId));
  if (granter === undefined || !roster.currentDevice(granter, now)
      || grant.rosterVersion > BigInt(roster.version)) {
    throw new EnvelopeError('grant-granter-unknown');
  }
  if (!verifySignature(granter.signPublic, concat(SIG_CONTEXT, grant.raw.subarray(0, SIGNED_LEN)),
    grant.signature)) {
    throw new EnvelopeError('grant-signature');
  }
  return granter;
}

// Pin bundles (mirrors hub/crypto/pins.py): every partner root an agency admin pinned,
// signed by their own agency's root, opened here only after that root matches the one
// fingerprint the admin read aloud. Pure: the caller pins what this returns.

import { TrustError } from './errors.js';
import { SLUG_RE, concat, utf8 } from './fields.js';
import { matchesFingerprint } from './fingerprints.js';
import { verifySignature } from './keys.js';
import { sodium } from './sodium.js';

export const BUNDLE_FORMAT = 'ccr-pins/1';
const CONTEXT = utf8('ccrhub pins v1\0');
const BAD = () => new TrustError('bad-bundle', "not a pin bundle made by 'hub agency bundle'");
const unb64 = (text) => sodium.from_base64(text, sodium.base64_variants.ORIGINAL);
const ROOT = /^[A-Za-z0-9+/]{43}=$/;

function parts(data) {
  let doc;
  let raw;
  let signature;
  let body;
  try {
    doc = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
    raw = unb64(doc.bundle);
    signature = unb64(doc.signature);
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    throw BAD();
  }
  const keys = Object.keys(doc ?? {}).sort().join();
  const fields = Object.keys(body ?? {}).sort().join();
  if (keys !== 'bundle,signature' || fields !== 'agency,format,issued_at,pins,root'
    || body.format !== BUNDLE_FORMAT || !SLUG_RE.test(body.agency) || !ROOT.test(body.root)
    || !Number.isSafeInteger(body.issued_at) || body.pins === null || typeof body.pins !== 'object'
    || Array.isArray(body.pins)) {
    throw BAD();
  }
  return { raw, signature, body };
}

function roots(body) {
  const pins = new Map();
  for (const [agency, text] of Object.entries(body.pins)) {
    if (!SLUG_RE.test(agency) || typeof text !== 'string' || !ROOT.test(text)) {
      throw new TrustError('bad-bundle', 'a pin in the bundle is not an agency and its root');
    }
    pins.set(agency, unb64(text));
  }
  if (body.pins[body.agency] !== body.root) {
    throw new TrustError('bad-bundle', "the bundle does not pin its own agency's root");
  }
  return pins;
}

/** {agency, issuedAt, pins: Map(agency -> root)} of a bundle whose signing root matches
 * `fingerprint` (either form) and whose signature verifies; TrustError otherwise. */
export function openPinBundle(data, fingerprint) {
  const { raw, signature, body } = parts(data);
  const root = unb64(body.root);
  if (!matchesFingerprint(root, fingerprint)) {
    throw new TrustError('fingerprint-mismatch', `this bundle says it is from ${body.agency}, `
      + 'but its key does not match that fingerprint');
  }
  if (!verifySignature(root, concat(CONTEXT, raw), signature)) {
    throw new TrustError('bundle-signature', "the bundle's signature does not verify: it was "
      + 'changed after it was signed');
  }
  return { agency: body.agency, issuedAt: body.issued_at, pins: roots(body) };
}

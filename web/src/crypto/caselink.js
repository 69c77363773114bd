// The case link (docs/envelope.md, "Case link"), as hub/crypto/caselink.py computes it: the
// opaque id of a survivor's case for one agency pair, a keyed BLAKE2b over the pair's two
// agency ids in sorted order under the case secret. Pure; no I/O.

import { concat, encodeSlug } from './fields.js';
import { H } from './sodium.js';

export const SECRET_LEN = 32;

/** The link id (32 bytes) of the case with `secret` for the pair {agency, other}. */
export function linkId(secret, agency, other) {
  if (!(secret instanceof Uint8Array) || secret.length !== SECRET_LEN) {
    throw new RangeError(`a case secret is ${SECRET_LEN} bytes`);
  }
  if (agency === other) throw new RangeError('a link id is for two different agencies');
  const [first, second] = [agency, other].sort();
  return H(concat(encodeSlug(first), encodeSlug(second)), { key: secret, person: 'ccrhub-link-v1' });
}

// Fingerprints of agency roots (mirrors hub/crypto/fingerprints.py): 60 digits to read aloud
// and a short checksummed text to paste, for the first contact between two agencies.

import { TrustError } from './errors.js';
import { concat, utf8 } from './fields.js';
import { H, equal } from './sodium.js';

const ITERATIONS = 1024;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, upper case, no padding (inputs here are multiples of 5 bytes). */
function base32(bytes) {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

function digest(publicKey) {
  let d = publicKey;
  for (let i = 0; i < ITERATIONS; i += 1) {
    d = H(concat(d, publicKey), { person: 'ccrhub-fp-v1', size: 64 });
  }
  return d;
}

/** Twelve groups of five digits, 60 digits in all. */
export function numericFingerprint(publicKey) {
  const d = digest(publicKey);
  const groups = [];
  for (let i = 0; i < 12; i += 1) {
    let n = 0;
    for (const b of d.subarray(5 * i, 5 * i + 5)) n = n * 256 + b; // 40 bits: exact
    groups.push(String(n % 100000).padStart(5, '0'));
  }
  return groups.join(' ');
}

function checksum(body) {
  return base32(H(utf8(body), { person: 'ccrhub-fpck-v1', size: 5 })).slice(0, 4);
}

/** 'CCR1-' then 24 base32 characters in groups of four, then a 4-character checksum. */
export function shortFingerprint(publicKey) {
  const body = base32(digest(publicKey).subarray(0, 15));
  const groups = body.match(/.{4}/g);
  return `CCR1-${[...groups, checksum(body)].join('-')}`;
}

const normalise = (text) => [...text.toUpperCase()].filter((c) => /[A-Z0-9]/.test(c)).join('');

/** Compare a fingerprint given by a person (either form) with a root public key. A short form
 * with a bad checksum is a typo (TrustError "fingerprint-typo"), not a mismatch. */
export function matchesFingerprint(publicKey, text) {
  const given = normalise(text);
  if (/^[0-9]+$/.test(given)) {
    return equal(utf8(given), utf8(normalise(numericFingerprint(publicKey))));
  }
  if (!given.startsWith('CCR1') || given.length !== 4 + 24 + 4) {
    throw new TrustError('bad-fingerprint', 'a fingerprint is 60 digits or CCR1-XXXX-...');
  }
  if (given.slice(28) !== checksum(given.slice(4, 28))) {
    throw new TrustError('fingerprint-typo', 'that fingerprint has a typo: check it again');
  }
  return equal(utf8(given), utf8(normalise(shortFingerprint(publicKey))));
}

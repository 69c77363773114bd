// The known-answer vectors of tests/vectors/envelope-v1.json, and the helpers that rebuild
// what tests/vectors/generate.py built, the same way, from the same seeds.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import {
  AgencyRoot, DeviceIdentity, DeviceKeys, H, SignedRoster, TrustStore, fromHex,
  parseCertificate, ready,
} from '../../src/crypto/index.js';

await ready();

export const PATH = fileURLToPath(new URL('../../../tests/vectors/envelope-v1.json', import.meta.url));
export const VECTORS = JSON.parse(readFileSync(PATH, 'utf8'));
export const CASES = Object.fromEntries(VECTORS.envelopes.map((c) => [c.name, c]));
export const x = fromHex;

const MASTER = new TextEncoder().encode('ccrhub known-answer vectors v1');

/** seed(label) = BLAKE2b-256(label; key = MASTER), as generate.py. */
export const seed = (label) => H(new TextEncoder().encode(label), { key: MASTER });

/** generate.py's SeededRandom: draw i of n bytes is BLAKE2b-n(u32be(i); key = seed). */
export function seededRandom(key) {
  const draws = [];
  const rand = (n) => {
    const counter = new Uint8Array(4);
    new DataView(counter.buffer).setUint32(0, draws.length);
    draws.push(H(counter, { key, size: n }));
    return draws[draws.length - 1];
  };
  rand.draws = draws;
  return rand;
}

/** A function that hands out the given byte strings in order. */
export function replay(draws) {
  let i = 0;
  return (n) => {
    const d = draws[i];
    i += 1;
    if (!d || d.length !== n) throw new Error(`draw ${i - 1}: wanted ${n} bytes`);
    return d;
  };
}

export function identity(name) {
  const stored = VECTORS.devices[name];
  const keys = DeviceKeys.fromSeeds(x(stored.box_seed), x(stored.sign_seed));
  return new DeviceIdentity(keys, parseCertificate(x(stored.certificate)));
}

export const root = (agency) => AgencyRoot.fromSeed(x(VECTORS.agencies[agency].root_seed));

export function storedTrust() {
  const trust = new TrustStore();
  for (const [agency, stored] of Object.entries(VECTORS.agencies)) {
    trust.pin(agency, x(stored.root_public), stored.short_fingerprint);
    trust.acceptRoster(agency, new SignedRoster(x(stored.roster.body),
      x(stored.roster.signature)), VECTORS.now);
  }
  return trust;
}

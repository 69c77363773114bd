// libsodium (libsodium-wrappers-sumo from npm): the only source of cryptographic primitives
// here. Call `await ready()` once before anything else in this package.
//
// One primitive is called through libsodium's own export rather than the wrapper: the
// wrapper's `crypto_generichash_blake2b_salt_personal` hashes an empty message (it is meant
// as a KDF), while docs/envelope.md's H(m; key, salt, person, n) hashes m. `H` below calls
// the same C function, crypto_generichash_blake2b_salt_personal, with the message.

import sodium from 'libsodium-wrappers-sumo';

export { sodium };

let initialised = null;

/** Resolves once libsodium is loaded (its WebAssembly compiled). Safe to call many times. */
export function ready() {
  if (initialised === null) initialised = sodium.ready.then(() => sodium);
  return initialised;
}

const EMPTY = new Uint8Array(0);
const PARAM = 16; // salt and personalisation are right-padded with zero bytes to 16

function padded(value, what) {
  if (value.length > PARAM) throw new RangeError(`${what} is at most 16 bytes`);
  const out = new Uint8Array(PARAM);
  out.set(value);
  return out;
}

/**
 * docs/envelope.md's H: BLAKE2b with an optional key, salt and personalisation,
 * `size` bytes of output (1..64). `person` and `salt` may be strings (ASCII) or bytes.
 */
export function H(data, { person = EMPTY, key = EMPTY, salt = EMPTY, size = 32 } = {}) {
  const ascii = (v) => (typeof v === 'string' ? new TextEncoder().encode(v) : v);
  const message = ascii(data);
  const personal = padded(ascii(person), 'person');
  const saltBytes = padded(ascii(salt), 'salt');
  if (!(size >= 1 && size <= 64) || key.length > 64) throw new RangeError('bad BLAKE2b size or key');
  const lib = sodium.libsodium;
  const total = size + message.length + key.length + 2 * PARAM;
  const base = lib._malloc(total);
  if (!base) throw new Error('libsodium could not allocate memory');
  const at = { out: base, message: base + size };
  at.key = at.message + message.length;
  at.salt = at.key + key.length;
  at.person = at.salt + PARAM;
  try {
    const heap = lib.HEAPU8; // read after _malloc: a memory growth replaces the view
    heap.set(message, at.message);
    heap.set(key, at.key);
    heap.set(saltBytes, at.salt);
    heap.set(personal, at.person);
    // (out, outlen, in, inlen as two 32-bit halves, key, keylen, salt, personal)
    const rc = lib._crypto_generichash_blake2b_salt_personal(
      at.out, size, at.message, message.length >>> 0, Math.floor(message.length / 2 ** 32),
      key.length ? at.key : 0, key.length, at.salt, at.person);
    if (rc !== 0) throw new Error('crypto_generichash_blake2b_salt_personal failed');
    return lib.HEAPU8.slice(at.out, at.out + size);
  } finally {
    lib.HEAPU8.fill(0, base, base + total);
    lib._free(base);
  }
}

/** SHA-256 (libsodium's crypto_hash_sha256), fed in 1 MiB pieces so a large blob is not
 * copied into WebAssembly memory whole. */
export function sha256(data) {
  const state = sodium.crypto_hash_sha256_init();
  const step = 1 << 20;
  for (let i = 0; i < data.length; i += step) {
    sodium.crypto_hash_sha256_update(state, data.subarray(i, i + step));
  }
  return sodium.crypto_hash_sha256_final(state);
}

/** Constant-time comparison (sodium_memcmp); different lengths are simply unequal. */
export function equal(a, b) {
  return a.length === b.length && (a.length === 0 || sodium.memcmp(a, b));
}

/** Where randomness comes from: libsodium's CSPRNG, unless a caller injects a function
 * `rand(n) -> Uint8Array(n)` (known-answer vectors do). */
export function systemRandom(n) {
  return sodium.randombytes_buf(n);
}

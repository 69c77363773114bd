// Fixed-size binary fields shared by the envelope, certificate and receipt formats
// (docs/envelope.md, "Conventions"; mirrors hub/crypto/fields.py). No cryptography here.
// Integers are big-endian; u64 values (times, sizes) are BigInt so no bit is lost.

export const SLUG_LEN = 32;
export const SLUG_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;
const ascii = new TextEncoder();

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const utf8 = (text) => ascii.encode(text);

export function u8(value) {
  return Uint8Array.of(value);
}

export function u16(value) {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, value);
  return out;
}

export function u32(value) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

export function u64(value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

/** A time in whole seconds as BigInt; refuses fractions (pass Math.floor(Date.now() / 1000)). */
export function seconds(value) {
  if (typeof value === 'bigint') return value;
  if (Number.isSafeInteger(value)) return BigInt(value);
  throw new TypeError(`a time is whole seconds since the epoch, not ${value}`);
}

export function encodeSlug(value) {
  if (typeof value !== 'string' || !SLUG_RE.test(value)) {
    throw new RangeError(`not a slug (a-z, 0-9 and '-', at most 32): ${JSON.stringify(value)}`);
  }
  const out = new Uint8Array(SLUG_LEN);
  out.set(utf8(value));
  return out;
}

/** The slug in a zero-padded field, or null when the field is not canonical. */
export function decodeSlug(raw) {
  let end = raw.length;
  while (end > 0 && raw[end - 1] === 0) end -= 1;
  let text = '';
  for (let i = 0; i < end; i += 1) {
    if (raw[i] === 0 || raw[i] > 0x7f) return null;
    text += String.fromCharCode(raw[i]);
  }
  return SLUG_RE.test(text) ? text : null;
}

export function toHex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(text) {
  if (typeof text !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(text)) {
    throw new RangeError('not hex');
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** Reads fixed-size fields off a copy of a buffer; the caller calls `done()` at the end.
 * Every short read throws `error()`. Fields are returned as fresh copies. */
export class Reader {
  constructor(data, error) {
    this.data = new Uint8Array(data); // a copy
    this.pos = 0;
    this.error = error;
  }

  take(n) {
    const end = this.pos + n;
    if (n < 0 || end > this.data.length) throw this.error();
    const out = this.data.slice(this.pos, end);
    this.pos = end;
    return out;
  }

  u8() {
    return this.take(1)[0];
  }

  u16() {
    return new DataView(this.take(2).buffer).getUint16(0);
  }

  u32() {
    return new DataView(this.take(4).buffer).getUint32(0);
  }

  u64() {
    return new DataView(this.take(8).buffer).getBigUint64(0);
  }

  get remaining() {
    return this.data.length - this.pos;
  }

  done() {
    if (this.pos !== this.data.length) throw this.error();
  }
}

// Signed receipts (mirrors hub/crypto/receipts.py): a recipient device signs (envelope id,
// header hash, status, time), so the hub can stop an escalation on a real acknowledgement
// without reading anything. 142 bytes, layout in docs/envelope.md.

import { EnvelopeError } from './errors.js';
import { Reader, bytesEqual, concat, seconds, u64, u8, utf8 } from './fields.js';
import { verifySignature } from './keys.js';

export const RECEIPT_MAGIC = utf8('CCRR');
export const RECEIPT_VERSION = 1;
export const RECEIPT_LEN = 4 + 1 + 16 + 32 + 1 + 8 + 16 + 64;
const SIG_CONTEXT = utf8('ccrhub receipt v1\0');

export const ReceiptStatus = Object.freeze({ ACKNOWLEDGED: 1, ACCEPTED: 2, REJECTED: 3,
  COMPLETED: 4 });

/** The receipt's 142 bytes, signed by `device` (a DeviceIdentity). */
export function signReceipt(device, { envelopeId, headerHash, status, at }) {
  if (envelopeId.length !== 16 || headerHash.length !== 32
      || !Object.values(ReceiptStatus).includes(status)) {
    throw new RangeError('a receipt names a 16-byte envelope id, a 32-byte header hash and a status');
  }
  const signed = concat(RECEIPT_MAGIC, u8(RECEIPT_VERSION), envelopeId, headerHash, u8(status),
    u64(seconds(at)), device.certificate.deviceId);
  return concat(signed, device.keys.sign(concat(SIG_CONTEXT, signed)));
}

export function parseReceipt(raw) {
  const bad = () => new EnvelopeError('malformed-receipt');
  if (!(raw instanceof Uint8Array) || raw.length !== RECEIPT_LEN) throw bad();
  const r = new Reader(raw, bad);
  if (!bytesEqual(r.take(4), RECEIPT_MAGIC) || r.u8() !== RECEIPT_VERSION) throw bad();
  const envelopeId = r.take(16);
  const headerHash = r.take(32);
  const status = r.u8();
  if (!Object.values(ReceiptStatus).includes(status)) throw bad();
  const at = r.u64();
  const deviceId = r.take(16);
  const signature = r.take(64);
  r.done();
  return Object.freeze({ envelopeId, headerHash, status, at, deviceId, signature, raw: r.data });
}

/** Check a receipt is for this envelope and signed by one of `devices` (the current devices of
 * the escalation group). Returns {receipt, device}. */
export function verifyReceipt(raw, { envelopeId, headerHash, devices }) {
  const receipt = parseReceipt(raw);
  if (!bytesEqual(receipt.envelopeId, envelopeId) || !bytesEqual(receipt.headerHash, headerHash)) {
    throw new EnvelopeError('receipt-for-other-envelope');
  }
  const device = devices.find((d) => bytesEqual(d.deviceId, receipt.deviceId));
  if (device === undefined) throw new EnvelopeError('receipt-device-unknown');
  if (!verifySignature(device.signPublic, concat(SIG_CONTEXT, receipt.raw.subarray(0, 78)),
    receipt.signature)) {
    throw new EnvelopeError('receipt-signature');
  }
  return { receipt, device };
}

// The survivor's case as it travels sealed beside a referral's document (docs/envelope.md,
// "Case file"; hub/api/casefile.py): the document is read without its `case`, and the case
// (its secret, the record of earlier handoffs, what consent let go onward) apart. Pure
// functions: no DOM, no I/O.

import { fromBase64 } from './api.js';

const RID = /^[0-9a-f]{32}$/;

/** `{ content, case }`: the document's bytes without the case, and the case (null when
 * there is none, or it is not one this script reads: the document is then left whole). */
export function detachCase(bytes) {
  let doc;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { content: bytes, case: null };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || !('case' in doc)) {
    return { content: bytes, case: null };
  }
  const carried = readCase(doc.case);
  if (carried === null) return { content: bytes, case: null };
  const { case: _, ...rest } = doc;
  return { content: new TextEncoder().encode(JSON.stringify(rest)), case: carried };
}

function readCase(c) {
  if (c === null || typeof c !== 'object' || c.format !== 'ccr-case/1') return null;
  let secret;
  try {
    secret = fromBase64(c.secret);
  } catch {
    return null;
  }
  const record = Array.isArray(c.record ?? []) ? (c.record ?? []) : null;
  if (secret.length !== 32 || record === null || !record.every(isStep)) return null;
  return { secret, record, forwarding: c.forwarding ?? null };
}

const isStep = (s) => s !== null && typeof s === 'object' && RID.test(s.referral)
  && typeof s.sender === 'string' && typeof s.destination === 'string'
  && typeof s.type === 'string' && Number.isSafeInteger(s.sent_at)
  && s.content !== null && typeof s.content === 'object';

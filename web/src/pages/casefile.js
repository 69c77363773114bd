// The survivor's case as it travels sealed beside a referral's document (docs/envelope.md,
// "Case file"; hub/api/casefile.py): the document is read without its `case`, and the case
// (its secret, the record of earlier handoffs, what consent let go onward) apart; a first
// referral starts a case, an onward one carries the record cut down to what the survivor's
// consent covers, exactly as `hub send` and `hub case forward` do. Pure functions: no DOM,
// no I/O.

import { sodium } from '../crypto/sodium.js';

import { fromBase64, toBase64 } from './api.js';

const RID = /^[0-9a-f]{32}$/;
const SLUG = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const SECRET_LEN = 32;
export const EVERYTHING = '*';
const ALWAYS = ['kind']; // kept whatever the consent covers: how to read the rest

/** A new case: a random secret, no record yet. */
export function newCase() {
  return { secret: sodium.randombytes_buf(SECRET_LEN), record: [], forwarding: null };
}

/** The case as it is written inside the envelope (hub/api/casefile.py CaseFile). */
export function caseJson(c) {
  return { format: 'ccr-case/1', secret: toBase64(c.secret), record: c.record,
    ...(c.forwarding ? { forwarding: c.forwarding } : {}) };
}

/** The content document's bytes with the case beside its fields. */
export function attachCase(bytes, c) {
  const doc = JSON.parse(new TextDecoder().decode(bytes));
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new TypeError('a case travels only with a JSON object as content');
  }
  if ('case' in doc) throw new TypeError('the content already has a field named \'case\'');
  return new TextEncoder().encode(JSON.stringify({ ...doc, case: caseJson(c) }));
}

/** What the survivor agreed may go onward, checked as pydantic checks Forwarding. */
export function forwarding(purpose, covers) {
  if (!SLUG.test(purpose)) {
    throw new RangeError('the purpose is a short code: lower-case letters, digits and dashes');
  }
  if (covers.length < 1 || covers.length > 64) {
    throw new RangeError('choose at least one part of the handoff the consent covers');
  }
  return { purpose, covers: [...covers] };
}

/** The case to seal onward (hub/api/casefile.py forward): the earlier record and `step`
 * (the handoff being forwarded), each cut down to what `fwd` covers. A covered field the
 * handoff does not have is refused, so a typo cannot silently send less than meant. */
export function forwardCase(prior, step, fwd) {
  const covers = new Set(fwd.covers);
  if (!covers.has(EVERYTHING)) {
    const unknown = [...covers].filter((k) => !(k in step.content)).sort();
    if (unknown.length) {
      throw new RangeError(`the handoff has no field ${unknown.join(', ')}; it has `
        + `${Object.keys(step.content).sort().join(', ')}`);
    }
  }
  const record = [...prior.record, step].map((s) => covered(s, covers));
  return { secret: prior.secret, record, forwarding: fwd };
}

function covered(step, covers) {
  if (covers.has(EVERYTHING)) return step;
  const kept = Object.fromEntries(Object.entries(step.content)
    .filter(([k]) => covers.has(k) || ALWAYS.includes(k)));
  return { ...step, content: kept };
}

/** An opened referral as a step of the record it goes onward in (cases.py step_of):
 * `content` its document without its case. */
export function stepOf(rid, opened, content) {
  let doc;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(content));
  } catch {
    doc = null;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    doc = { text: new TextDecoder().decode(content) };
  }
  return { referral: rid, sender: opened.sender.agency, destination: opened.header.destination,
    type: opened.header.referralType, sent_at: Number(opened.header.createdAt), content: doc };
}

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

// The roster log (docs/envelope.md, "Roster log"; mirrors hub/crypto/rosterlog.py): every
// roster the hub serves is in one append-only hash chain whose heads the hub signs. A device
// keeps the last head it verified and, on every roster it fetches, checks that the new head
// extends it and that the roster served is the newest the log holds for its agency.

import { TrustError } from './errors.js';
import { concat, fromHex, toHex, utf8 } from './fields.js';
import { verifySignature } from './keys.js';
import { H, equal } from './sodium.js';

export const GENESIS = new Uint8Array(32);
const HEAD_CONTEXT = utf8('ccr-hub roster log head v1\0');

export const rosterDigest = (signed) => H(concat(signed.body, signed.signature),
  { person: 'ccrhub-rdig-v1' });
export const entryHash = (entry) => H(entry, { person: 'ccrhub-rlog-v1' });

/** Python's canonical JSON of {"count", "head"}: sorted keys, no spaces. */
const headMessage = (count, head) => concat(HEAD_CONTEXT,
  utf8(JSON.stringify({ count, head: toHex(head) })));

/** A signed head from the hub's answer ({count, head, key, signature}, hex). */
export function logHead(view) {
  return Object.freeze({ count: view.count, head: fromHex(view.head), key: fromHex(view.key),
    signature: fromHex(view.signature) });
}

const fork = (message) => new TrustError('roster-log-fork', message);

function entryDoc(entry) {
  try {
    const doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(entry));
    if (Number.isInteger(doc.seq) && typeof doc.prev === 'string'
        && typeof doc.agency === 'string' && Number.isInteger(doc.version)
        && typeof doc.roster === 'string') return doc;
  } catch {
    // not JSON: refused below
  }
  return null;
}

/** The hash after each entry (bytes), the log's from `start`, following `prev`. */
export function chain(entries, start = 0, prev = GENESIS) {
  const out = [];
  entries.forEach((entry, i) => {
    const doc = entryDoc(entry);
    if (doc === null || doc.seq !== start + i || doc.prev !== toHex(prev)) {
      throw fork(`roster log entry ${start + i} does not follow the log this device saw: the `
        + 'hub is showing a different history');
    }
    prev = entryHash(entry);
    out.push(prev);
  });
  return out;
}

export class LogWitness {
  constructor({ key = null, count = 0, head = GENESIS, signature = new Uint8Array(0),
    latest = {} } = {}) {
    Object.assign(this, { key, count, head, signature, latest });
  }

  /** Where to fetch entries from to follow `shown` (null: nothing to fetch). */
  needs(shown) {
    this.#checkKey(shown);
    if (shown.count < this.count || (shown.count === this.count && !equal(shown.head, this.head))) {
      throw fork(`the hub showed a roster log that does not extend the one this device saw `
        + `(${this.count} entries): the hub is showing a different history; tell your agency admin`);
    }
    return shown.count > this.count ? this.count : null;
  }

  /** Follow the log from this witness's head through `entries` (bytes) to `shown`. */
  advance(entries, shown) {
    this.#checkKey(shown);
    if (entries.length !== shown.count - this.count) {
      throw fork('the hub sent the wrong number of roster log entries');
    }
    const hashes = chain(entries, this.count, this.head);
    if (hashes.length && !equal(hashes[hashes.length - 1], shown.head)) {
      throw fork("the roster log's entries do not end in the head the hub signed");
    }
    for (const entry of entries) {
      const doc = entryDoc(entry);
      this.latest[doc.agency] = [doc.version, doc.roster];
    }
    Object.assign(this, { count: shown.count, head: shown.head, signature: shown.signature });
  }

  /** The roster served is the newest the log holds for its agency. */
  checkServed(agency, signed) {
    const logged = this.latest[agency];
    if (!logged || logged[1] !== toHex(rosterDigest(signed))) {
      throw new TrustError('roster-not-logged', `the hub served a roster of ${agency} that is `
        + 'not the newest in its roster log: refused; tell your agency admin');
    }
  }

  #checkKey(shown) {
    if (!verifySignature(shown.key, headMessage(shown.count, shown.head), shown.signature)) {
      throw new TrustError('bad-log-head', 'the roster log head is not signed');
    }
    if (this.key === null) this.key = shown.key;
    else if (!equal(this.key, shown.key)) {
      throw new TrustError('roster-log-key',
        "the roster log is signed by another key than the hub's this device saw first");
    }
  }

  /** The same JSON document as hub/crypto/rosterlog.py LogWitness.doc. */
  toJSON() {
    return { key: this.key ? toHex(this.key) : null, count: this.count, head: toHex(this.head),
      signature: toHex(this.signature), latest: this.latest };
  }

  static fromJSON(doc) {
    if (!doc) return new LogWitness();
    return new LogWitness({ key: doc.key ? fromHex(doc.key) : null, count: doc.count,
      head: fromHex(doc.head), signature: fromHex(doc.signature ?? ''),
      latest: { ...doc.latest } });
  }
}

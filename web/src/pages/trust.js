// The agency roots this person pinned in this browser (each checked against a fingerprint
// read aloud or pasted) and the newest roster verified for each, kept in IndexedDB so that a
// roster is never accepted older than one seen before. Wraps the crypto module's TrustStore.

import { LogWitness, SignedRoster, TrustError, TrustStore, logHead } from '../crypto/index.js';

import { api, fromBase64, toBase64 } from './api.js';
import * as idb from './idb.js';

const keyOf = (agency, person) => `trust:${agency}/${person}`;

export class PageTrust {
  constructor(key, saved) {
    this.key = key;
    this.saved = saved ?? { pins: {}, rosters: {} };
    this.store = new TrustStore();
    this.log = LogWitness.fromJSON(this.saved.log); // the roster log as this browser saw it
  }

  static async load(agency, person, now) {
    const trust = new PageTrust(keyOf(agency, person), await idb.get(keyOf(agency, person)));
    for (const [id, root] of Object.entries(trust.saved.pins)) trust.store.pin(id, fromBase64(root));
    for (const [id, signed] of Object.entries(trust.saved.rosters)) {
      try {
        trust.store.acceptRoster(id, SignedRoster.fromJSON(signed), now);
      } catch {
        // expired since: the hub's current one is fetched before use
      }
    }
    return trust;
  }

  pinned(agency) {
    return this.store.roots.get(agency) ?? null;
  }

  /** Pin `agency`'s root offered by the hub, only if it matches the fingerprint the person
   * was given (TrustError 'fingerprint-mismatch' or 'fingerprint-typo' otherwise). */
  async pin(agency, rootPublic, fingerprint) {
    this.store.pin(agency, rootPublic, fingerprint);
    this.saved.pins[agency] = toBase64(rootPublic);
    await idb.put(this.key, this.saved);
  }

  /** Pin every root of a verified pin bundle (all or none); the agencies newly pinned. */
  async pinAll(pins) {
    const fresh = this.store.pinAll(pins);
    for (const [agency, root] of pins) this.saved.pins[agency] = toBase64(root);
    await idb.put(this.key, this.saved);
    return fresh;
  }

  /** Check the roster log the hub shows extends the one this browser saw, follow it, and
   * check the roster served is the newest it holds (docs/envelope.md, "Roster log"). */
  async #followLog(agency, view) {
    const shown = logHead(view.log);
    const start = this.log.needs(shown);
    if (start !== null) {
      const served = await api('GET', `/v1/roster-log?from=${start}`);
      const entries = served.entries.slice(0, shown.count - start).map((e) => new TextEncoder().encode(e));
      this.log.advance(entries, shown);
    }
    this.log.checkServed(agency, SignedRoster.fromJSON({ roster: view.roster,
      signature: view.signature }));
    this.saved.log = this.log.toJSON();
    await idb.put(this.key, this.saved);
  }

  /** `agency`'s current roster from the hub, verified against the pinned root (no rollback). */
  async refresh(agency, now) {
    if (!this.store.roots.has(agency)) {
      throw new TrustError('not-pinned', `${agency}'s root is not pinned in this browser: pin it `
        + 'by its fingerprint on the Device page first');
    }
    const view = await api('GET', `/v1/agencies/${encodeURIComponent(agency)}/roster`);
    if (view.log) await this.#followLog(agency, view);
    const current = this.store.rosters.get(agency);
    if (current && current.version === view.version && toBase64(current.signed.body) === view.roster) {
      return this.store.roster(agency, now);
    }
    const signed = { roster: view.roster, signature: view.signature };
    const roster = this.store.acceptRoster(agency, SignedRoster.fromJSON(signed), now);
    this.saved.rosters[agency] = signed;
    await idb.put(this.key, this.saved);
    return roster;
  }
}

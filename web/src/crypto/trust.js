// A device's trust store (mirrors hub/crypto/trust.py): the agency roots it pinned and the
// newest roster it verified for each. Pure data: persisting it is the caller's job.

import { TrustError } from './errors.js';
import { bytesEqual, seconds } from './fields.js';
import { matchesFingerprint } from './fingerprints.js';
import { verifyRoster } from './rosters.js';

export class TrustStore {
  constructor() {
    this.roots = new Map(); // agency -> root public key
    this.rosters = new Map(); // agency -> VerifiedRoster
  }

  /** Pin an agency's root; with a fingerprint read aloud or pasted, check it first. */
  pin(agency, rootPublic, fingerprint = null) {
    if (fingerprint !== null && !matchesFingerprint(rootPublic, fingerprint)) {
      throw new TrustError('fingerprint-mismatch',
        `the root offered for ${agency} does not match that fingerprint`);
    }
    const pinned = this.roots.get(agency);
    if (pinned !== undefined && !bytesEqual(pinned, rootPublic)) {
      throw new TrustError('pin-conflict', `${agency} is already pinned to another root`);
    }
    this.roots.set(agency, rootPublic);
  }

  /** Pin every root of a verified pin bundle, or none when one differs from a root already
   * pinned ('pin-conflict' naming it); the agencies newly pinned. */
  pinAll(pins) {
    const clash = [...pins].filter(([a, r]) => this.roots.has(a) && !bytesEqual(this.roots.get(a), r))
      .map(([a]) => a).sort();
    if (clash.length) {
      throw new TrustError('pin-conflict', `${clash.join(', ')} already pinned to another root here`);
    }
    const fresh = [...pins.keys()].filter((a) => !this.roots.has(a)).sort();
    for (const [agency, root] of pins) this.roots.set(agency, root);
    return fresh;
  }

  acceptRoster(agency, signed, now) {
    const root = this.roots.get(agency);
    if (root === undefined) {
      throw new TrustError('not-pinned', `${agency}'s root is not pinned; pin its fingerprint`);
    }
    const roster = verifyRoster(signed, root, { agency, now,
      previous: this.rosters.get(agency) ?? null });
    this.rosters.set(agency, roster);
    return roster;
  }

  roster(agency, now) {
    const roster = this.rosters.get(agency);
    if (roster === undefined) throw new TrustError('no-roster', `no verified roster for ${agency}`);
    if (seconds(now) >= roster.expiresAt) {
      throw new TrustError('roster-expired', `${agency}'s roster has expired`);
    }
    return roster;
  }

  /** This device's place among the recipients a sender sealing to the current roster would
   * take (senders seal to the group in roster order), or null. */
  expectedSlot(header, boxPublic, now) {
    const roster = this.rosters.get(header.destination);
    if (roster === undefined) return null;
    let recipients;
    try {
      recipients = roster.recipients(header.referralType, now);
    } catch (e) {
      if (e instanceof TrustError) return null;
      throw e;
    }
    const slot = recipients.findIndex((c) => bytesEqual(c.boxPublic, boxPublic));
    return slot < 0 ? null : slot;
  }

  /** The sender's certificate is listed in its agency's current verified roster, unexpired
   * and unrevoked. */
  isCurrentSender(cert, now) {
    try {
      return this.roster(cert.agency, now).currentDevice(cert, now);
    } catch (e) {
      if (e instanceof TrustError) return false;
      throw e;
    }
  }
}

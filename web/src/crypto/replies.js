// Referrals and replies as a device sends them (as hub/client/agent.py does): seal to the
// destination's escalation group taken from its verified roster, and replies on a referral's
// thread. A reply is an envelope of kind 2 whose thread id is the referral's envelope id.

import { EnvelopeError } from './errors.js';
import { bytesEqual } from './fields.js';
import { Kind, Urgency } from './header.js';
import { openEnvelope, seal } from './envelope.js';

export const DEFAULT_LIFETIME = 30 * 86400;

/** Seal a referral to the current escalation group of `referralType` at `destination`, as
 * listed in the roster `trust` verified against the pinned root. */
export function sealReferral(content, { sender, trust, destination, referralType, now,
  urgency = Urgency.URGENT, lifetime = DEFAULT_LIFETIME, attachments = [], envelopeId = null,
  rand }) {
  const recipients = trust.roster(destination, now).recipients(referralType, now);
  return seal(content, { sender, recipients, destination, referralType, urgency, now, lifetime,
    attachments, envelopeId, rand, kind: Kind.REFERRAL });
}

/** Seal a reduced copy of referral `referralId` (its narrative purged) to this device's own
 * agency's escalation group for the type: kind 3, living no longer than the original. */
export function sealReduced(content, { sender, trust, referralId, agency, referralType, now,
  urgency, expiresAt, rand }) {
  const recipients = trust.roster(agency, now).recipients(referralType, now);
  return seal(content, { sender, recipients, destination: agency, referralType, urgency, now,
    lifetime: Math.max(1, Number(BigInt(expiresAt) - BigInt(now))), kind: Kind.REDUCED,
    threadId: referralId, rand });
}

/**
 * Seal a reply on the thread of referral `referralId` (its 16-byte envelope id) to the other
 * side's escalation group: `otherAgency` is the referral's sender agency when this device is
 * on the receiving side, its destination otherwise.
 */
export function sealReply(content, { sender, trust, referralId, otherAgency, referralType, now,
  lifetime = DEFAULT_LIFETIME, attachments = [], rand, drill = false }) {
  const recipients = trust.roster(otherAgency, now).recipients(referralType, now);
  return seal(content, { sender, recipients, destination: otherAgency, referralType,
    urgency: Urgency.ROUTINE, now, lifetime, kind: Kind.REPLY, threadId: referralId,
    attachments, rand, drill });
}

/** Open a reply and check it is one, on the thread of `referralId`: anything else is the one
 * uniform rejection. */
export function openReply(data, { referralId, device, trust, now, replay = null }) {
  const opened = openEnvelope(data, { device, trust, now, replay });
  if (opened.header.kind !== Kind.REPLY || !bytesEqual(opened.header.threadId, referralId)) {
    throw new EnvelopeError('not-a-reply-on-this-thread');
  }
  return opened;
}

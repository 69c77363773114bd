// Keys follow the staff (docs/envelope.md, "Key grants"). Once this browser's device is
// unlocked, it hands every open referral of the agency's inbox that it can read to the
// escalation group's devices approved after the referral was sealed, in the background, with
// its progress shown; and a device that was not sealed to a referral opens it with a grant
// addressed to it. It runs again only when the agency publishes a new roster (new devices
// only ever arrive with one).

import {
  EnvelopeError, Granter, TrustError, openEnvelope, openWithGrant, parseHeader, toHex,
} from '../crypto/index.js';

import { api, fromBase64, toBase64 } from './api.js';
import { $, el, nowSeconds, say } from './dom.js';
import * as idb from './idb.js';

const OPEN = 'requested,received,accepted,in-progress';
const PAGE = 100;
const doneKey = (agency, person) => `handover:${agency}/${person}`;

/** Open `data` (the referral's envelope or a reply's) as a recipient, or with a grant the hub
 * holds for this device. `rid`: the referral. Any refusal is the one EnvelopeError. */
export async function openSealed(data, { rid, device, trust, now, opener = openEnvelope }) {
  try {
    return opener(data, { device, trust, now });
  } catch (error) {
    if (!(error instanceof EnvelopeError) || error.reason !== 'not-a-recipient') throw error;
    const eid = toHex(parseHeader(data).envelopeId);
    const me = toHex(device.certificate.deviceId);
    const { grants } = await api('GET', `/v1/referrals/${rid}/grants`);
    const grant = grants.find((g) => g.envelope_id === eid && g.grantee === me);
    if (!grant) throw error;
    return openWithGrant(data, fromBase64(grant.grant), { device, trust, now });
  }
}

async function openReferrals() {
  const rids = [];
  for (;;) {
    const { referrals } = await api('GET', `/v1/inbox?status=${OPEN}&offset=${rids.length}&limit=${PAGE}`);
    rids.push(...referrals.map((r) => r.id));
    if (referrals.length < PAGE) return rids;
  }
}

/** The grants this device makes for one referral (its envelope and the replies to this
 * agency) to the group's current devices that cannot read it yet; [] when none is missing. */
async function grantsFor(rid, { granter, roster, agency, now }) {
  const view = await api('GET', `/v1/referrals/${rid}`);
  const { readers } = await api('GET', `/v1/referrals/${rid}/grants`);
  let group;
  try {
    group = roster.recipients(view.type, now);
  } catch (error) {
    if (error instanceof TrustError) return []; // no device of the group left
    throw error;
  }
  const missing = group.filter((c) => !readers.includes(toHex(c.deviceId)));
  if (missing.length === 0) return [];
  const data = await api('GET', `/v1/referrals/${rid}/envelope?for=grant`, { binary: true });
  const made = missing.map((c) => granter.grant(data, c, { rosterVersion: roster.version, now }));
  const { replies } = await api('GET', `/v1/referrals/${rid}/replies`);
  for (const reply of replies.filter((r) => r.to_agency === agency)) {
    const header = parseHeader(await api('GET', `/v1/referrals/${rid}/replies/${reply.id}`,
      { binary: true }));
    try {
      made.push(...missing.map((c) => granter.grant(header, c, { rosterVersion: roster.version, now })));
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error; // sealed before this device joined
    }
  }
  return made;
}

function progressLine() {
  let line = $('#handover');
  if (!line) {
    line = el('p', { id: 'handover', hidden: true });
    ($('#unlock') ?? document.body).after(line);
  }
  return line;
}

/** Hand on, in the background, what this device can read; shows its progress in #handover.
 * Resolves with {granted, readable, notMine} (null when nothing had to be checked). */
export async function handOver({ device, trust }) {
  const { agency, person } = device.certificate;
  const now = nowSeconds();
  const roster = await trust.refresh(agency, now);
  const done = await idb.get(doneKey(agency, person));
  if (done === roster.version) return null; // no new device since the last run
  const line = progressLine();
  const rids = await openReferrals();
  const granter = new Granter(device);
  const tally = { granted: 0, readable: 0, notMine: 0 };
  for (const [i, rid] of rids.entries()) {
    say(line, `Handing open referrals to your group's new devices: ${i + 1} of ${rids.length}…`, 'busy');
    try {
      const grants = await grantsFor(rid, { granter, roster: roster, agency, now });
      if (grants.length === 0) {
        tally.readable += 1;
      } else {
        await api('POST', `/v1/referrals/${rid}/grants`, { json: { grants: grants.map(toBase64) } });
        tally.granted += 1;
      }
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error;
      tally.notMine += 1; // not sealed to this device: another device or the recovery key
    }
  }
  await idb.put(doneKey(agency, person), roster.version);
  say(line, tally.granted
    ? `Handed ${tally.granted} open referral${tally.granted === 1 ? '' : 's'} to your group's new devices.`
    : '');
  line.dataset.done = JSON.stringify(tally);
  return tally;
}

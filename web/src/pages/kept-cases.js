// The case secrets of the referrals this browser sent (as `hub send` keeps them in
// cases.json): the sender cannot open its own envelope again, so its device keeps each
// case's secret to put the case together later (case-page.js). Kept in IndexedDB beside the
// device's key file, each sealed to the device's own box key (crypto_box_seal), so only the
// unlocked device reads them back; the hub never sees them.

import { sodium } from '../crypto/sodium.js';

import * as idb from './idb.js';

const keyOf = (agency, person) => `cases:${agency}/${person}`;

/** Keep the case secret of referral `rid`, sent from `device` (unlocked). */
export async function keepCase(device, rid, secret) {
  const { agency, person } = device.certificate;
  const kept = (await idb.get(keyOf(agency, person))) ?? {};
  kept[rid] = sodium.crypto_box_seal(secret, device.keys.boxPublic);
  await idb.put(keyOf(agency, person), kept);
}

/** The case secret this device kept for referral `rid`, or null. */
export async function keptCase(device, rid) {
  const { agency, person } = device.certificate;
  const sealed = ((await idb.get(keyOf(agency, person))) ?? {})[rid];
  if (!sealed) return null;
  try {
    return sodium.crypto_box_seal_open(sealed, device.keys.boxPublic, device.keys.boxSecret);
  } catch {
    return null; // sealed by keys this device no longer has (restored from another backup)
  }
}

// Unlocking this browser's device on a page: the passphrase opens the key file kept in
// IndexedDB (argon2id), the agency's roster (verified against the pinned root) must list the
// device's certificate, and the keys stay in this page's memory until the page is left.

import { DeviceIdentity, EnvelopeError, TrustError } from '../crypto/index.js';

import { ApiError } from './api.js';
import { $, busy, el, nowSeconds, say, show } from './dom.js';
import { gettext } from './i18n.js';
import { PageTrust } from './trust.js';
import { Vault } from './vault.js';

/** Something the person should do differently, said in words for them. */
export class Problem extends Error {}

/** What went wrong, for a person: the hub's message, a trust problem's message, or the one
 * uniform "envelope rejected" for anything refused while opening. */
export function explain(error) {
  if (error instanceof ApiError || error instanceof Problem) return error.message;
  if (error instanceof EnvelopeError && error.reason === 'not-a-recipient') {
    return gettext('This referral was sealed before this device was approved, so this device '
      + 'cannot open it. Ask a colleague whose device can open it.');
  }
  if (error instanceof EnvelopeError) {
    return gettext('This envelope was refused: it may have been altered, or it was not sealed to '
      + 'this device. Nothing in it was shown. Tell your agency admin.');
  }
  if (error instanceof TrustError) {
    if (error.reason === 'bad-passphrase') return gettext('That passphrase does not unlock this device.');
    return error.message || `not trusted (${error.reason})`;
  }
  console.error(error); // eslint-disable-line no-console
  return gettext('Something went wrong in this page; reload it and try again.');
}

const frame = () => new Promise((resolve) => { requestAnimationFrame(() => setTimeout(resolve, 0)); });

async function open(vault, passphrase, agency, person) {
  await frame(); // let "Unlocking…" show before argon2id holds the page
  const keys = vault.unlock(passphrase);
  const now = nowSeconds();
  const trust = await PageTrust.load(agency, person, now);
  const roster = await trust.refresh(agency, now);
  const certificate = await vault.findCertificate(roster, now);
  if (certificate === null) {
    throw new TrustError('not-approved', gettext('Your agency admin has not approved this device '
      + 'yet (or its approval was withdrawn): see the Device page.'));
  }
  return { device: new DeviceIdentity(keys, certificate), trust, vault };
}

/** Resolves with {device, trust, vault} once the person has unlocked the device in the page's
 * #unlock panel. */
export async function unlockDevice({ agency, person }) {
  const panel = $('#unlock');
  const form = $('#unlock-form');
  const status = $('#unlock-status');
  const vault = await Vault.load(agency, person);
  if (!vault.exists) {
    show(form, false);
    say(status, `${gettext('This browser is not set up as your device yet.')} `, 'alert');
    status.append(el('a', { href: '/device', text: gettext('Set it up on the Device page.') }));
    return new Promise(() => {}); // nothing to unlock
  }
  show(panel);
  $('#unlock-pass').focus();
  return new Promise((resolve) => {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const input = $('#unlock-pass');
      try {
        const unlocked = await busy(form.querySelector('button'), status, gettext('Unlocking…'),
          () => open(vault, input.value, agency, person));
        input.value = '';
        say(status, '');
        show(panel, false);
        document.body.dataset.unlocked = 'yes';
        resolve(unlocked);
      } catch (error) {
        say(status, explain(error), 'alert');
      }
    });
  });
}

// /device: set this browser up as the signed-in person's device (keys made here, kept
// encrypted under a passphrase), hand the agency admin the device request and the
// fingerprint, keep an encrypted key backup, restore from one, find the admin's approval in
// the agency's roster, and pin partner agencies' roots by fingerprint.

import { openPinBundle, shortFingerprint } from '../crypto/index.js';
import { bytesEqual } from '../crypto/fields.js';

import { api, fromBase64 } from './api.js';
import { $, busy, download, el, nowSeconds, say, show, when } from './dom.js';
import { showPush } from './push.js';
import { gettext } from './i18n.js';
import { PageTrust } from './trust.js';
import { explain } from './unlock.js';
import { Vault } from './vault.js';

export async function devicePage(root) {
  const { agency, person } = root.dataset;
  const status = $('#status');
  const vault = await Vault.load(agency, person);
  const trust = await PageTrust.load(agency, person, nowSeconds());
  const page = { agency, person, status, vault, trust };

  const refresh = async () => {
    show($('#setup'), !vault.exists);
    show($('#device'), vault.exists);
    if (vault.exists) await showDevice(page);
    await tellHub(page);
  };
  wireSetup(page, refresh);
  wireDevice(page, refresh);
  wireBundle(page, refresh);
  await refresh();
  await showPins(page, refresh);
}

/** A pin bundle from the agency admin: every root it holds is pinned once the admin's own
 * agency fingerprint, read aloud, matches the key that signed it. */
function wireBundle(page, refresh) {
  $('#bundle-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = $('#bundle-file').files[0];
    if (!file) {
      say(page.status, gettext('Choose the pin bundle file your agency admin gave you first.'), 'alert');
      return;
    }
    try {
      const bundle = openPinBundle(new Uint8Array(await file.arrayBuffer()), $('#bundle-fingerprint').value);
      const fresh = await page.trust.pinAll(bundle.pins);
      $('#bundle-form').reset();
      say(page.status, gettext('Pin bundle of %(agency)s imported: %(fresh)s agencies newly pinned, '
        + '%(old)s already were.', { agency: bundle.agency, fresh: fresh.length,
        old: bundle.pins.size - fresh.length }));
      await showPins(page, refresh);
      await refresh();
    } catch (error) {
      say(page.status, gettext('NOT imported: %(why)s Ask your agency admin to read you your '
        + 'agency\'s fingerprint again.', { why: explain(error) }), 'alert');
    }
  });
}

const frame = () => new Promise((resolve) => { requestAnimationFrame(() => setTimeout(resolve, 0)); });

function wireSetup({ vault, status }, refresh) {
  $('#setup-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const [pass, again] = [$('#setup-pass').value, $('#setup-pass2').value];
    if (pass !== again) {
      say(status, gettext('The two passphrases differ; type them again.'), 'alert');
      return;
    }
    try {
      await busy(event.submitter, status, gettext('Making this device\'s keys…'), async () => {
        await frame();
        await vault.create(pass);
      });
      $('#setup-form').reset();
      say(status, gettext('Device keys made. Now send the device request to your agency admin '
        + 'and read them the fingerprint.'));
      await refresh();
    } catch (error) {
      say(status, explain(error), 'alert');
    }
  });
  $('#restore-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = $('#restore-file').files[0];
    if (!file) {
      say(status, gettext('Choose the key backup file first.'), 'alert');
      return;
    }
    try {
      await busy(event.submitter, status, gettext('Restoring…'), async () => {
        await vault.restore(new Uint8Array(await file.arrayBuffer()), $('#restore-pass').value);
      });
      $('#restore-form').reset();
      say(status, gettext('Device keys restored from the backup.'));
      await refresh();
    } catch (error) {
      say(status, explain(error), 'alert');
    }
  });
}

function wireDevice({ vault, status, person, agency, trust }, refresh) {
  $('#download-request').addEventListener('click', () => {
    download(`device-request-${person}.json`, new TextEncoder().encode(vault.request()),
      'application/json');
  });
  $('#download-backup').addEventListener('click', () => {
    download(`ccr-device-key-${person}.json`, new TextEncoder().encode(vault.record.keyFile),
      'application/json');
  });
  $('#check-approval').addEventListener('click', async (event) => {
    try {
      await busy(event.target, status, gettext('Looking for this device in your agency\'s roster…'),
        () => checkApproval({ vault, trust, agency }));
      // approved is good news; not approved yet is a state to act on, not a success
      if (vault.certificate()) say(status, gettext('This device is approved.'));
      else {
        say(status, gettext('Not approved yet: your agency admin has not published a roster '
          + 'with this device.'), 'waiting');
      }
      await refresh();
    } catch (error) {
      say(status, explain(error), 'alert');
    }
  });
  $('#forget').addEventListener('click', async () => {
    if (!window.confirm(gettext('Forget this device? Without a key backup, what was sealed to '
      + 'it can no longer be opened here.'))) return;
    await vault.forget();
    say(status, gettext('This browser no longer holds your device keys.'));
    await refresh();
  });
}

async function checkApproval({ vault, trust, agency }) {
  const now = nowSeconds();
  const roster = await trust.refresh(agency, now);
  return vault.findCertificate(roster, now);
}

async function showDevice(page) {
  const { vault, trust, agency } = page;
  $('#fingerprint').textContent = vault.fingerprint();
  if (!vault.certificate() && trust.pinned(agency)) {
    try {
      await checkApproval(page);
    } catch {
      // shown when the person checks
    }
  }
  const cert = vault.certificate();
  const approval = $('#approval');
  approval.textContent = cert
    ? gettext('Approved for %(person)s at %(agency)s until %(until)s',
      { person: cert.person, agency: cert.agency, until: when(cert.expiresAt) })
    : gettext('Waiting for your agency admin to approve this device');
  approval.className = cert ? 'approved' : 'waiting';
  $('#device').dataset.approved = cert ? 'yes' : 'no';
  await showPush(cert, page.status);
}

async function showPins(page, refresh) {
  const body = $('#pin-table tbody');
  let agencies;
  try {
    ({ agencies } = await api('GET', '/v1/agencies'));
  } catch (error) {
    say(page.status, explain(error), 'alert');
    return;
  }
  body.replaceChildren(...agencies.map((a) => pinRow(page, a, refresh)));
  page.agencies = agencies;
  await tellHub(page);
}

/** Tell the hub what this page set up (keys made here, the roots pinned that match what it
 * offers), for the checklist on the person's start page; the keys and pins stay here. */
async function tellHub(page) {
  if (!page.agencies) return;
  const pinned = page.agencies.filter((a) => {
    const mine = page.trust.pinned(a.id);
    return mine && a.root_public_key && bytesEqual(mine, fromBase64(a.root_public_key));
  }).map((a) => a.id);
  try {
    await api('PUT', '/v1/me/setup', { json: { device_made: page.vault.exists, pinned } });
  } catch {
    // the checklist waits for the next visit; nothing on this page depends on it
  }
}

function pinRow(page, agency, refresh) {
  const offered = agency.root_public_key ? fromBase64(agency.root_public_key) : null;
  const pinned = page.trust.pinned(agency.id);
  const row = el('tr', { 'data-agency': agency.id },
    el('td', { class: 'title' }, el('strong', { text: agency.name }), el('br'),
      el('small', { text: agency.id })));
  if (offered === null) {
    row.append(el('td', { colspan: 2, class: 'muted wide', text: gettext('No root registered on the hub yet') }));
  } else if (pinned && bytesEqual(pinned, offered)) {
    row.append(el('td', { class: 'pinned', text: gettext('Pinned') }),
      el('td', { 'data-label': gettext('Fingerprint') }, el('code', { text: shortFingerprint(pinned) })));
  } else if (pinned) {
    row.append(el('td', { colspan: 2, class: 'alert wide', text: gettext('The hub now offers another root '
      + 'than the one you pinned. Do not send or open anything for this agency; call them and '
      + 'your agency admin.') }));
  } else {
    row.append(el('td', { class: 'muted', text: gettext('Not pinned') }),
      el('td', { class: 'wide' }, pinForm(page, agency, offered, refresh)));
  }
  return row;
}

function pinForm(page, agency, offered, refresh) {
  const input = el('input', { type: 'text', autocomplete: 'off', spellcheck: 'false',
    'aria-label': gettext('Fingerprint of %(agency)s', { agency: agency.name }),
    placeholder: gettext('CCR1-… or the 60 digits') });
  const form = el('form', { class: 'inline pin' }, input,
    el('button', { type: 'submit', text: gettext('Pin') }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await page.trust.pin(agency.id, offered, input.value);
      say(page.status, gettext('%(agency)s pinned.', { agency: agency.name }));
      await showPins(page, refresh);
      await refresh();
    } catch (error) {
      const mismatch = error.reason === 'fingerprint-mismatch';
      say(page.status, mismatch ? gettext('NOT pinned: the root the hub offers for %(agency)s does '
        + 'not match that fingerprint. Call them back on a number you know and compare again.',
      { agency: agency.name }) : explain(error), 'alert');
    }
  });
  return form;
}

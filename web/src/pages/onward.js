// "Refer onward" on a referral's page, for the agency that received it (as `hub case
// forward` does, hub/client/cases.py refer_onward): the referral opened here goes on to the
// next agency inside a new envelope, cut down to the fields the survivor's consent covers,
// with the earlier record it carried and this agency's notes. The hub sees the new
// referral's parent, its consent metadata and the case's link id for the new pair; never
// the record or the case secret.

import { Urgency, linkId, sealReferral, toHex } from '../crypto/index.js';

import { api, toBase64 } from './api.js';
import { EVERYTHING, attachCase, detachCase, forwardCase, forwarding, newCase,
  stepOf } from './casefile.js';
import { consentMetadata, referralContent } from './contents.js';
import { $, $$, busy, el, nowSeconds, say, show } from './dom.js';
import { gettext } from './i18n.js';
import { keepCase } from './kept-cases.js';
import { Problem, explain } from './unlock.js';

const URGENCY = { routine: Urgency.ROUTINE, urgent: Urgency.URGENT, emergent: Urgency.EMERGENT };
const HIDDEN = new Set(['kind', 'case', 'attachment_names']);

/** Offer the form once the referral `t.opened` is open in this page. */
export function offerOnward(t) {
  const card = $('#onward');
  if (!card || t.opened === null) return;
  const { content } = detachCase(t.opened.content);
  let doc = {};
  try {
    doc = JSON.parse(new TextDecoder().decode(content));
  } catch { /* a referral as text: only "everything" can go onward */ }
  const fields = Object.keys(doc ?? {}).filter((k) => !HIDDEN.has(k));
  const tick = (value, words) => el('label', { class: 'check' },
    el('input', { type: 'checkbox', value, 'data-cover': '' }), ` ${words}`);
  $('#onward-covers').replaceChildren($('#onward-covers legend'),
    ...fields.map((f) => tick(f, f.replaceAll('_', ' '))),
    tick(EVERYTHING, gettext('All of it')));
  show(card);
}

export function wireOnward(t) {
  const form = $('#onward-form');
  if (!form) return;
  const to = $('#onward-to');
  const type = $('#onward-type');
  const choices = [...$('#onward-type-options').content.querySelectorAll('option')];
  const pickTypes = () => {
    const allowed = to.selectedOptions[0]?.dataset.types.split(' ') ?? [];
    type.replaceChildren(...choices.filter((o) => allowed.includes(o.value)).map((o) => o.cloneNode(true)));
  };
  to.addEventListener('change', pickTypes);
  pickTypes();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const view = await busy(event.submitter, t.status,
        gettext('Sealing the record in this browser…'), () => referOnward(t));
      $('#onward-link').href = `/inbox/${view.id}`;
      $('#onward-link').textContent = view.id.slice(0, 8);
      show($('#onward-done'));
      say(t.status, gettext('Referred onward with the record.'));
    } catch (error) {
      say(t.status, gettext('Not sent: %(why)s', { why: explain(error) }), 'alert');
    }
  });
}

async function referOnward(t) {
  if (t.opened === null) throw new Problem(gettext('Open the referral before referring onward.'));
  const { device, trust } = t.unlocked;
  const now = nowSeconds();
  const destination = $('#onward-to').value;
  const type = $('#onward-type').value;
  const schema = await api('GET', `/v1/schemas/${type}.json`).catch(() => null);
  const notes = referralContent(type, [{ path: 'text', value: $('#onward-notes').value,
    type: 'textarea' }], [], schema);
  const consent = consentMetadata({ destination, referralType: type, givenAt: now,
    days: Number($('#onward-consent-days').value), method: $('#onward-consent-method').value,
    documentedBy: $('#onward-consent-by').value.trim(), now });
  const wrong = notes.errors?.[0] ?? consent.errors?.[0];
  if (wrong) throw new Problem(`${wrong.loc.at(-1)}: ${wrong.msg}`);
  const purpose = $('#onward-purpose').value.trim();
  const covers = $$('#onward-covers [data-cover]').filter((e) => e.checked).map((e) => e.value);
  if (!covers.length) throw new Problem(gettext('choose at least one part of the handoff the survivor\'s consent covers'));
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(purpose)) {
    throw new Problem(gettext('write the purpose as a short code: lower-case letters, digits and dashes, e.g. counseling'));
  }
  let next;
  try {
    const fwd = forwarding(purpose, covers);
    const { content, case: prior } = detachCase(t.opened.content);
    next = forwardCase(prior ?? newCase(), stepOf(t.rid, t.opened, content), fwd);
  } catch (error) {
    if (error instanceof RangeError) throw new Problem(error.message);
    throw error;
  }
  await trust.refresh(destination, now);
  const urgency = $('#onward-type').selectedOptions[0]?.dataset.urgency ?? 'urgent';
  const sealed = sealReferral(attachCase(notes.bytes, next), { sender: device,
    trust: trust.store, destination, referralType: type, now, urgency: URGENCY[urgency] });
  const view = await api('POST', '/v1/referrals', { json: { envelope: toBase64(sealed.envelope),
    consent: consent.consent, parent: t.rid,
    case_link: toHex(linkId(next.secret, t.agency, destination)) } });
  await keepCase(device, view.id, next.secret);
  return view;
}

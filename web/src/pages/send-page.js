// /send: a referral written in a form, checked as the SDK's models check it, sealed in this
// browser to the destination's escalation group (its roster verified against the pinned
// root), with its attachments, and submitted with the consent metadata the hub requires.
// The form's fields have no `name`: the browser itself never submits them anywhere. Each
// referral starts the survivor's case (casefile.js): a random secret sealed beside the form,
// its link id for the pair told to the hub, the secret kept on this device (kept-cases.js).

import { MAX_ATTACHMENTS } from '../crypto/header.js';
import { Urgency, linkId, sealReferral, toHex } from '../crypto/index.js';

import { ApiError, api, toBase64 } from './api.js';
import { attachCase, newCase } from './casefile.js';
import { HANDOFF, consentMetadata, hasForm, referralContent, schemaField } from './contents.js';
import { $, $$, busy, el, nowSeconds, say, show, when } from './dom.js';
import { gettext } from './i18n.js';
import { keepCase } from './kept-cases.js';
import { Problem, explain, unlockDevice } from './unlock.js';

const URGENCY = { routine: Urgency.ROUTINE, urgent: Urgency.URGENT, emergent: Urgency.EMERGENT };
const HUMAN = {
  missing: () => gettext('fill this in'), too_short: () => gettext('choose at least one'),
  int_type: () => gettext('a whole number'), int_parsing: () => gettext('a whole number'),
  int_from_float: () => gettext('a whole number'), greater_than_equal: () => gettext('0 or more'),
  string_pattern_mismatch: () => gettext('a time such as 09:30'),
  string_too_short: () => gettext('write something'),
};

/** The form's inputs under `root` as contents.js formToDoc reads them. */
export function entries(root) {
  return $$('[data-path]', root).filter((e) => !e.closest('[hidden]')).map((e) => ({
    path: e.dataset.path, type: e.type, value: e.value, checked: e.checked,
    multi: 'multi' in e.dataset }));
}

/** Each referral type's JSON Schema, as the hub serves it (/v1/schemas), given with the page. */
function schemas() {
  return JSON.parse(document.querySelector('meta[name="schemas"]')?.content ?? '{}');
}

/** The part of the form a field's input sits in: its label, or its group of checkboxes. */
const holderOf = (input) => input.closest('fieldset[data-group]') ?? input.closest('label');

/**
 * The form as the chosen type's schema says it: a field its form hides is not shown (and so
 * not sent), a field it renames is called so, and "required" is shown only where the schema
 * requires it. A type without a form of its own keeps the page's own words.
 */
export function fitForm(schema) {
  const own = hasForm(schema);
  const parts = [$('#handoff'), ...$$('.handoff-only'), $('#generic')];
  for (const input of parts.flatMap((part) => $$('[data-path]', part))) {
    const holder = holderOf(input);
    if (!holder) continue;
    const found = own ? schemaField(schema, input.dataset.path) : { field: {}, required: null };
    holder.hidden = found === null;
    const words = holder.matches('label') ? holder.firstChild : holder.querySelector('legend')?.firstChild;
    if (words?.nodeType === Node.TEXT_NODE) {
      holder.dataset.words ??= words.textContent;
      words.textContent = found?.field['x-label'] ? `${found.field.title} ` : holder.dataset.words;
    }
    const mark = holder.querySelector(':scope > .req, :scope > legend > .req');
    if (mark && found && found.required !== null) mark.hidden = !found.required;
    if (mark && !own) mark.hidden = false;
  }
}

export async function sendPage(root) {
  const { agency, person } = root.dataset;
  const page = { agency, person, root, maxBody: Number(root.dataset.maxBody),
    status: $('#send-status'), pending: null };
  const form = $('#send-form');
  form.addEventListener('submit', (event) => event.preventDefault());
  wireChoices();
  resetDefaults();
  page.unlocked = await unlockDevice({ agency, person });
  $('#send-fields').disabled = false;
  form.addEventListener('input', () => { page.pending = null; });
  form.addEventListener('submit', (event) => send(page, event.submitter));
}

function wireChoices() {
  const destination = $('#destination');
  const type = $('#type');
  const choices = [...$('#type-options').content.querySelectorAll('option')];
  const pickTypes = () => {
    const allowed = destination.selectedOptions[0]?.dataset.types.split(' ') ?? [];
    type.replaceChildren(...choices.filter((o) => allowed.includes(o.value)).map((o) => o.cloneNode(true)));
    pickType();
  };
  const forms = schemas();
  const pickType = () => {
    const schema = forms[type.value];
    const base = schema?.['x-form']?.base ?? (type.value === HANDOFF ? HANDOFF : 'text');
    const handoff = base === HANDOFF;
    show($('#handoff'), handoff);
    $$('.handoff-only').forEach((e) => show(e, handoff));
    show($('#generic'), !handoff);
    fitForm(schema);
    $('#urgency').value = type.selectedOptions[0]?.dataset.urgency ?? 'urgent';
  };
  destination.addEventListener('change', pickTypes);
  type.addEventListener('change', pickType);
  pickTypes();
}

function localNow() {
  const at = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
  return at.toISOString().slice(0, 16);
}

function resetDefaults() {
  $('#consent-given').value = localNow();
  $('#consent-days').value = '30';
}

function clearErrors() {
  $$('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  $$('.field-error').forEach((e) => e.remove());
  show($('#errors'), false);
}

/** A field's name as the form shows it: its label's own text, or its group's legend. */
function labelOf(node) {
  const label = node?.closest('label') ?? (node?.matches('label') ? node : null);
  const legend = node?.matches('fieldset') ? node.querySelector(':scope > legend') : null;
  return (label ?? legend)?.firstChild?.textContent.trim() ?? '';
}

function showErrors(errors) {
  const list = $('#errors ul');
  list.replaceChildren();
  for (const error of errors) {
    const path = error.loc.join('.');
    // the field itself, its group, or (for a part left empty, e.g. the survivor) its first field
    const target = $(`[data-path="${path}"]`) ?? $(`[data-group="${path}"]`)
      ?? $(`[data-consent="${error.loc[1]}"]`) ?? $(`[data-path^="${path}."]`);
    const message = HUMAN[error.type]?.() ?? error.msg;
    if (target) {
      target.setAttribute('aria-invalid', 'true');
      target.after(el('span', { class: 'field-error', text: message }));
    }
    list.append(el('li', { 'data-loc': path, text: `${labelOf(target) || path}: ${message}` }));
  }
  show($('#errors'));
  $('#errors').scrollIntoView({ block: 'start' });
}

function readConsent(page, type, now) {
  const given = new Date($('#consent-given').value).getTime();
  return consentMetadata({ destination: $('#destination').value, referralType: type,
    givenAt: Number.isNaN(given) ? Number.NaN : Math.floor(given / 1000),
    days: Number($('#consent-days').value), method: $('#consent-method').value,
    documentedBy: page.person, shareOutcome: $('#consent-share').checked, now });
}

async function readFiles(page) {
  const files = [...$('#attachments').files];
  if (files.length > MAX_ATTACHMENTS) {
    throw new Problem(gettext('at most %(num)s attachments', { num: MAX_ATTACHMENTS }));
  }
  const big = files.find((f) => f.size + 1024 > page.maxBody);
  if (big) {
    throw new Problem(gettext('%(name)s is too large for this hub (%(max)s bytes at most)',
      { name: big.name, max: page.maxBody }));
  }
  return Promise.all(files.map(async (f) => new Uint8Array(await f.arrayBuffer())));
}

/** Check, seal and submit; a failed submission keeps the sealed envelope so that sending
 * again is the same referral (the hub answers 200 for the same bytes). */
async function send(page, button) {
  clearErrors();
  const now = nowSeconds();
  const type = $('#type').value;
  const names = [...$('#attachments').files].map((f) => f.name);
  const schema = schemas()[type];
  const handoff = (schema?.['x-form']?.base ?? (type === HANDOFF ? HANDOFF : 'text')) === HANDOFF;
  const content = referralContent(type, entries(handoff ? $('#send-fields') : $('#generic')),
    names, schema);
  const consent = readConsent(page, type, now);
  const errors = [...(content.errors ?? []), ...(consent.errors ?? [])];
  if (errors.length) {
    say(page.status, ''); // one banner: the list of what to fix, each field marked
    showErrors(errors);
    return;
  }
  try {
    const view = await busy(button, page.status, gettext('Sealing in this browser…'), async () => {
      page.pending ??= await seal(page, type, content.bytes, consent.consent, now);
      return submit(page, page.pending);
    });
    page.pending = null;
    done(page, view);
  } catch (error) {
    const retry = error instanceof ApiError && (error.status === 0 || error.status >= 500);
    if (!retry) page.pending = null;
    say(page.status, retry ? gettext('Not sent: %(why)s Send again to retry.', { why: explain(error) })
      : gettext('Not sent: %(why)s', { why: explain(error) }), 'alert');
  }
}

async function seal(page, type, bytes, consent, now) {
  const { device, trust } = page.unlocked;
  const destination = $('#destination').value;
  const attachments = await readFiles(page);
  await trust.refresh(destination, now);
  const started = newCase();
  const sealed = sealReferral(attachCase(bytes, started), { sender: device, trust: trust.store,
    destination, referralType: type, now, urgency: URGENCY[$('#urgency').value], attachments });
  return { sealed, consent, secret: started.secret,
    link: toHex(linkId(started.secret, page.agency, destination)) };
}

async function submit(page, { sealed, consent, secret, link }) {
  say(page.status, gettext('Sending the sealed envelope…'), 'busy');
  const view = await api('POST', '/v1/referrals', { json: {
    envelope: toBase64(sealed.envelope), consent, case_link: link } });
  await keepCase(page.unlocked.device, view.id, secret);
  for (const [index, blob] of sealed.attachments.entries()) {
    say(page.status, gettext('Sending sealed attachment %(num)s of %(all)s…',
      { num: index + 1, all: sealed.attachments.length }), 'busy');
    await api('PUT', `/v1/referrals/${view.id}/attachments/${index}`, { bytes: blob });
  }
  return view;
}

function done(page, view) {
  $('#send-form').reset();
  resetDefaults();
  $('#type').dispatchEvent(new Event('change'));
  say(page.status, '');
  const sent = $('#sent');
  sent.dataset.referral = view.id;
  $('#sent-reference').textContent = view.id.slice(0, 8);
  $('#sent-due').textContent = gettext('It must be acknowledged by %(due)s.', { due: when(view.ack_due_at) });
  $('#sent-link').href = `/inbox/${view.id}`;
  show(sent);
  sent.scrollIntoView({ block: 'start' });
}

// What was opened, shown in the page (as text nodes only): a discharge handoff as a readable
// form with the safe-contact preferences first and prominent, a reply, or other content.

import { SafeContact, validate } from './contents.js';
import { el } from './dom.js';
import { gettext, languageName } from './i18n.js';

const N_ = (message) => message; // marked for the catalog, translated where shown
const CHANNELS = { phone: N_('Phone call'), sms: N_('Text message (SMS)'), email: N_('Email'),
  'in-person': N_('In person'), 'through-advocate': N_('Only through an advocate') };
const NEEDS = { shelter: N_('Shelter'), advocacy: N_('Advocacy'), counseling: N_('Counseling'),
  'medical-follow-up': N_('Medical follow-up'), legal: N_('Legal'), 'protective-order': N_('Protective order'),
  transport: N_('Transport'), childcare: N_('Childcare'), 'language-access': N_('Language access'),
  other: N_('Other') };
const METHODS = { written: N_('Written'), 'electronic-signature': N_('Electronic signature'),
  'verbal-documented': N_('Verbal, documented') };

function facts(rows) {
  const list = el('dl', { class: 'facts' });
  for (const [label, value, cls] of rows) {
    if (value === undefined || value === null || value === '') continue;
    list.append(el('dt', { text: label }), el('dd', { class: cls, text: String(value) }));
  }
  return list;
}

function isoText(text) {
  const at = /^\d{4}-\d{2}-\d{2}T/.test(text) ? new Date(text) : null;
  return at && !Number.isNaN(at.getTime())
    ? `${at.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })} (${text})`
    : text;
}

function flag(ok, yes, no) {
  return el('li', { class: ok ? 'flag-yes' : 'flag-no', text: ok ? yes : no });
}

function safeContact(c) {
  const times = c.safe_times.length
    ? c.safe_times.map((t) => `${t.days} ${t.start}–${t.end}`).join('; ')
    : gettext('none given: ask the sender before calling');
  return el('section', { class: 'safe-contact', 'aria-labelledby': 'safe-contact-title' },
    el('h2', { id: 'safe-contact-title', text: gettext('Safe contact: read this before any contact') }),
    el('ul', { class: 'safety-flags' },
      flag(c.voicemail_ok, gettext('Voicemail is OK'), gettext('Do NOT leave a voicemail')),
      flag(c.may_name_agency, gettext('You may say which agency is calling'),
        gettext('Do NOT say which agency is calling')),
      c.interpreter_needed ? el('li', { class: 'flag-no', text: gettext('Interpreter needed (%(language)s)', { language: languageName(c.language) }) })
        : null),
    facts([
      [gettext('Safe ways to reach them'), c.channels.map((ch) => (CHANNELS[ch] ? gettext(CHANNELS[ch]) : ch)).join(', '), 'strong'],
      [gettext('Safe times'), times, 'strong'],
      [gettext('Phone'), c.phone], [gettext('Email'), c.email], [gettext('Language'), languageName(c.language)],
      [gettext('Notes on contact'), c.notes],
    ]));
}

export function renderHandoff(h) {
  return el('article', { class: 'handoff' },
    safeContact(h.safe_contact),
    el('section', {}, el('h2', { text: gettext('Survivor') }), facts([
      [gettext('Name'), h.survivor.name, 'strong'], [gettext('Preferred name'), h.survivor.preferred_name],
      [gettext('Pronouns'), h.survivor.pronouns], [gettext('Date of birth'), h.survivor.date_of_birth]])),
    el('section', {}, el('h2', { text: gettext('Discharge handoff') }), facts([
      [gettext('Needs'), h.needs.map((n) => (NEEDS[n] ? gettext(NEEDS[n]) : n)).join(', ')],
      [gettext('Leaves the hospital'), isoText(h.discharge_at)],
      [gettext('Children'), h.children], [gettext('Pets'), h.pets ? gettext('Yes') : gettext('No')],
      [gettext('Accessibility'), h.accessibility], [gettext('What you need to know'), h.summary]])),
    el('section', {}, el('h2', { text: gettext('Consent') }), facts([
      [gettext('How it was given'), METHODS[h.consent.method] ? gettext(METHODS[h.consent.method]) : h.consent.method],
      [gettext('When'), isoText(h.consent.given_at)], [gettext('Documented by'), h.consent.documented_by],
      [gettext('What may be shared'), h.consent.scope], [gettext('Must not be shared'), h.consent.limits]])));
}

const fieldOf = (schema, name) => {
  const field = schema?.properties?.[name] ?? {};
  return field.anyOf?.find((a) => a.type === 'object') ?? field;
};

/** A field's name as the type's form calls it (its schema title), else in words. */
const labelOf = (schema, name) => schema?.properties?.[name]?.title
  ?? name.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());

function shown(value) {
  if (typeof value === 'boolean') return value ? gettext('Yes') : gettext('No');
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) {
    return value.map((v) => (NEEDS[v] ? gettext(NEEDS[v]) : v)).join(', ');
  }
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : isoText(String(value));
}

/** Any document, read generically (a type with a form of the CCR's own): the safe-contact
 * preferences first, then each field under its form's name, a part of it as a section. */
export function renderDocument(doc, schema = null) {
  const parts = [];
  const safe = doc.safe_contact ? validate(SafeContact, doc.safe_contact) : null;
  if (safe && !safe.errors.length) parts.push(safeContact(safe.value));
  else if (doc.safe_contact) {
    parts.push(el('section', { class: 'safe-contact' }, el('h2', { text: gettext('Safe contact') }),
      el('pre', { text: JSON.stringify(doc.safe_contact, null, 2) })));
  }
  const rows = [];
  for (const [name, value] of Object.entries(doc)) {
    if (name === 'kind' || name === 'safe_contact' || value === null) continue;
    if (typeof value === 'object' && !Array.isArray(value)) {
      const inner = fieldOf(schema, name);
      parts.push(el('section', { 'data-field': name }, el('h2', { text: labelOf(schema, name) }),
        facts(Object.entries(value).map(([k, v]) => [labelOf(inner, k), v === null ? null : shown(v)]))));
    } else {
      rows.push([labelOf(schema, name), shown(value)]);
    }
  }
  parts.splice(safe || doc.safe_contact ? 1 : 0, 0, el('section', { 'data-field': '' }, facts(rows)));
  return el('article', { class: 'handoff generic-form' }, ...parts);
}

/** Any opened content (contents.js parseContent's result); `schema`, the type's JSON Schema,
 * names the fields of a type with a form of its own. */
export function renderContent(parsed, schema = null) {
  if (parsed.kind === 'handoff') return renderHandoff(parsed.value);
  if (parsed.kind === 'reply') return el('p', { class: 'reply-text', text: parsed.value.text });
  if (parsed.kind === 'json' && parsed.value && typeof parsed.value === 'object'
      && !Array.isArray(parsed.value) && typeof parsed.value.text !== 'string') {
    return renderDocument(parsed.value, schema);
  }
  if (parsed.kind === 'json' && parsed.value && typeof parsed.value.text === 'string') {
    return el('article', { class: 'generic' },
      el('p', { class: 'muted', text: gettext('Referral type: %(kind)s', { kind: parsed.value.kind ?? gettext('not given') }) }),
      el('p', { class: 'reply-text', text: parsed.value.text }));
  }
  const text = parsed.kind === 'json' ? JSON.stringify(parsed.value, null, 2) : parsed.value;
  return el('pre', { class: 'opaque', text });
}

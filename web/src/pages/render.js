// What was opened, shown in the page (as text nodes only): a discharge handoff as a readable
// form with the safe-contact preferences first and prominent, a reply, or other content.

import { el } from './dom.js';

const CHANNELS = { phone: 'Phone call', sms: 'Text message (SMS)', email: 'Email',
  'in-person': 'In person', 'through-advocate': 'Only through an advocate' };
const NEEDS = { shelter: 'Shelter', advocacy: 'Advocacy', counseling: 'Counseling',
  'medical-follow-up': 'Medical follow-up', legal: 'Legal', 'protective-order': 'Protective order',
  transport: 'Transport', childcare: 'Childcare', 'language-access': 'Language access',
  other: 'Other' };
const METHODS = { written: 'Written', 'electronic-signature': 'Electronic signature',
  'verbal-documented': 'Verbal, documented' };

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
    : 'none given: ask the sender before calling';
  return el('section', { class: 'safe-contact', 'aria-labelledby': 'safe-contact-title' },
    el('h2', { id: 'safe-contact-title', text: 'Safe contact: read this before any contact' }),
    el('ul', { class: 'safety-flags' },
      flag(c.voicemail_ok, 'Voicemail is OK', 'Do NOT leave a voicemail'),
      flag(c.may_name_agency, 'You may say which agency is calling',
        'Do NOT say which agency is calling'),
      c.interpreter_needed ? el('li', { class: 'flag-no', text: `Interpreter needed (${c.language})` })
        : null),
    facts([
      ['Safe ways to reach them', c.channels.map((ch) => CHANNELS[ch] ?? ch).join(', '), 'strong'],
      ['Safe times', times, 'strong'],
      ['Phone', c.phone], ['Email', c.email], ['Language', c.language],
      ['Notes on contact', c.notes],
    ]));
}

export function renderHandoff(h) {
  return el('article', { class: 'handoff' },
    safeContact(h.safe_contact),
    el('section', {}, el('h2', { text: 'Survivor' }), facts([
      ['Name', h.survivor.name, 'strong'], ['Preferred name', h.survivor.preferred_name],
      ['Pronouns', h.survivor.pronouns], ['Date of birth', h.survivor.date_of_birth]])),
    el('section', {}, el('h2', { text: 'Discharge handoff' }), facts([
      ['Needs', h.needs.map((n) => NEEDS[n] ?? n).join(', ')],
      ['Leaves the hospital', isoText(h.discharge_at)],
      ['Children', h.children], ['Pets', h.pets ? 'Yes' : 'No'],
      ['Accessibility', h.accessibility], ['What you need to know', h.summary]])),
    el('section', {}, el('h2', { text: 'Consent' }), facts([
      ['How it was given', METHODS[h.consent.method] ?? h.consent.method],
      ['When', isoText(h.consent.given_at)], ['Documented by', h.consent.documented_by],
      ['What may be shared', h.consent.scope], ['Must not be shared', h.consent.limits]])));
}

/** Any opened content (contents.js parseContent's result). */
export function renderContent(parsed) {
  if (parsed.kind === 'handoff') return renderHandoff(parsed.value);
  if (parsed.kind === 'reply') return el('p', { class: 'reply-text', text: parsed.value.text });
  if (parsed.kind === 'json' && parsed.value && typeof parsed.value.text === 'string') {
    return el('article', { class: 'generic' },
      el('p', { class: 'muted', text: `Referral type: ${parsed.value.kind ?? 'not given'}` }),
      el('p', { class: 'reply-text', text: parsed.value.text }));
  }
  const text = parsed.kind === 'json' ? JSON.stringify(parsed.value, null, 2) : parsed.value;
  return el('pre', { class: 'opaque', text });
}

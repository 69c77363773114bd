// One step of a survivor's case record, shown in the page (text nodes only): a whole
// handoff as the referral page shows it; the parts of one that the survivor's consent let
// go onward, safe contact first, then each field carried; a referral's notes as text.

import { parseContent } from './contents.js';
import { el } from './dom.js';
import { gettext } from './i18n.js';
import { renderContent } from './render.js';

const SKIP = new Set(['kind', 'case', 'attachment_names']);

/** `content` (a JSON object) of referral type `type`, readable. */
export function renderStep(content, type) {
  const parsed = parseContent(new TextEncoder().encode(JSON.stringify(content)), type);
  if (parsed.kind === 'handoff' || parsed.kind === 'reply') return renderContent(parsed);
  if (typeof content.text === 'string') {
    return el('article', { class: 'generic' }, el('p', { class: 'reply-text', text: content.text }));
  }
  return el('article', { class: 'handoff' }, ...partial(content));
}

function partial(content) {
  const parts = [];
  const contact = content.safe_contact;
  if (contact && typeof contact === 'object') {
    parts.push(el('section', { class: 'safe-contact' },
      el('h2', { text: gettext('Safe contact: read this before any contact') }),
      el('ul', { class: 'safety-flags' },
        el('li', { class: contact.voicemail_ok ? 'flag-yes' : 'flag-no',
          text: contact.voicemail_ok ? gettext('Voicemail is OK') : gettext('Do NOT leave a voicemail') }),
        el('li', { class: contact.may_name_agency ? 'flag-yes' : 'flag-no',
          text: contact.may_name_agency ? gettext('You may say which agency is calling')
            : gettext('Do NOT say which agency is calling') })),
      facts(contact)));
  }
  const rest = Object.fromEntries(Object.entries(content)
    .filter(([k]) => k !== 'safe_contact' && !SKIP.has(k)));
  if (Object.keys(rest).length) parts.push(el('section', {}, facts(rest)));
  return parts;
}

function facts(doc) {
  const list = el('dl', { class: 'facts' });
  for (const [key, value] of Object.entries(doc)) {
    const text = readable(value);
    if (text === '' || ['voicemail_ok', 'may_name_agency'].includes(key)) continue;
    list.append(el('dt', { text: key.replaceAll('_', ' ') }), el('dd', { text }));
  }
  return list;
}

function readable(value) {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(readable).filter(Boolean).join(', ');
  if (typeof value === 'object') {
    return Object.entries(value).map(([k, v]) => `${k.replaceAll('_', ' ')}: ${readable(v)}`)
      .filter((line) => !line.endsWith(': ')).join('; ');
  }
  if (typeof value === 'boolean') return value ? gettext('Yes') : gettext('No');
  return String(value);
}

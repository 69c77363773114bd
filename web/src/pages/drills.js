// A drill in the browser (hub/api/drills.py holds the same rules): the banner every page of
// a drill's referral shows, put up from the envelope's own header too (its DRILL bit), and
// the check that refuses real-looking content written in a drill.

import { el } from './dom.js';
import { gettext } from './i18n.js';

const PHONE = /\+?\d[\d ().-]{6,}\d/g;
const FICTIONAL_PHONE = /^(\+?1)?555(01\d\d)$/;
const DATE = /\d{4}-\d\d-\d\d(T[\d:.]+)?([+-]\d\d:?\d\d|Z)?/g;
const EMAIL = /[\w.+-]+@([\w-]+\.)+[\w-]+/g;
const FICTIONAL_DOMAIN = /(^|\.)(example\.(org|com|net)|[\w-]+\.(test|invalid))$/;

/** Why `text` looks real in a drill (a phone number or email address that could reach
 * someone), or null. */
export function realLooking(text) {
  for (const found of text.replace(DATE, ' ').match(PHONE) ?? []) {
    const digits = found.replace(/\D/g, '');
    if (digits.length >= 7 && !FICTIONAL_PHONE.test(digits)) {
      return gettext('This is a drill: "%(found)s" looks like a real phone number. Use only 555-0100 to 555-0199.', { found });
    }
  }
  for (const found of text.match(EMAIL) ?? []) {
    if (!FICTIONAL_DOMAIN.test(found.split('@')[1])) {
      return gettext('This is a drill: "%(found)s" looks like a real email address. Use only example.org.', { found });
    }
  }
  return null;
}

/** Show the drill banner under the page's heading, if the server's page did not already. */
export function showDrillBanner() {
  if (document.getElementById('drill-banner')) return;
  const banner = el('p', { class: 'drill-banner', id: 'drill-banner', role: 'note' });
  banner.append(el('strong', { text: gettext('DRILL') }), ' ',
    gettext('Practice only: everything in this referral is made up and no survivor is involved. Claim, open, acknowledge and reply as you would for real; never call or write to anyone it names.'));
  document.querySelector('h1')?.after(banner);
}

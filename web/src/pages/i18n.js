// The page's words, in the page's language: the catalog the page hands over as JSON in
// <meta name="words"> (made from the same gettext catalog as the server's pages,
// hub/locales/, by hub/i18n.py), the hub's names for statuses and codes (hub/display.py, one
// vocabulary for the command line, the pages and this script), and the time zone the page
// shows times in (the receiving agency's, named).

let loaded;

function words() {
  if (loaded === undefined) {
    try {
      loaded = JSON.parse(globalThis.document?.querySelector('meta[name="words"]')?.content ?? '{}');
    } catch {
      loaded = {};
    }
  }
  return loaded;
}

/** %(name)s and %(name)d filled from `values` (as Python's % does in the pages). */
function fill(text, values) {
  return text.replace(/%\((\w+)\)[sd]/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

/** `message` in the page's language, its %(name)s filled from `values`. */
export function gettext(message, values = {}) {
  const found = words().catalog?.[message];
  return fill(typeof found === 'string' ? found : message, values);
}

/** One of two forms by `n` (which fills %(num)d). */
export function ngettext(singular, plural, n, values = {}) {
  const found = words().catalog?.[singular];
  const forms = Array.isArray(found) ? found : [singular, plural];
  return fill(forms[n === 1 ? 0 : 1] ?? forms[0], { num: n, ...values });
}

export const language = () => words().lang ?? 'en';
export const statusName = (status) => words().statuses?.[status] ?? status;
export const languageName = (code) => words().languages?.[code] ?? code;
export const codeName = (code) => (code ? words().codes?.[code] ?? code.replaceAll('-', ' ') : '');

/** Who did it, by name (the hub itself for what no person did). */
export function actorName(actor) {
  if (!actor || actor === 'anonymous' || actor === 'hub') return words().hub ?? 'CCR Hub';
  return words().people?.[actor] ?? actor;
}

export const agencyName = (agency) => words().agencies?.[agency] ?? agency;

/** A history event as the pages write it: 'acknowledged', 'reply posted'. */
export function eventName(action, toStatus) {
  if (action.startsWith('status.') && toStatus) return statusName(toStatus);
  return words().events?.[action] ?? action.replaceAll('.', ' ').replaceAll('-', ' ');
}

function parts(at, locale, options, zone) {
  const format = new Intl.DateTimeFormat(locale, { timeZone: zone, ...options });
  return Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
}

/** A time in seconds since the epoch as the server's pages write it: in the page's zone,
 * named ('Sun 06 Dec 2026 14:06 CST'), day and month in the page's language. */
export function when(seconds, zone = words().zone) {
  if (!seconds) return '–';
  const at = new Date(Number(seconds) * 1000);
  const lang = language() === 'en' ? 'en-US' : language();
  const d = parts(at, lang, { weekday: 'short', day: '2-digit', month: 'short', year: 'numeric',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, zone);
  const { timeZoneName } = parts(at, 'en-US', { timeZoneName: 'short' }, zone);
  const clean = (text) => text.replace(/\.$/, '');
  return `${clean(d.weekday)} ${d.day} ${clean(d.month)} ${d.year} ${d.hour}:${d.minute} ${timeZoneName}`;
}

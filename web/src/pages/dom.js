// Small DOM helpers for the pages. Text from a referral only ever reaches the page as text
// nodes (textContent), never as HTML.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** An element with attributes (`text` sets textContent, `class` the class, `on*` a listener)
 * and children (nodes or strings, which become text nodes). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

export function show(node, visible = true) {
  if (node) node.hidden = !visible;
}

/** A message in a status element: kind 'notice' (done), 'alert' (went wrong), 'busy', or
 * 'waiting' (a state to act on, neither done nor wrong: not shown as a success). */
export function say(node, message, kind = 'notice') {
  if (!node) return;
  node.textContent = message;
  node.className = kind;
  node.setAttribute('role', kind === 'alert' ? 'alert' : 'status');
  node.hidden = !message;
}

export const csrf = () => $('meta[name="csrf"]')?.content ?? '';

/** Offer bytes to the person as a file download (from memory; nothing is sent anywhere). */
export function download(name, bytes, type = 'application/octet-stream') {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const link = el('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A time in seconds since the epoch, in the page's zone, named (i18n.js). */
export { when } from './i18n.js';

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export function size(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Run `work` with `button` disabled and a message in `status` while it runs. */
export async function busy(button, status, message, work) {
  if (button) button.disabled = true;
  say(status, message, 'busy');
  try {
    return await work();
  } finally {
    if (button) button.disabled = false;
  }
}

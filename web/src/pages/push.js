// Push notices on this device: once the device is approved (in the agency's roster), the
// person may turn them on. The browser subscribes with the hub's VAPID key, through the
// hub's service worker (hub/web/static/push-sw.js), and the subscription goes to the hub
// for this device (PUT /v1/devices/{id}/push); turning them off unsubscribes and tells the
// hub. What a push says is content-free; the hub keeps nothing else about the browser.

import { toHex } from '../crypto/fields.js';

import { api } from './api.js';
import { $, say, show } from './dom.js';

const WORKER = '/static/push-sw.js';

export const pushSupported = () => typeof navigator !== 'undefined'
  && 'serviceWorker' in navigator && 'PushManager' in globalThis && 'Notification' in globalThis;

/** The key a browser subscribes with, from its base64url text. */
export function applicationServerKey(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function registration() {
  const reg = await navigator.serviceWorker.register(WORKER, { scope: '/static/' });
  if (reg.active) return reg;
  const worker = reg.installing || reg.waiting;
  await new Promise((resolve) => {
    worker.addEventListener('statechange', () => { if (worker.state === 'activated') resolve(); });
  });
  return reg;
}

/** Show the push buttons for an approved device and wire them. */
export async function showPush(cert, status) {
  const section = $('#push');
  if (!section) return;
  if (!cert || !pushSupported()) {
    show(section, false);
    return;
  }
  const device = toHex(cert.deviceId);
  let state;
  try {
    state = await api('GET', `/v1/devices/${device}/push`);
  } catch {
    show(section, false);
    return;
  }
  show(section, Boolean(state.public_key));
  show($('#push-on'), !state.subscribed);
  show($('#push-off'), state.subscribed);
  $('#push-on').onclick = async () => {
    try {
      if (await Notification.requestPermission() !== 'granted') {
        say(status, 'Notices are blocked for this site in the browser\'s settings: allow them '
          + 'there, then try again.', 'alert');
        return;
      }
      const reg = await registration();
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true,
        applicationServerKey: applicationServerKey(state.public_key) });
      await api('PUT', `/v1/devices/${device}/push`, { json: sub.toJSON() });
      say(status, 'This device will be notified when a referral waits for you.');
    } catch (error) {
      say(status, `Notices were not turned on: ${error.message}`, 'alert');
    }
    await showPush(cert, status);
  };
  $('#push-off').onclick = async () => {
    try {
      const reg = await navigator.serviceWorker.getRegistration('/static/');
      const sub = reg && await reg.pushManager.getSubscription();
      if (sub) await sub.unsubscribe();
      await api('DELETE', `/v1/devices/${device}/push`);
      say(status, 'This device gets no more push notices.');
    } catch (error) {
      say(status, `Notices were not turned off: ${error.message}`, 'alert');
    }
    await showPush(cert, status);
  };
}

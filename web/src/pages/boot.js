// Starts the page's controller: the server names the page in <div id="page" data-page="...">.
// Loaded on the device, send, referral and case pages only (they need WebAssembly for libsodium).

import { ready } from '../crypto/index.js';

import { casePage } from './case-page.js';
import { devicePage } from './device-page.js';
import { sendPage } from './send-page.js';
import { threadPage } from './thread-page.js';

const PAGES = { case: casePage, device: devicePage, send: sendPage, thread: threadPage };

export async function boot() {
  const root = document.getElementById('page');
  const start = PAGES[root?.dataset.page];
  if (!start) return;
  await ready();
  root.dataset.ready = 'yes';
  await start(root);
}

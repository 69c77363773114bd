// The device page's push key handling: the hub's VAPID key (base64url, no padding) becomes
// the 65-byte uncompressed P-256 point a browser subscribes with.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { applicationServerKey, pushSupported } from '../src/pages/push.js';

test('a VAPID key in base64url becomes the bytes the browser subscribes with', () => {
  const raw = new Uint8Array(65).map((_, i) => (i * 37 + 4) % 256);
  raw[0] = 4;
  const text = Buffer.from(raw).toString('base64url');
  assert.ok(!text.includes('=') && (text.includes('-') || text.includes('_')));
  assert.deepEqual(applicationServerKey(text), raw);
});

test('push is offered only where the browser has a service worker, push and notices', () => {
  assert.equal(pushSupported(), false); // node has none of them
});

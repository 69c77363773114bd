// The hub's JSON API from a signed-in page: the session cookie authenticates, the page's
// CSRF token goes in X-CSRF-Token, no token ever lives in the page. Only sealed bytes and
// metadata go through here.

import { sodium } from '../crypto/sodium.js';

import { csrf } from './dom.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** `json`: a body to send as JSON; `bytes`: a body of octets; `binary`: the answer is octets
 * (a Uint8Array), else parsed JSON. A non-2xx answer throws ApiError with the hub's code. */
export async function api(method, path, { json, bytes, binary = false } = {}) {
  const headers = { 'X-CSRF-Token': csrf(),
    Accept: binary ? 'application/octet-stream' : 'application/json' };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (bytes !== undefined) {
    headers['Content-Type'] = 'application/octet-stream';
    body = bytes;
  }
  let answer;
  try {
    answer = await fetch(path, { method, headers, body, credentials: 'same-origin',
      cache: 'no-store', redirect: 'error' });
  } catch {
    throw new ApiError(0, 'unreachable', 'cannot reach the hub; check the connection and try again');
  }
  if (!answer.ok) throw await failure(answer);
  return binary ? new Uint8Array(await answer.arrayBuffer()) : answer.json();
}

async function failure(answer) {
  try {
    const { error } = await answer.json();
    if (answer.status === 401) {
      return new ApiError(401, error.code, 'your session has ended: sign in again (this page '
        + 'forgets what it opened when you leave it)');
    }
    return new ApiError(answer.status, error.code, error.message);
  } catch {
    return new ApiError(answer.status, 'http_error', `the hub answered ${answer.status}`);
  }
}

const ORIGINAL = () => sodium.base64_variants.ORIGINAL;
export const toBase64 = (bytes) => sodium.to_base64(bytes, ORIGINAL());
export const fromBase64 = (text) => sodium.from_base64(text, ORIGINAL());

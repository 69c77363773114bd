// Attachments (mirrors hub/crypto/attachments.py): separate blobs, encrypted with
// secretstream in 64 KiB chunks under a key derived from the envelope's content key, each
// chunk bound to the header and the attachment's index. The signed manifest inside the
// envelope lists (index, size, SHA-256 of the blob).

import { EnvelopeError } from './errors.js';
import { concat, u16 } from './fields.js';
import { H, sha256, sodium } from './sodium.js';

export const CHUNK = 64 * 1024;
export const ABYTES = 17;
export const HEADERBYTES = 24;
export const MAX_ATTACHMENT = 256 * 1024 * 1024;
const EMPTY = new Uint8Array(0);

export function attachmentKey(contentKey, index) {
  return H(EMPTY, { key: contentKey, salt: u16(index), person: 'ccrhub-attkey-v1' });
}

const chunkAd = (headerDigest, index) => concat(headerDigest, u16(index));

export function blobLength(size) {
  return HEADERBYTES + size + Math.max(1, Math.ceil(size / CHUNK)) * ABYTES;
}

/** SHA-256 of the whole blob: its collision resistance stops a co-recipient, who knows the
 * attachment key, from swapping in another blob. */
export const blobHash = (blob) => sha256(blob);

/** The sealed blob and its hash for the manifest. The 24-byte stream header is drawn by
 * libsodium (init_push takes no seed), so blobs are never byte-exact across runs. */
export function sealAttachment(data, contentKey, headerDigest, index) {
  const { TAG_MESSAGE, TAG_FINAL } = tags();
  const out = new Uint8Array(blobLength(data.length));
  const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(
    attachmentKey(contentKey, index));
  out.set(header);
  const ad = chunkAd(headerDigest, index);
  const last = Math.max(0, Math.ceil(data.length / CHUNK) - 1);
  let written = HEADERBYTES;
  for (let n = 0; n <= last; n += 1) {
    const piece = data.subarray(n * CHUNK, (n + 1) * CHUNK);
    const chunk = sodium.crypto_secretstream_xchacha20poly1305_push(state, piece, ad,
      n === last ? TAG_FINAL : TAG_MESSAGE);
    out.set(chunk, written);
    written += chunk.length;
  }
  return { blob: out, blobHash: blobHash(out) };
}

function tags() {
  return { TAG_MESSAGE: sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
    TAG_FINAL: sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL };
}

/** Check a blob against its manifest entry `ref` ({index, size, blobHash}) and decrypt it.
 * One EnvelopeError on any failure: wrong size, wrong hash, a chunk out of order, a missing
 * final chunk. */
export function openAttachment(blob, contentKey, headerDigest, ref) {
  if (!(blob instanceof Uint8Array) || !(ref.size <= MAX_ATTACHMENT)
      || blob.length !== blobLength(ref.size)) {
    throw new EnvelopeError('attachment-size');
  }
  const digest = blobHash(blob);
  if (!digest.every((b, i) => b === ref.blobHash[i])) throw new EnvelopeError('attachment-hash');
  return pull(blob, contentKey, headerDigest, ref);
}

function pull(blob, contentKey, headerDigest, ref) {
  const { TAG_FINAL } = tags();
  let state;
  try {
    state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(
      blob.subarray(0, HEADERBYTES), attachmentKey(contentKey, ref.index));
  } catch {
    throw new EnvelopeError('attachment-ciphertext');
  }
  const ad = chunkAd(headerDigest, ref.index);
  const out = new Uint8Array(ref.size);
  let read = HEADERBYTES;
  let written = 0;
  let final = false;
  while (read < blob.length) {
    if (final) throw new EnvelopeError('attachment-truncated'); // chunks after the final one
    const clen = Math.min(CHUNK + ABYTES, blob.length - read);
    let result;
    try {
      result = sodium.crypto_secretstream_xchacha20poly1305_pull(state,
        blob.subarray(read, read + clen), ad);
    } catch {
      result = false;
    }
    if (!result) throw new EnvelopeError('attachment-ciphertext');
    out.set(result.message, written);
    read += clen;
    written += clen - ABYTES;
    final = result.tag === TAG_FINAL;
  }
  if (!final) throw new EnvelopeError('attachment-truncated');
  return out;
}

// Names for decrypted attachments. Pure: no DOM.

const SIGNATURES = [[[0x25, 0x50, 0x44, 0x46], 'pdf', 'application/pdf'],
  [[0x89, 0x50, 0x4e, 0x47], 'png', 'image/png'], [[0xff, 0xd8, 0xff], 'jpg', 'image/jpeg'],
  [[0x47, 0x49, 0x46, 0x38], 'gif', 'image/gif']];

/** A plain file name from what the sender wrote (as hub/cli/files.py safe_name): no folder,
 * no control character, not hidden; null when nothing usable is left. */
export function safeName(name) {
  if (typeof name !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const cleaned = name.trim().replace(/[\x00-\x1f\x7f/\\:]/g, '_').replace(/^\.+/, '').trim()
    .slice(0, 120);
  return cleaned || null;
}

/** The name the sender gave the attachment (the content's attachment_names), or one made
 * from its position and what its first bytes say it is. */
export function attachmentName(rid, index, bytes, given = null) {
  const known = SIGNATURES.find(([magic]) => magic.every((b, i) => bytes[i] === b));
  const named = safeName(given);
  if (named) return [named, known ? known[2] : 'application/octet-stream'];
  let ext = known ? known[1] : 'bin';
  if (!known) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      ext = 'txt';
    } catch {
      // binary
    }
  }
  return [`referral-${rid.slice(0, 8)}-attachment-${index + 1}.${ext}`,
    known ? known[2] : (ext === 'txt' ? 'text/plain' : 'application/octet-stream')];
}

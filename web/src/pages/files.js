// Names for decrypted attachments. Pure: no DOM.

const SIGNATURES = [[[0x25, 0x50, 0x44, 0x46], 'pdf', 'application/pdf'],
  [[0x89, 0x50, 0x4e, 0x47], 'png', 'image/png'], [[0xff, 0xd8, 0xff], 'jpg', 'image/jpeg'],
  [[0x47, 0x49, 0x46, 0x38], 'gif', 'image/gif']];

/** Attachments carry no file name (the manifest holds sizes only): name them by position and
 * by what their first bytes say they are. */
export function attachmentName(rid, index, bytes) {
  const known = SIGNATURES.find(([magic]) => magic.every((b, i) => bytes[i] === b));
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

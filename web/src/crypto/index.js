// The browser's crypto module: a second implementation of docs/envelope.md over
// libsodium.js. Pure functions over Uint8Array; no DOM, no I/O. `await ready()` first.

export { ready, H, sha256 } from './sodium.js';
export { CryptoError, EnvelopeError, TrustError } from './errors.js';
export { fromHex, toHex, seconds } from './fields.js';
export {
  AgencyRoot, DeviceKeys, exportAgencyRoot, exportDeviceKeys, importAgencyRoot,
  importDeviceKeys, isUsableBoxKey, verifySignature,
} from './keys.js';
export { matchesFingerprint, numericFingerprint, shortFingerprint } from './fingerprints.js';
export {
  CERT_LEN, DeviceCertificate, certifyDevice, issueCertificate, parseCertificate,
  verifyCertificate,
} from './certificates.js';
export { SignedRoster, VerifiedRoster, makeRoster, verifyRoster } from './rosters.js';
export { TrustStore } from './trust.js';
export { BUNDLE_FORMAT, openPinBundle } from './pins.js';
export { Header, Kind, Urgency, headerHash, parseHeader, splitEnvelope } from './header.js';
export {
  DeviceIdentity, Opened, SeenEnvelopes, commitment, openEnvelope, seal, wrapKey,
} from './envelope.js';
export { attachmentKey, blobLength, openAttachment, sealAttachment } from './attachments.js';
export { ReceiptStatus, parseReceipt, signReceipt, verifyReceipt } from './receipts.js';
export {
  DEFAULT_LIFETIME, openReply, sealReduced, sealReferral, sealReply,
} from './replies.js';
export { GRANT_LEN, Granter, granteeHash, openWithGrant, parseGrant } from './grants.js';
export { LogWitness, chain, entryHash, logHead, rosterDigest } from './rosterlog.js';
export { SECRET_LEN, linkId } from './caselink.js';

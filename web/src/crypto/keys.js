// Device keys and agency root keys, and their encrypted-at-rest file form (mirrors
// hub/crypto/keys.py). A device holds an X25519 key for opening envelopes and an Ed25519 key
// for signing; an agency's root is an offline Ed25519 key. No I/O here.

import { TrustError } from './errors.js';
import { pythonDumps } from './json.js';
import { sodium, systemRandom } from './sodium.js';

export const KEY_FILE_FORMAT = 'ccr-key/1';

function signer(seed) {
  const pair = sodium.crypto_sign_seed_keypair(seed);
  return { public: pair.publicKey, secret: pair.privateKey };
}

export class DeviceKeys {
  constructor(boxSecret, boxPublic, signSeed, signPublic) {
    this.boxSecret = boxSecret; // X25519 secret key, 32 bytes
    this.boxPublic = boxPublic;
    this.signSeed = signSeed; // Ed25519 seed, 32 bytes
    this.signPublic = signPublic;
    Object.defineProperty(this, 'signSecret', { value: signer(signSeed).secret });
    Object.freeze(this);
  }

  static generate(rand = systemRandom) {
    return DeviceKeys.fromSeeds(rand(32), rand(32));
  }

  /** crypto_box_seed_keypair(boxSeed) and the Ed25519 key of signSeed. */
  static fromSeeds(boxSeed, signSeed) {
    const box = sodium.crypto_box_seed_keypair(boxSeed);
    return new DeviceKeys(box.privateKey, box.publicKey, signSeed, signer(signSeed).public);
  }

  /** From the secrets a key file keeps: the X25519 secret key and the Ed25519 seed. */
  static fromSecrets(boxSecret, signSeed) {
    return new DeviceKeys(boxSecret, sodium.crypto_scalarmult_base(boxSecret), signSeed,
      signer(signSeed).public);
  }

  sign(message) {
    return sodium.crypto_sign_detached(message, this.signSecret);
  }

  toJSON() { // never serialise secrets by accident
    return { boxPublic: sodium.to_hex(this.boxPublic), signPublic: sodium.to_hex(this.signPublic) };
  }
}

/** An agency's offline root signing key. */
export class AgencyRoot {
  constructor(seed) {
    const pair = signer(seed);
    this.seed = seed;
    this.public = pair.public;
    Object.defineProperty(this, 'secret', { value: pair.secret });
    Object.freeze(this);
  }

  static generate(rand = systemRandom) {
    return new AgencyRoot(rand(32));
  }

  static fromSeed(seed) {
    return new AgencyRoot(seed);
  }

  sign(message) {
    return sodium.crypto_sign_detached(message, this.secret);
  }

  toJSON() {
    return { public: sodium.to_hex(this.public) };
  }
}

export function verifySignature(publicKey, message, signature) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return sodium.crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** False for a wrong-size or low-order X25519 public key: libsodium refuses the all-zero
 * shared secret such a key gives. */
export function isUsableBoxKey(publicKey) {
  if (publicKey.length !== 32) return false;
  try {
    sodium.crypto_scalarmult(new Uint8Array(32).fill(1), publicKey);
  } catch {
    return false;
  }
  return true;
}

// -- key files ---------------------------------------------------------------------------------

const ORIGINAL = () => sodium.base64_variants.ORIGINAL;
const b64 = (bytes) => sodium.to_base64(bytes, ORIGINAL());
const unb64 = (text) => sodium.from_base64(text, ORIGINAL());

function exportSecret(kind, secrets, passphrase, rand) {
  const plain = pythonDumps(Object.fromEntries(
    Object.entries(secrets).map(([k, v]) => [k, b64(v)])));
  const doc = { format: KEY_FILE_FORMAT, kind };
  if (passphrase === null || passphrase === undefined) {
    Object.assign(doc, { kdf: 'none', secrets: plain });
  } else {
    const ops = sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE;
    const mem = sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE;
    const salt = rand(sodium.crypto_pwhash_SALTBYTES);
    const key = sodium.crypto_pwhash(32, passphrase, salt, ops, mem,
      sodium.crypto_pwhash_ALG_ARGON2ID13);
    const nonce = rand(24);
    const box = sodium.crypto_secretbox_easy(new TextEncoder().encode(plain), nonce, key);
    const sealed = new Uint8Array(nonce.length + box.length);
    sealed.set(nonce);
    sealed.set(box, nonce.length);
    Object.assign(doc, { kdf: 'argon2id', opslimit: ops, memlimit: mem, salt: b64(salt),
      box: b64(sealed) });
  }
  return new TextEncoder().encode(`${pythonDumps(doc, 2)}\n`);
}

function importSecret(data, kind, passphrase) {
  let doc;
  try {
    doc = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
  } catch {
    throw new TrustError('bad-key-file', 'the key file is damaged or not a key file');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new TrustError('bad-key-file', 'the key file is damaged or not a key file');
  }
  if (doc.format !== KEY_FILE_FORMAT || doc.kind !== kind) {
    throw new TrustError('wrong-key-file', `not a ${kind} key file`);
  }
  if (!('kdf' in doc)) {
    throw new TrustError('bad-key-file', 'the key file is damaged or not a key file');
  }
  let plain;
  try {
    if (doc.kdf === 'none') {
      plain = doc.secrets;
    } else if (passphrase === null || passphrase === undefined) {
      throw new TrustError('passphrase-required', 'this key file is protected by a passphrase');
    } else {
      const key = sodium.crypto_pwhash(32, passphrase, unb64(doc.salt), Number(doc.opslimit),
        Number(doc.memlimit), sodium.crypto_pwhash_ALG_ARGON2ID13);
      const box = unb64(doc.box);
      let opened;
      try {
        opened = sodium.crypto_secretbox_open_easy(box.subarray(24), box.subarray(0, 24), key);
      } catch {
        throw new TrustError('bad-passphrase', 'wrong passphrase for this key file');
      }
      plain = new TextDecoder().decode(opened);
    }
    const secrets = JSON.parse(plain);
    return Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, unb64(v)]));
  } catch (e) {
    if (e instanceof TrustError) throw e;
    throw new TrustError('bad-key-file', 'the key file is damaged or not a key file');
  }
}

// The X25519 secret key's name in a device key file (hub/crypto/keys.py BOX_SECRET). Files
// written before it was renamed call it box_seed_secret: the same raw secret key, still read.
export function exportDeviceKeys(keys, passphrase = null, rand = systemRandom) {
  return exportSecret('device', { box_secret: keys.boxSecret, sign_seed: keys.signSeed },
    passphrase, rand);
}

export function importDeviceKeys(data, passphrase = null) {
  const s = importSecret(data, 'device', passphrase);
  const boxSecret = s.box_secret ?? s.box_seed_secret;
  if (!(boxSecret?.length === 32 && s.sign_seed?.length === 32)) {
    throw new TrustError('bad-key-file', 'the key file is damaged or not a key file');
  }
  return DeviceKeys.fromSecrets(boxSecret, s.sign_seed);
}

export function exportAgencyRoot(root, passphrase = null, rand = systemRandom) {
  return exportSecret('agency-root', { seed: root.seed }, passphrase, rand);
}

export function importAgencyRoot(data, passphrase = null) {
  const s = importSecret(data, 'agency-root', passphrase);
  if (s.seed?.length !== 32) {
    throw new TrustError('bad-key-file', 'the key file is damaged or not a key file');
  }
  return AgencyRoot.fromSeed(s.seed);
}

// This browser as a person's device (as `hub device init` makes one on a computer): device
// keys generated here, kept in IndexedDB only as a key file encrypted under the person's
// passphrase (argon2id, docs/envelope.md "Key files"), unlocked into this page's memory
// for as long as the page is open. The certificate the agency admin issues is found in the
// agency's signed roster by matching the public keys.

import { DeviceKeys, TrustError, exportDeviceKeys, importDeviceKeys, parseCertificate,
  shortFingerprint, toHex } from '../crypto/index.js';
import { bytesEqual } from '../crypto/fields.js';
import { sodium } from '../crypto/sodium.js';

import { fromBase64, toBase64 } from './api.js';
import * as idb from './idb.js';

export const MIN_PASSPHRASE = 12;
const keyOf = (agency, person) => `device:${agency}/${person}`;

export class Vault {
  constructor(agency, person, record) {
    this.agency = agency;
    this.person = person;
    this.record = record ?? null;
  }

  static async load(agency, person) {
    return new Vault(agency, person, await idb.get(keyOf(agency, person)));
  }

  get exists() {
    return this.record !== null;
  }

  /** New device keys, kept only encrypted under `passphrase`. */
  async create(passphrase) {
    checkPassphrase(passphrase);
    const keys = DeviceKeys.generate();
    await this.#keep(keys, exportDeviceKeys(keys, passphrase), toHex(sodium.randombytes_buf(16)));
    return keys;
  }

  /** The keys of a backup file (this page's, or `hub device init`'s), kept under `passphrase`
   * (the backup's own; a file without one is encrypted under it now). */
  async restore(file, passphrase) {
    checkPassphrase(passphrase);
    const keys = importDeviceKeys(file, passphrase);
    await this.#keep(keys, exportDeviceKeys(keys, passphrase), toHex(sodium.randombytes_buf(16)));
    return keys;
  }

  async #keep(keys, keyFile, deviceId) {
    this.record = { format: 'ccr-browser-device/1', agency: this.agency, person: this.person,
      deviceId, boxPublic: toBase64(keys.boxPublic), signPublic: toBase64(keys.signPublic),
      keyFile: new TextDecoder().decode(keyFile), certificate: null };
    await idb.put(keyOf(this.agency, this.person), this.record);
  }

  async forget() {
    await idb.remove(keyOf(this.agency, this.person));
    this.record = null;
  }

  /** The device keys, into memory (a wrong passphrase throws TrustError 'bad-passphrase'). */
  unlock(passphrase) {
    const keys = importDeviceKeys(this.record.keyFile, passphrase);
    if (!this.#same(keys.boxPublic, keys.signPublic)) {
      throw new TrustError('bad-key-file', 'the stored key file is not this device\'s');
    }
    return keys;
  }

  #same(boxPublic, signPublic) {
    return bytesEqual(boxPublic, fromBase64(this.record.boxPublic))
      && bytesEqual(signPublic, fromBase64(this.record.signPublic));
  }

  /** The short fingerprint of the device's signing key, as `hub device init` prints it. */
  fingerprint() {
    return shortFingerprint(fromBase64(this.record.signPublic));
  }

  /** The device request for the agency admin (`hub agency approve` reads it). */
  request() {
    const r = this.record;
    return `${JSON.stringify({ agency: r.agency, person: r.person, device_id: r.deviceId,
      box_public: r.boxPublic, sign_public: r.signPublic }, null, 2)}\n`;
  }

  certificate() {
    return this.record?.certificate ? parseCertificate(fromBase64(this.record.certificate)) : null;
  }

  /** This device's certificate in its agency's verified roster (current, unrevoked), kept
   * for next time; null when the admin has not published it yet. */
  async findCertificate(roster, now) {
    const found = [...roster.devices.values()].find((c) => c.person === this.person
      && c.agency === this.agency && this.#same(c.boxPublic, c.signPublic)
      && roster.currentDevice(c, now));
    const raw = found ? toBase64(found.raw) : null;
    if (raw !== this.record.certificate) {
      this.record = { ...this.record, certificate: raw };
      await idb.put(keyOf(this.agency, this.person), this.record);
    }
    return found ?? null;
  }
}

function checkPassphrase(passphrase) {
  if (typeof passphrase !== 'string' || [...passphrase].length < MIN_PASSPHRASE) {
    throw new TrustError('weak-passphrase',
      `choose a passphrase of at least ${MIN_PASSPHRASE} characters`);
  }
}

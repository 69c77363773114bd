// A small world for the tests, as tests/crypto/world.py: three agencies, each with its own
// root, certified devices and a signed roster; helpers to seal to and open as its devices.

import assert from 'node:assert/strict';

import {
  AgencyRoot, DeviceIdentity, DeviceKeys, EnvelopeError, TrustError, TrustStore, Urgency,
  certifyDevice, makeRoster, openEnvelope, ready, seal,
} from '../../src/crypto/index.js';
import { sodium } from '../../src/crypto/sodium.js';

await ready();

export const NOW = 1_800_000_000;
export const DAY = 86_400;
export const [SENDING, RECEIVING, OTHER] = ['mercy-hospital', 'harbor-house', 'riverside-pd'];
export const TYPE = 'discharge-handoff';
export const POOL_TYPE = 'shelter-request';
export const POOL_SIZE = 64;
export const CONTENT = new TextEncoder().encode('{"type": "discharge-handoff", "note": "call before 5pm"}');

// agency -> [{person: [roles, devices]}, {type: [point person, backups]}]
const PLAN = {
  [SENDING]: [{ 'mercy-nurse': [['sender', 'point_person'], 1] }, { [TYPE]: ['mercy-nurse', []] }],
  [RECEIVING]: [
    { 'hh-point': [['point_person'], 1], 'hh-backup': [['backup'], 1],
      'hh-pool': [['backup'], POOL_SIZE], 'hh-staff': [['sender'], 1],
      'hh-coord': [['coordinator'], 0] },
    { [TYPE]: ['hh-point', ['hh-backup']], [POOL_TYPE]: ['hh-pool', []] },
  ],
  [OTHER]: [{ 'rpd-detective': [['point_person', 'sender'], 1] }, { [TYPE]: ['rpd-detective', []] }],
};

export function newDevice(root, agency, person, { issuedAt = NOW - DAY,
  expiresAt = NOW + 365 * DAY } = {}) {
  const keys = DeviceKeys.generate();
  const cert = certifyDevice(root, keys, { agency, person, deviceId: sodium.randombytes_buf(16),
    issuedAt, expiresAt });
  return new DeviceIdentity(keys, cert);
}

export class Agency {
  constructor(id, root, roles, groups) {
    Object.assign(this, { id, root, roles, groups, devices: {} });
  }

  device(person, index = 0) {
    return this.devices[person][index];
  }

  roster({ version = 1, expiresAt = NOW + 30 * DAY, extra = [], revoked = [], root = null,
    groups = null } = {}) {
    const own = Object.values(this.devices).flat().map((d) => d.certificate);
    return makeRoster(root ?? this.root, {
      agency: this.id, version, issuedAt: NOW - 3600, expiresAt,
      people: Object.entries(this.roles).map(([id, roles]) => ({ id, roles })),
      devices: [...own, ...extra],
      groups: Object.entries(groups ?? this.groups).map(([type, [point, backups]]) => ({
        type, point_person: point, backups })),
      revoked: revoked.map((c) => c.deviceId),
    });
  }
}

export class World {
  constructor(agencies) {
    this.agencies = agencies;
    this.sharedTrust = this.trust();
  }

  get sender() { return this.agencies[SENDING].device('mercy-nurse'); }

  get point() { return this.agencies[RECEIVING].device('hh-point'); }

  get backup() { return this.agencies[RECEIVING].device('hh-backup'); }

  get staff() { return this.agencies[RECEIVING].device('hh-staff'); }

  get stranger() { return this.agencies[OTHER].device('rpd-detective'); }

  get pool() { return this.agencies[RECEIVING].devices['hh-pool']; }

  /** A fresh trust store: every root pinned, every roster verified. */
  trust(now = NOW) {
    const store = new TrustStore();
    for (const agency of Object.values(this.agencies)) {
      store.pin(agency.id, agency.root.public);
      store.acceptRoster(agency.id, agency.roster(), now);
    }
    return store;
  }
}

export function makeWorld() {
  const agencies = {};
  for (const [id, [people, groups]] of Object.entries(PLAN)) {
    const agency = new Agency(id, AgencyRoot.generate(),
      Object.fromEntries(Object.entries(people).map(([p, [roles]]) => [p, roles])), groups);
    for (const [person, [, count]] of Object.entries(people)) {
      agency.devices[person] = Array.from({ length: count }, () => newDevice(agency.root, id, person));
    }
    agencies[id] = agency;
  }
  return new World(agencies);
}

export function sealTo(world, devices, content = CONTENT, { sender = null, destination = RECEIVING,
  referralType = TYPE, urgency = Urgency.URGENT, now = NOW, lifetime = 7 * DAY, ...kw } = {}) {
  return seal(content, { sender: sender ?? world.sender,
    recipients: devices.map((d) => d.certificate), destination, referralType, urgency, now,
    lifetime, ...kw });
}

export function openAs(world, envelope, device, { trust = null, now = NOW, ...kw } = {}) {
  return openEnvelope(envelope, { device, trust: trust ?? world.sharedTrust, now, ...kw });
}

/** The call is refused with the one uniform EnvelopeError (and this reason, if given). */
export function rejected(fn, reason = null) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof EnvelopeError, `not an EnvelopeError: ${e}`);
    assert.equal(e.message, 'envelope rejected');
    if (reason !== null) assert.equal(e.reason, reason);
    return true;
  });
}

/** The call is refused with TrustError (and this reason, if given). */
export function distrusted(fn, reason = null) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof TrustError, `not a TrustError: ${e}`);
    if (reason !== null) assert.equal(e.reason, reason);
    return true;
  });
}

/** True when opening fails with the uniform error; any other exception propagates. */
export function refused(world, envelope, device) {
  try {
    openAs(world, envelope, device);
  } catch (e) {
    if (e instanceof EnvelopeError) return e.message === 'envelope rejected';
    throw e;
  }
  return false;
}

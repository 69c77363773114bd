// Every known-answer vector of tests/vectors/envelope-v1.json, in JavaScript: what Python
// made byte-exact is rebuilt byte-exact here (keys, certificates, rosters, fingerprints,
// receipts, envelopes without attachments, the header of the one with), and every stored
// envelope and attachment opens to its stored plaintext, as each of its recipients.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  DeviceIdentity, DeviceKeys, Granter, ReceiptStatus, SignedRoster, openWithGrant,
  parseCertificate, attachmentKey, certifyDevice, commitment, makeRoster,
  numericFingerprint, openEnvelope, parseHeader, seal, shortFingerprint, signReceipt, toHex,
  verifyReceipt,
} from '../src/crypto/index.js';
import {
  CASES, VECTORS, identity, replay, root, seed, seededRandom, storedTrust, x,
} from './support/vectors.mjs';

const hex = toHex;
const DAY = 86400;
const PEOPLE = { // as generate.py
  'mercy-hospital': [['mercy-nurse', ['sender', 'point_person']]],
  'harbor-house': [['hh-point', ['point_person']], ['hh-backup', ['backup']]],
};
const GROUPS = { 'mercy-hospital': ['mercy-nurse', []], 'harbor-house': ['hh-point', ['hh-backup']] };
const TYPE = 'discharge-handoff';

describe('keys, certificates, fingerprints and rosters', () => {
  test('seeds are BLAKE2b of their labels under the master key', () => {
    for (const [agency, stored] of Object.entries(VECTORS.agencies)) {
      assert.equal(hex(seed(`${agency} root`)), stored.root_seed);
    }
    for (const [person, stored] of Object.entries(VECTORS.devices)) {
      assert.equal(hex(seed(`${person} box`)), stored.box_seed);
      assert.equal(hex(seed(`${person} sign`)), stored.sign_seed);
      assert.equal(hex(seed(`${person} device id`).subarray(0, 16)), stored.device_id);
    }
  });

  test('device keys from their seeds are byte-exact', () => {
    for (const stored of Object.values(VECTORS.devices)) {
      const keys = DeviceKeys.fromSeeds(x(stored.box_seed), x(stored.sign_seed));
      assert.equal(hex(keys.boxPublic), stored.box_public);
      assert.equal(hex(keys.boxSecret), stored.box_secret);
      assert.equal(hex(keys.signPublic), stored.sign_public);
    }
  });

  test('device certificates are byte-exact', () => {
    for (const stored of Object.values(VECTORS.devices)) {
      const keys = DeviceKeys.fromSeeds(x(stored.box_seed), x(stored.sign_seed));
      const cert = certifyDevice(root(stored.agency), keys, { agency: stored.agency,
        person: stored.person, deviceId: x(stored.device_id), issuedAt: stored.issued_at,
        expiresAt: stored.expires_at });
      assert.equal(hex(cert.raw), stored.certificate);
      assert.equal(cert.issuedAt, BigInt(stored.issued_at));
    }
  });

  test('root keys and both fingerprints are byte-exact', () => {
    for (const [agency, stored] of Object.entries(VECTORS.agencies)) {
      assert.equal(hex(root(agency).public), stored.root_public);
      assert.equal(numericFingerprint(x(stored.root_public)), stored.numeric_fingerprint);
      assert.equal(shortFingerprint(x(stored.root_public)), stored.short_fingerprint);
    }
  });

  test('signed rosters (JSON bytes and signature) are byte-exact', () => {
    for (const [agency, stored] of Object.entries(VECTORS.agencies)) {
      const [point, backups] = GROUPS[agency];
      const signed = makeRoster(root(agency), {
        agency, version: 1, issuedAt: VECTORS.now - 3600, expiresAt: VECTORS.now + 30 * DAY,
        people: PEOPLE[agency].map(([id, roles]) => ({ id, roles })),
        devices: PEOPLE[agency].map(([p]) => identity(p).certificate),
        groups: [{ type: TYPE, point_person: point, backups }],
      });
      assert.equal(hex(signed.body), stored.roster.body);
      assert.equal(hex(signed.signature), stored.roster.signature);
    }
  });

  test('stored rosters verify against the roots pinned by fingerprint', () => {
    const trust = storedTrust();
    const harbor = trust.roster('harbor-house', VECTORS.now);
    assert.deepEqual(harbor.recipients(TYPE, VECTORS.now).map((c) => c.person),
      ['hh-point', 'hh-backup']);
  });
});

describe('envelopes', () => {
  for (const [name, c] of Object.entries(CASES)) {
    test(`${name}: the seeded draws are the stored draws`, () => {
      const rand = seededRandom(x(c.rand_seed));
      const header = parseHeader(x(c.envelope));
      const lengths = [32, 16, 24, ...c.recipients.map(() => 32)];
      lengths.forEach((n) => rand(n));
      assert.deepEqual(rand.draws.map(hex), c.draws);
      assert.equal(hex(header.envelopeId), c.envelope_id);
      assert.equal(hex(header.nonce), c.draws[2]);
      assert.equal(hex(commitment(x(c.content_key), x(c.envelope_id))), c.commitment);
      assert.deepEqual(c.attachments.map((_, i) => hex(attachmentKey(x(c.content_key), i))),
        c.attachment_keys);
    });

    test(`${name}: sealing with the same randomness gives the stored bytes`, () => {
      const sealed = seal(x(c.content), {
        sender: identity(c.sender), recipients: c.recipients.map((r) => identity(r).certificate),
        destination: c.destination, referralType: c.referral_type, urgency: c.urgency,
        now: c.now, lifetime: c.lifetime, kind: c.kind,
        threadId: c.thread_id ? x(c.thread_id) : null,
        attachments: c.attachments.map(x), rand: seededRandom(x(c.rand_seed)),
      });
      assert.equal(hex(sealed.header.raw), c.header);
      assert.equal(hex(sealed.header.hash), c.header_hash);
      if (c.random_fields.includes('envelope')) {
        assert.ok(hex(sealed.envelope).startsWith(c.header));
        assert.equal(sealed.envelope.length, x(c.envelope).length);
        assert.deepEqual(sealed.attachments.map((b) => b.length), c.blobs.map((b) => b.length / 2));
      } else {
        assert.equal(hex(sealed.envelope), c.envelope);
      }
    });

    test(`${name}: replaying the stored draws gives the stored bytes`, () => {
      if (c.random_fields.length) return;
      const sealed = seal(x(c.content), {
        sender: identity(c.sender), recipients: c.recipients.map((r) => identity(r).certificate),
        destination: c.destination, referralType: c.referral_type, urgency: c.urgency,
        now: c.now, lifetime: c.lifetime, kind: c.kind,
        threadId: c.thread_id ? x(c.thread_id) : null, rand: replay(c.draws.map(x)),
      });
      assert.equal(hex(sealed.envelope), c.envelope);
    });

    test(`${name}: the stored envelope opens to its stored plaintext for every recipient`, () => {
      for (const recipient of c.recipients) {
        const opened = openEnvelope(x(c.envelope), { device: identity(recipient),
          trust: storedTrust(), now: c.now });
        assert.equal(hex(opened.content), c.content);
        assert.equal(hex(opened.sender.raw), VECTORS.devices[c.sender].certificate);
        assert.equal(hex(opened.header.raw), c.header);
        assert.equal(hex(opened.header.hash), c.header_hash);
        assert.deepEqual(opened.recipients.map(hex),
          c.recipients.map((r) => VECTORS.devices[r].box_public));
        assert.deepEqual(c.blobs.map((b, i) => hex(opened.openAttachment(i, x(b)))),
          c.attachments);
      }
    });
  }
});

describe('receipts', () => {
  const referral = CASES.referral;

  test('every stored receipt is rebuilt byte-exact', () => {
    for (const stored of VECTORS.receipts) {
      const raw = signReceipt(identity(stored.device), { envelopeId: x(referral.envelope_id),
        headerHash: x(referral.header_hash), status: stored.status, at: stored.at });
      assert.equal(hex(raw), stored.receipt);
    }
  });

  test('every stored receipt verifies for its envelope', () => {
    const devices = referral.recipients.map((r) => identity(r).certificate);
    for (const stored of VECTORS.receipts) {
      const { receipt, device } = verifyReceipt(x(stored.receipt), {
        envelopeId: x(referral.envelope_id), headerHash: x(referral.header_hash), devices });
      assert.equal(device.person, stored.device);
      assert.equal(receipt.status, stored.status);
      assert.equal(receipt.at, BigInt(stored.at));
    }
    assert.equal(ReceiptStatus.ACKNOWLEDGED, VECTORS.receipts[0].status);
  });
});

describe('key grants', () => {
  const stored = VECTORS.grants;
  const grantee = () => new DeviceIdentity(DeviceKeys.fromSeeds(x(stored.grantee.box_seed),
    x(stored.grantee.sign_seed)), parseCertificate(x(stored.grantee.certificate)));
  const trustWithV2 = () => {
    const trust = storedTrust();
    trust.acceptRoster('harbor-house', new SignedRoster(x(stored.roster.body),
      x(stored.roster.signature)), VECTORS.now);
    return trust;
  };

  test('grants are byte-exact from the same draws', () => {
    for (const g of stored.grants) {
      const raw = new Granter(identity(g.granter), replay(g.draws.map(x))).grant(
        x(CASES[g.envelope].envelope), grantee().certificate,
        { rosterVersion: g.roster_version, now: g.now });
      assert.equal(hex(raw), g.grant);
    }
  });

  test('every stored grant opens its envelope on the new device', () => {
    for (const g of stored.grants) {
      const envelope = CASES[g.envelope];
      const opened = openWithGrant(x(envelope.envelope), x(g.grant), { device: grantee(),
        trust: trustWithV2(), now: g.now });
      assert.equal(hex(opened.content), envelope.content);
      envelope.blobs.forEach((b, i) => assert.equal(hex(opened.openAttachment(i, x(b))),
        envelope.attachments[i]));
    }
  });
});

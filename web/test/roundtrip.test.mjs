// What a device does, end to end in JavaScript: pin roots by fingerprint, seal a referral to
// the destination's group, open it, acknowledge, reply on its thread and read the reply; key
// backup files; and the built page bundle, which must expose the same module.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { build } from 'esbuild';

import {
  AgencyRoot, DeviceKeys, Kind, ReceiptStatus, SeenEnvelopes, TrustStore, exportAgencyRoot,
  exportDeviceKeys, importAgencyRoot, importDeviceKeys, matchesFingerprint, numericFingerprint,
  openEnvelope, openReply, sealReferral, sealReply, shortFingerprint, signReceipt, verifyReceipt,
} from '../src/crypto/index.js';
import { sodium } from '../src/crypto/sodium.js';
import {
  CONTENT, NOW, RECEIVING, SENDING, TYPE, distrusted, makeWorld, rejected,
} from './support/world.mjs';

const world = makeWorld();
const text = (s) => new TextEncoder().encode(s);

describe('a referral and its reply', () => {
  test('seal to the group, open as each member, acknowledge, reply, read the reply', () => {
    const trust = new TrustStore();
    for (const agency of Object.values(world.agencies)) {
      trust.pin(agency.id, agency.root.public, shortFingerprint(agency.root.public));
      trust.acceptRoster(agency.id, agency.roster(), NOW);
    }
    const attachment = sodium.randombytes_buf(70000);
    const sent = sealReferral(CONTENT, { sender: world.sender, trust, destination: RECEIVING,
      referralType: TYPE, now: NOW, attachments: [attachment] });
    assert.equal(sent.header.wrappedKeys.length, 2); // hh-point and hh-backup
    for (const device of [world.point, world.backup]) {
      const opened = openEnvelope(sent.envelope, { device, trust, now: NOW });
      assert.deepEqual(opened.content, CONTENT);
      assert.deepEqual(opened.openAttachment(0, sent.attachments[0]), attachment);
    }
    const receipt = signReceipt(world.point, { envelopeId: sent.header.envelopeId,
      headerHash: sent.header.hash, status: ReceiptStatus.ACKNOWLEDGED, at: NOW + 60 });
    const { device } = verifyReceipt(receipt, { envelopeId: sent.header.envelopeId,
      headerHash: sent.header.hash, devices: trust.roster(RECEIVING, NOW).recipients(TYPE, NOW) });
    assert.equal(device.person, 'hh-point');

    const reply = sealReply(text('{"status":"bed held"}'), { sender: world.point, trust,
      referralId: sent.header.envelopeId, otherAgency: SENDING, referralType: TYPE, now: NOW });
    assert.equal(reply.header.kind, Kind.REPLY);
    const seen = new SeenEnvelopes();
    const read = openReply(reply.envelope, { referralId: sent.header.envelopeId,
      device: world.sender, trust, now: NOW, replay: seen });
    assert.equal(new TextDecoder().decode(read.content), '{"status":"bed held"}');
    assert.equal(read.sender.person, 'hh-point');
    rejected(() => openReply(reply.envelope, { referralId: sent.header.envelopeId,
      device: world.sender, trust, now: NOW, replay: seen }), 'replay');
    rejected(() => openReply(reply.envelope, { referralId: new Uint8Array(16),
      device: world.sender, trust, now: NOW }), 'not-a-reply-on-this-thread');
  });
});

describe('a drill', () => {
  test("a drill's reply says so in its header, as hub/crypto reads it, and opens", () => {
    const trust = new TrustStore();
    for (const agency of Object.values(world.agencies)) {
      trust.pin(agency.id, agency.root.public, shortFingerprint(agency.root.public));
      trust.acceptRoster(agency.id, agency.roster(), NOW);
    }
    const referral = sealReferral(CONTENT, { sender: world.sender, trust, destination: RECEIVING,
      referralType: TYPE, now: NOW });
    assert.equal(referral.header.drill, false);
    const reply = sealReply(text('{"kind":"reply","text":"DRILL: bed held"}'), {
      sender: world.point, trust, referralId: referral.header.envelopeId, otherAgency: SENDING,
      referralType: TYPE, now: NOW, drill: true });
    assert.equal(reply.envelope[5], 0x80 | Kind.REPLY);
    const read = openReply(reply.envelope, { referralId: referral.header.envelopeId,
      device: world.sender, trust, now: NOW });
    assert.equal(read.header.drill, true);
    assert.equal(read.header.kind, Kind.REPLY);
  });
});

describe('fingerprints', () => {
  const root = AgencyRoot.fromSeed(new Uint8Array(32).fill(7));
  const short = shortFingerprint(root.public);
  const numeric = numericFingerprint(root.public);

  test('a fingerprint matches whatever the case, spaces and dashes', () => {
    assert.match(short, /^CCR1-([A-Z2-7]{4}-){6}[A-Z2-7]{4}$/);
    assert.match(numeric, /^(\d{5} ){11}\d{5}$/);
    for (const t of [short, short.toLowerCase(), short.replaceAll('-', ''),
      short.replaceAll('-', ' '), numeric, numeric.replaceAll(' ', ''),
      numeric.replaceAll(' ', '-')]) {
      assert.ok(matchesFingerprint(root.public, t), t);
    }
    const other = AgencyRoot.fromSeed(new Uint8Array(32).fill(8)).public;
    assert.equal(matchesFingerprint(other, short), false);
    assert.equal(matchesFingerprint(other, numeric), false);
  });

  test('any single changed character of a short fingerprint is reported as a typo', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    for (let i = 5; i < short.length; i += 1) {
      if (short[i] === '-') continue;
      for (const c of alphabet.replace(short[i], '')) {
        distrusted(() => matchesFingerprint(root.public, short.slice(0, i) + c + short.slice(i + 1)),
          'fingerprint-typo');
      }
    }
  });

  test('a fingerprint of the wrong shape is refused', () => {
    for (const t of ['', 'CCR1-ABCD', `CCR2-${'A'.repeat(28)}`, '12345 6789x']) {
      distrusted(() => matchesFingerprint(root.public, t));
    }
  });
});

describe('key files', () => {
  test('device keys and roots survive export and import, with and without a passphrase', () => {
    const keys = DeviceKeys.generate();
    for (const passphrase of [null, 'correct horse battery staple']) {
      const back = importDeviceKeys(exportDeviceKeys(keys, passphrase), passphrase);
      assert.deepEqual([back.boxSecret, back.boxPublic, back.signSeed, back.signPublic],
        [keys.boxSecret, keys.boxPublic, keys.signSeed, keys.signPublic]);
    }
    const root = AgencyRoot.generate();
    assert.deepEqual(importAgencyRoot(exportAgencyRoot(root, 'pw'), 'pw').public, root.public);
  });

  test('a wrong passphrase, a missing one, or the wrong kind of file is refused', () => {
    const file = exportDeviceKeys(DeviceKeys.generate(), 'right');
    distrusted(() => importDeviceKeys(file, 'wrong'), 'bad-passphrase');
    distrusted(() => importDeviceKeys(file), 'passphrase-required');
    distrusted(() => importAgencyRoot(file, 'right'), 'wrong-key-file');
    distrusted(() => importDeviceKeys(text('{"format": "ccr-key/1"')), 'bad-key-file');
  });
});

describe('the page bundle', () => {
  test('esbuild bundles the module with libsodium into one file that works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccr-bundle-'));
    try {
      const outfile = join(dir, 'app.js');
      await build({ entryPoints: [new URL('../src/app.js', import.meta.url).pathname], outfile,
        bundle: true, format: 'esm', platform: 'browser', logLevel: 'silent' });
      const app = await import(pathToFileURL(outfile).href);
      await app.ready();
      const root = app.AgencyRoot.fromSeed(new Uint8Array(32).fill(7));
      assert.equal(app.shortFingerprint(root.public),
        shortFingerprint(AgencyRoot.fromSeed(new Uint8Array(32).fill(7)).public));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

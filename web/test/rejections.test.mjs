// Rejections, as tests/crypto/test_rejections.py: every damaged or hostile input the doc
// names is refused, an envelope, attachment or receipt with the one uniform EnvelopeError
// (its reason code the same as Python's), a key, certificate or roster with TrustError.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  DeviceIdentity, DeviceKeys, EnvelopeError, ReceiptStatus, SeenEnvelopes, issueCertificate,
  makeRoster, numericFingerprint, parseCertificate, parseHeader, signReceipt, verifyCertificate,
  verifyReceipt, verifyRoster,
} from '../src/crypto/index.js';
import { SignedRoster } from '../src/crypto/rosters.js';
import { sodium } from '../src/crypto/sodium.js';
import * as forge from './support/forge.mjs';
import {
  CONTENT, DAY, NOW, OTHER, RECEIVING, SENDING, TYPE, distrusted, makeWorld, newDevice, openAs,
  refused, rejected, sealTo,
} from './support/world.mjs';

const { cat, flip, get, put, u } = forge;
const world = makeWorld();
const sealed = sealTo(world, [world.point, world.backup]);
const { envelope } = sealed;
const random = (n) => sodium.randombytes_buf(n);
const draft = (changes = {}) => ({ ...forge.draftOf(world), ...changes });
const openForged = (d, device) => openAs(world, forge.forge(d)[0], device);

const SMALL_ORDER = {
  zero: '00'.repeat(32),
  one: `01${'00'.repeat(31)}`,
  'order-8-a': 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  'order-8-b': '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'p-1': `ec${'ff'.repeat(30)}7f`,
  p: `ed${'ff'.repeat(30)}7f`,
  'p+1': `ee${'ff'.repeat(30)}7f`,
};

function handMadeCertificate(agency, person, { boxPublic, signPublic }) {
  return parseCertificate(forge.certificate(world.agencies[agency].root.seed, {
    agency, person, deviceId: random(16), boxPublic, signPublic, issuedAt: NOW - DAY,
    expiresAt: NOW + DAY }));
}

describe('damaged bytes', () => {
  test('a single flipped bit anywhere is rejected', () => {
    assert.equal(envelope.length, 176 + 2 * 80 + 528);
    const accepted = [];
    for (let i = 0; i < envelope.length; i += 1) {
      for (let bit = 0; bit < 8; bit += 1) {
        if (!refused(world, flip(envelope, i, bit), world.point)) accepted.push([i, bit]);
      }
    }
    assert.deepEqual(accepted, []);
  });

  test('every truncation is rejected', () => {
    const one = sealTo(world, [world.point]).envelope;
    const accepted = [];
    for (let n = 0; n < one.length; n += 1) {
      if (!refused(world, one.subarray(0, n), world.point)) accepted.push(n);
    }
    assert.deepEqual(accepted, []);
  });

  test('appended bytes are rejected', () => {
    for (const extra of [1, 15, 16, 511, 512, 513, 1024]) {
      rejected(() => openAs(world, cat(envelope, random(extra)), world.point));
    }
  });
});

describe('who may open', () => {
  test('a device that was not sealed to is rejected', () => {
    for (const outsider of [world.staff, world.pool[0]]) {
      rejected(() => openAs(world, envelope, outsider), 'not-a-recipient');
    }
  });

  test('a device of another agency is rejected, even when sealed to', () => {
    rejected(() => openAs(world, envelope, world.stranger), 'wrong-agency');
    const both = sealTo(world, [world.point, world.stranger]).envelope;
    rejected(() => openAs(world, both, world.stranger), 'wrong-agency');
  });
});

describe('every header field is bound', () => {
  const change = (name, value) => (e) => put(e, name, value);
  const shift = (name, delta) => (e) => {
    const size = forge.LAYOUT[name][1];
    const value = get(e, name).reduce((n, b) => n * 256n + BigInt(b), 0n);
    return put(e, name, u(value + BigInt(delta), size));
  };
  const padded = new Uint8Array(32);
  padded.set(forge.text('harbor-house\0x'));
  const EDITS = {
    magic: [change('magic', forge.text('CCRX')), 'malformed'],
    version: [change('version', Uint8Array.of(2)), 'unknown-version'],
    'kind-reply': [change('kind', Uint8Array.of(2)), 'ciphertext'],
    'kind-unknown': [change('kind', Uint8Array.of(4)), 'malformed'],
    'envelope-id': [(e) => put(put(e, 'envelope_id', new Uint8Array(16).fill(0x99)), 'thread_id',
      new Uint8Array(16).fill(0x99)), 'key-commitment'],
    'thread-id-of-a-referral': [change('thread_id', new Uint8Array(16).fill(0x99)), 'malformed'],
    'destination-another-agency': [change('destination', forge.slug(OTHER)), 'wrong-agency'],
    'destination-not-a-slug': [change('destination', forge.slug('Harbor-House')), 'malformed'],
    'destination-bad-padding': [change('destination', padded), 'malformed'],
    'referral-type': [change('referral_type', forge.slug('shelter-request')), 'ciphertext'],
    urgency: [change('urgency', Uint8Array.of(3)), 'ciphertext'],
    'urgency-unknown': [change('urgency', Uint8Array.of(4)), 'malformed'],
    'created-at': [shift('created_at', -1), 'ciphertext'],
    'expires-at': [shift('expires_at', 1), 'ciphertext'],
    'expires-after-400-days': [shift('expires_at', 400 * DAY), 'malformed'],
    'expires-before-created': [shift('expires_at', -7 * DAY), 'malformed'],
    'key-commitment': [(e) => flip(e, forge.LAYOUT.commitment[0] + 5), 'key-commitment'],
    nonce: [(e) => flip(e, forge.LAYOUT.nonce[0]), 'ciphertext'],
    count: [shift('count', 1), 'malformed'],
  };
  for (const [name, [edit, reason]] of Object.entries(EDITS)) {
    test(`a changed header field is rejected: ${name}`, () => {
      for (const device of [world.point, world.backup]) {
        rejected(() => openAs(world, edit(envelope), device), reason);
      }
    });
  }
});

describe('wrapped keys and bodies', () => {
  const [first, second] = forge.wrappedKeys(envelope);

  test('a dropped wrapped key is rejected', () => {
    for (const kept of [[first], [second]]) {
      const damaged = forge.withWrappedKeys(envelope, kept);
      assert.ok([world.point, world.backup].every((d) => refused(world, damaged, d)));
    }
  });

  test('a duplicated wrapped key is rejected', () => {
    for (const keys of [[first, second, first], [first, first], [first, second, second]]) {
      const damaged = forge.withWrappedKeys(envelope, keys);
      rejected(() => openAs(world, damaged, world.point));
      rejected(() => openAs(world, damaged, world.backup));
    }
  });

  test('reordered wrapped keys are rejected', () => {
    const damaged = forge.withWrappedKeys(envelope, [second, first]);
    for (const device of [world.point, world.backup]) {
      rejected(() => openAs(world, damaged, device), 'ciphertext');
    }
  });

  test('a body grafted from another envelope is rejected', () => {
    const upper = forge.text(new TextDecoder().decode(CONTENT).toUpperCase());
    const other = sealTo(world, [world.point, world.backup], upper).envelope;
    const grafted = cat(forge.split(envelope)[0], forge.split(other)[1]);
    assert.equal(grafted.length, envelope.length);
    for (const device of [world.point, world.backup]) {
      rejected(() => openAs(world, grafted, device), 'ciphertext');
    }
  });

  test('an envelope with no wrapped key is rejected', () => {
    rejected(() => openAs(world, forge.withWrappedKeys(envelope, []), world.point), 'malformed');
  });
});

describe('replay and time', () => {
  test('a replayed envelope id is rejected', () => {
    const seen = new SeenEnvelopes();
    openAs(world, envelope, world.point, { replay: seen });
    rejected(() => openAs(world, envelope, world.point, { replay: seen }), 'replay');
  });

  test('a fresh envelope reusing a seen id is rejected', () => {
    const id = new Uint8Array(16).fill(5);
    const [a, b] = [0, 1].map(() => sealTo(world, [world.point], CONTENT, { envelopeId: id }));
    assert.notDeepEqual(a.envelope, b.envelope);
    const seen = new SeenEnvelopes();
    openAs(world, a.envelope, world.point, { replay: seen });
    rejected(() => openAs(world, b.envelope, world.point, { replay: seen }), 'replay');
  });

  test('a rejected envelope does not use up its id', () => {
    const one = sealTo(world, [world.point]).envelope;
    const seen = new SeenEnvelopes();
    rejected(() => openAs(world, flip(one, one.length - 1), world.point, { replay: seen }),
      'ciphertext');
    openAs(world, one, world.point, { replay: seen });
  });

  test('an envelope from too far in the future is rejected', () => {
    const later = sealTo(world, [world.point], CONTENT, { now: NOW + 301 }).envelope;
    rejected(() => openAs(world, later, world.point, { now: NOW }), 'from-future');
    openAs(world, later, world.point, { now: NOW + 1 });
  });

  test('an envelope past its expiry is rejected', () => {
    const short = sealTo(world, [world.point], CONTENT, { lifetime: DAY }).envelope;
    openAs(world, short, world.point, { now: NOW + DAY - 1 });
    rejected(() => openAs(world, short, world.point, { now: NOW + DAY }), 'expired');
  });
});

describe('forwarding and forging by recipients', () => {
  function forward(e, by, to) {
    const key = forge.unwrap(e, by.keys.boxPublic, by.keys.boxSecret);
    const inner = forge.decrypt(e, key);
    const keys = forge.wrappedKeys(e);
    keys[0] = forge.wrap(key, to.keys.boxPublic);
    let [header] = forge.split(forge.withWrappedKeys(e, keys));
    header = put(header, 'destination', forge.slug(to.certificate.agency));
    return forge.encrypt(header, inner, key);
  }

  test('surreptitious forwarding to a third party is rejected', () => {
    for (const third of [world.staff, world.stranger]) {
      rejected(() => openAs(world, forward(envelope, world.point, third), third), 'signature');
    }
  });

  test('a device missing from the signed recipient list is rejected', () => {
    const e = forge.forge(draft({ wrapTo: [world.staff.keys.boxPublic, world.backup.keys.boxPublic],
      listed: [world.point.keys.boxPublic, world.backup.keys.boxPublic] }))[0];
    openAs(world, e, world.backup);
    rejected(() => openAs(world, e, world.staff), 'recipient-mismatch');
  });

  test("a co-recipient forging a body under the sender's signature is rejected", () => {
    const key = forge.unwrap(envelope, world.backup.keys.boxPublic, world.backup.keys.boxSecret);
    const inner = forge.parseInner(forge.decrypt(envelope, key), 2);
    const body = cat(forge.buildInner(inner.cert, inner.recipients, inner.manifest,
      forge.text('{"note": "changed by a co-recipient"}')), inner.signature);
    rejected(() => openAs(world, forge.encrypt(forge.split(envelope)[0], body, key), world.point),
      'signature');
  });

  test('a co-recipient re-signing the body as its own is rejected', () => {
    rejected(() => openForged(draft({ cert: world.backup.certificate.raw,
      signSeed: world.backup.keys.signSeed }), world.point), 'sender-is-recipient-agency');
  });

  test('a co-recipient cannot sign as a device of another agency', () => {
    rejected(() => openForged(draft({ cert: world.stranger.certificate.raw,
      signSeed: world.backup.keys.signSeed }), world.point), 'signature');
  });

  test('a key commitment mismatch is rejected', () => {
    const d = draft();
    const wrong = { ...d, commitment: forge.commitment(new Uint8Array(32).fill(1), d.envelopeId) };
    for (const device of [world.point, world.backup]) {
      rejected(() => openForged(wrong, device), 'key-commitment');
    }
  });

  test('recipients given different content keys cannot both open', () => {
    const e = forge.forge(draft({ slotKeys: { 1: new Uint8Array(32).fill(0x43) } }))[0];
    openAs(world, e, world.point);
    rejected(() => openAs(world, e, world.backup), 'key-commitment');
  });

  test('the hand-forged baseline opens, so each forgery fails by its one change', () => {
    const d = draft({ attachments: [new Uint8Array(70000).fill(0x78)] });
    const opened = openForged(d, world.backup);
    assert.deepEqual(opened.content, d.content);
    assert.deepEqual(opened.sender.raw, world.sender.certificate.raw);
  });
});

describe('certificates and rosters', () => {
  const mercy = world.agencies[SENDING];
  const harbor = world.agencies[RECEIVING];
  const foreignNurse = () => newDevice(world.agencies[OTHER].root, SENDING, 'mercy-nurse');

  test('a certificate from another root is not verified', () => {
    distrusted(() => verifyCertificate(foreignNurse().certificate, mercy.root.public, NOW),
      'certificate-signature');
  });

  test('a roster listing a certificate from another root is refused', () => {
    const signed = mercy.roster({ version: 2, extra: [foreignNurse().certificate] });
    distrusted(() => verifyRoster(signed, mercy.root.public, { agency: SENDING, now: NOW }),
      'certificate-signature');
  });

  test('an envelope from a device certified by another root is rejected', () => {
    const e = sealTo(world, [world.point], CONTENT, { sender: foreignNurse() }).envelope;
    rejected(() => openAs(world, e, world.point), 'untrusted-sender');
  });

  test('a roster signed by another root is refused', () => {
    const signed = mercy.roster({ version: 2, root: world.agencies[OTHER].root });
    distrusted(() => world.trust().acceptRoster(SENDING, signed, NOW), 'roster-signature');
  });

  test('a roster for another agency is refused', () => {
    const other = world.agencies[OTHER];
    distrusted(() => verifyRoster(other.roster(), other.root.public, { agency: SENDING, now: NOW }),
      'roster-agency');
  });

  test('an expired certificate is not verified', () => {
    const cert = world.sender.certificate;
    verifyCertificate(cert, mercy.root.public, cert.expiresAt - 1n);
    distrusted(() => verifyCertificate(cert, mercy.root.public, cert.expiresAt),
      'certificate-expired');
  });

  test('an envelope from a device whose certificate expired is rejected', () => {
    const shortLived = newDevice(mercy.root, SENDING, 'mercy-nurse', { expiresAt: NOW + 3600 });
    const trust = world.trust();
    trust.acceptRoster(SENDING, mercy.roster({ version: 2, extra: [shortLived.certificate] }), NOW);
    const early = sealTo(world, [world.point], CONTENT, { sender: shortLived }).envelope;
    openAs(world, early, world.point, { trust });
    const late = sealTo(world, [world.point], CONTENT, { sender: shortLived, now: NOW + 3600 });
    rejected(() => openAs(world, late.envelope, world.point, { trust, now: NOW + 3600 }),
      'untrusted-sender');
  });

  test('an expired device is not sealed to', () => {
    const expired = newDevice(harbor.root, RECEIVING, 'hh-backup', { issuedAt: NOW - 9 * DAY,
      expiresAt: NOW - DAY });
    const roster = verifyRoster(harbor.roster({ extra: [expired.certificate] }), harbor.root.public,
      { agency: RECEIVING, now: NOW });
    assert.ok(![...roster.devices.values()].some((c) => c.equals(expired.certificate)));
    assert.ok(!roster.recipients(TYPE, NOW).some((c) => c.equals(expired.certificate)));
  });

  test('an envelope from a revoked device is rejected', () => {
    const trust = world.trust();
    trust.acceptRoster(SENDING, mercy.roster({ version: 2, revoked: [world.sender.certificate] }),
      NOW);
    rejected(() => openAs(world, envelope, world.point, { trust }), 'untrusted-sender');
  });

  test('a revoked device is not sealed to', () => {
    const roster = world.trust().acceptRoster(RECEIVING,
      harbor.roster({ version: 2, revoked: [world.backup.certificate] }), NOW);
    assert.deepEqual(roster.recipients(TYPE, NOW).map((c) => c.raw), [world.point.certificate.raw]);
  });

  test('a roster rollback to an older version is refused', () => {
    const trust = world.trust();
    const newer = trust.acceptRoster(SENDING, mercy.roster({ version: 3 }), NOW);
    distrusted(() => trust.acceptRoster(SENDING, mercy.roster({ version: 2 }), NOW),
      'roster-rollback');
    assert.equal(trust.roster(SENDING, NOW), newer);
  });

  test('another roster with the same version is refused; the same bytes again are fine', () => {
    const trust = world.trust();
    distrusted(() => trust.acceptRoster(SENDING, mercy.roster({ version: 1,
      expiresAt: NOW + 99 * DAY }), NOW), 'roster-rollback');
    trust.acceptRoster(SENDING, mercy.roster({ version: 1 }), NOW);
  });

  test('a roster putting a coordinator in an escalation group is refused', () => {
    const signed = harbor.roster({ groups: { [TYPE]: ['hh-point', ['hh-coord']] } });
    distrusted(() => verifyRoster(signed, harbor.root.public, { agency: RECEIVING, now: NOW }),
      'bad-roster');
  });

  test('an expired roster is refused', () => {
    distrusted(() => verifyRoster(mercy.roster({ expiresAt: NOW }), mercy.root.public,
      { agency: SENDING, now: NOW }), 'roster-expired');
  });

  test("an envelope is rejected once the sender's roster has expired", () => {
    const trust = world.trust();
    trust.acceptRoster(SENDING, mercy.roster({ version: 2, expiresAt: NOW + DAY }), NOW);
    const e = sealTo(world, [world.point], CONTENT, { now: NOW + DAY }).envelope;
    rejected(() => openAs(world, e, world.point, { trust, now: NOW + DAY }), 'untrusted-sender');
  });

  test('a wrong fingerprint or a second root cannot be pinned', () => {
    const other = world.agencies[OTHER].root;
    const trust = world.trust();
    distrusted(() => trust.pin('new-agency', mercy.root.public, numericFingerprint(other.public)),
      'fingerprint-mismatch');
    distrusted(() => trust.pin(SENDING, other.public), 'pin-conflict');
  });

  for (const entry of ['not-hex', 'abc', '00']) {
    test(`a roster with a revoked entry that is not a device id is refused: ${entry}`, () => {
      const body = forge.text(JSON.stringify({ agency: SENDING, devices: [],
        expires_at: NOW + DAY, format: 'ccr-roster/1', groups: [], issued_at: NOW, people: [],
        revoked: [entry], version: 2 }));
      const signature = forge.sign(mercy.root.seed, cat(forge.text('ccrhub roster v1\0'), body));
      distrusted(() => verifyRoster(new SignedRoster(body, signature), mercy.root.public,
        { agency: SENDING, now: NOW }));
    });
  }

  test('a roster with an unknown key, a float or a bad role is refused', () => {
    const good = { agency: SENDING, devices: [], expires_at: NOW + DAY, format: 'ccr-roster/1',
      groups: [], issued_at: NOW, people: [{ id: 'a', roles: ['sender'] }], version: 2 };
    const texts = [JSON.stringify({ ...good, extra: 1 }),
      JSON.stringify(good).replace(`"version":2`, '"version":2.0'),
      JSON.stringify({ ...good, people: [{ id: 'a', roles: ['boss'] }] }),
      JSON.stringify({ ...good, version: 0 }), JSON.stringify({ ...good, agency: 'Mercy' })];
    for (const t of texts) {
      const body = forge.text(t);
      const signature = forge.sign(mercy.root.seed, cat(forge.text('ccrhub roster v1\0'), body));
      distrusted(() => verifyRoster(new SignedRoster(body, signature), mercy.root.public,
        { agency: SENDING, now: NOW }), 'bad-roster');
    }
    const body = forge.text(JSON.stringify(good));
    const signature = forge.sign(mercy.root.seed, cat(forge.text('ccrhub roster v1\0'), body));
    verifyRoster(new SignedRoster(body, signature), mercy.root.public, { agency: SENDING, now: NOW });
  });
});

describe('low-order keys', () => {
  for (const [name, hex] of Object.entries(SMALL_ORDER)) {
    const pk = Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));

    test(`a low-order key is never certified: ${name}`, () => {
      distrusted(() => issueCertificate(world.agencies[RECEIVING].root, { agency: RECEIVING,
        person: 'hh-backup', deviceId: random(16), boxPublic: pk,
        signPublic: world.backup.keys.signPublic, issuedAt: NOW, expiresAt: NOW + DAY }),
      'low-order-key');
    });

    test(`a hand-signed certificate with a low-order key is not verified: ${name}`, () => {
      const cert = handMadeCertificate(RECEIVING, 'hh-backup', { boxPublic: pk,
        signPublic: world.backup.keys.signPublic });
      const harbor = world.agencies[RECEIVING];
      distrusted(() => verifyCertificate(cert, harbor.root.public, NOW), 'low-order-key');
      distrusted(() => verifyRoster(harbor.roster({ extra: [cert] }), harbor.root.public,
        { agency: RECEIVING, now: NOW }), 'low-order-key');
    });

    test(`seal refuses a low-order recipient key: ${name}`, () => {
      const cert = handMadeCertificate(RECEIVING, 'hh-backup', { boxPublic: pk,
        signPublic: world.backup.keys.signPublic });
      distrusted(() => sealTo(world, [world.point, { certificate: cert }]), 'low-order-key');
    });

    test(`a sender with a low-order key is rejected: ${name}`, () => {
      const keys = DeviceKeys.generate();
      const fake = Object.freeze({ ...keys, boxPublic: pk, sign: (m) => keys.sign(m) });
      const cert = handMadeCertificate(SENDING, 'mercy-nurse', { boxPublic: pk,
        signPublic: keys.signPublic });
      const e = sealTo(world, [world.point], CONTENT, { sender: new DeviceIdentity(fake, cert) });
      rejected(() => openAs(world, e.envelope, world.point), 'untrusted-sender');
    });

    test(`a wrapped key with a low-order ephemeral key is rejected: ${name}`, () => {
      const keys = forge.wrappedKeys(envelope);
      keys[0] = cat(pk, keys[0].subarray(32));
      rejected(() => openAs(world, forge.withWrappedKeys(envelope, keys), world.point),
        'not-a-recipient');
    });
  }
});

describe('versions and limits', () => {
  test('an unknown version byte is rejected', () => {
    for (const version of [0, 2, 0x7f, 0xff]) {
      const e = put(envelope, 'version', Uint8Array.of(version));
      rejected(() => parseHeader(e), 'unknown-version');
      rejected(() => openAs(world, e, world.point), 'unknown-version');
    }
  });

  test('more than 64 wrapped keys are rejected before any public-key work', () => {
    const devices = [world.point, ...world.pool];
    assert.equal(devices.length, 65);
    const e = forge.forge(draft({ wrapTo: devices.map((d) => d.keys.boxPublic) }))[0];
    assert.equal(e[175], 65);
    rejected(() => parseHeader(e), 'too-many-recipients');
    rejected(() => openAs(world, e, world.point), 'too-many-recipients');
  });

  test('seal refuses 65 devices, a device listed twice, and oversized content', () => {
    distrusted(() => sealTo(world, [world.point, ...world.pool]), 'recipients');
    distrusted(() => sealTo(world, [world.point, world.backup, world.point]), 'recipients');
    distrusted(() => sealTo(world, [world.point], new Uint8Array(4 * 1024 * 1024 + 1)),
      'too-large');
    distrusted(() => sealTo(world, [world.point], CONTENT, {
      attachments: Array.from({ length: 17 }, () => new Uint8Array(0)) }), 'too-large');
    distrusted(() => sealTo(world, [world.point], CONTENT, {
      attachments: [{ length: 256 * 1024 * 1024 + 1 }] }), 'too-large');
  });

  test('content over 4 MiB is rejected when opening', () => {
    const d = draft();
    rejected(() => openForged({ ...d, wrapTo: d.wrapTo.slice(0, 1),
      content: new Uint8Array(4 * 1024 * 1024 + 1) }, world.point));
  });
});

describe('attachments', () => {
  const SIZE = 2 * forge.CHUNK + 5; // three chunks, the last one short
  const withAttachments = sealTo(world, [world.point], CONTENT, {
    attachments: [new Uint8Array(SIZE).fill(0x61), new Uint8Array(SIZE).fill(0x62)] });
  const opened = openAs(world, withAttachments.envelope, world.point);
  const [first, second] = withAttachments.attachments;
  const reassemble = (blob, order) => {
    const parts = forge.pieces(blob);
    return cat(parts[0], ...order.map((i) => parts[1 + i]));
  };
  const openFirst = (d) => {
    const [e, blobs] = forge.forge(d);
    return () => openAs(world, e, world.point).openAttachment(0, blobs[0]);
  };

  test('both attachments open', () => {
    assert.deepEqual(opened.openAttachment(0, first), new Uint8Array(SIZE).fill(0x61));
    assert.deepEqual(opened.openAttachment(1, second), new Uint8Array(SIZE).fill(0x62));
  });

  test('attachments swapped within an envelope are rejected', () => {
    rejected(() => opened.openAttachment(0, second), 'attachment-hash');
    rejected(() => opened.openAttachment(1, first), 'attachment-hash');
  });

  test('an attachment with reordered chunks is rejected', () => {
    rejected(() => opened.openAttachment(0, reassemble(first, [1, 0, 2])), 'attachment-hash');
  });

  test('reordered chunks are rejected even under a matching manifest', () => {
    rejected(openFirst(draft({ attachments: [new Uint8Array(SIZE).fill(0x63)],
      edit: (p) => [p[0], p[2], p[1], p[3]] })), 'attachment-ciphertext');
  });

  test('a truncated attachment is rejected', () => {
    for (const cut of [1, 17, 18, forge.pieces(first).at(-1).length, first.length - 24,
      first.length]) {
      rejected(() => opened.openAttachment(0, first.subarray(0, first.length - cut)),
        'attachment-size');
    }
  });

  test('an attachment missing its final chunk is rejected', () => {
    rejected(() => opened.openAttachment(0, reassemble(first, [0, 1])), 'attachment-size');
  });

  for (const kept of [1, 2]) {
    test(`a missing final chunk is rejected even under a matching manifest (${kept} of 3)`, () => {
      rejected(openFirst(draft({ attachments: [new Uint8Array(3 * forge.CHUNK).fill(0x64)],
        edit: (p) => p.slice(0, 1 + kept) })), 'attachment-truncated');
    });
  }

  for (const [name, tag] of [['never-final', () => forge.MESSAGE], ['final-first', () => forge.FINAL]]) {
    test(`a misplaced final tag is rejected: ${name}`, () => {
      rejected(openFirst(draft({ attachments: [new Uint8Array(2 * forge.CHUNK).fill(0x65)], tag })),
        'attachment-truncated');
    });
  }

  test('an attachment not matching the manifest size or hash is rejected', () => {
    rejected(() => opened.openAttachment(0, cat(first, new Uint8Array(1))), 'attachment-size');
    for (const index of [0, 30, Math.floor(first.length / 2), first.length - 1]) {
      rejected(() => opened.openAttachment(0, flip(first, index)), 'attachment-hash');
    }
  });

  test('an attachment from another envelope is rejected', () => {
    const other = sealTo(world, [world.point], CONTENT, {
      attachments: [new Uint8Array(SIZE).fill(0x61)] });
    rejected(() => opened.openAttachment(0, other.attachments[0]), 'attachment-hash');
  });

  test('an attachment swapped between envelopes under a matching manifest is rejected', () => {
    const data = new Uint8Array(SIZE).fill(0x66);
    const donor = forge.forge(draft({ envelopeId: new Uint8Array(16).fill(1),
      attachments: [data] }))[1][0];
    rejected(openFirst(draft({ attachments: [data], edit: () => forge.pieces(donor) })),
      'attachment-ciphertext');
  });

  test('an unknown attachment index is rejected', () => {
    for (const index of [-1, 2]) {
      rejected(() => opened.openAttachment(index, first), 'attachment-unknown');
    }
  });
});

describe('receipts', () => {
  const receipt = (device, s) => signReceipt(device, { envelopeId: s.header.envelopeId,
    headerHash: s.header.hash, status: ReceiptStatus.ACKNOWLEDGED, at: NOW });
  const check = (raw, s) => verifyReceipt(raw, { envelopeId: s.header.envelopeId,
    headerHash: s.header.hash,
    devices: world.sharedTrust.roster(RECEIVING, NOW).recipients(TYPE, NOW) });

  test('a receipt for another envelope is rejected', () => {
    const other = sealTo(world, [world.point, world.backup]);
    rejected(() => check(receipt(world.point, other), sealed), 'receipt-for-other-envelope');
    const mixed = signReceipt(world.point, { envelopeId: sealed.header.envelopeId,
      headerHash: other.header.hash, status: ReceiptStatus.ACKNOWLEDGED, at: NOW });
    rejected(() => check(mixed, sealed), 'receipt-for-other-envelope');
  });

  test('a receipt from a device outside the roster group is rejected', () => {
    for (const outsider of [world.stranger, world.staff, world.pool[0], world.sender]) {
      rejected(() => check(receipt(outsider, sealed), sealed), 'receipt-device-unknown');
    }
  });

  test('a receipt naming a group device but signed by another is rejected', () => {
    const signed = receipt(world.point, sealed).subarray(0, 78);
    const forged = cat(signed, world.staff.keys.sign(cat(forge.text('ccrhub receipt v1\0'), signed)));
    rejected(() => check(forged, sealed), 'receipt-signature');
  });

  test('a receipt with a flipped bit is rejected', () => {
    const raw = receipt(world.point, sealed);
    check(raw, sealed);
    const accepted = [];
    for (let i = 0; i < raw.length; i += 1) {
      for (let bit = 0; bit < 8; bit += 1) {
        try {
          check(flip(raw, i, bit), sealed);
          accepted.push([i, bit]);
        } catch (e) {
          if (!(e instanceof EnvelopeError)) throw e;
        }
      }
    }
    assert.deepEqual(accepted, []);
  });
});

describe('rosters made here', () => {
  test('makeRoster refuses a document the format does not allow', () => {
    distrusted(() => makeRoster(world.agencies[SENDING].root, { agency: SENDING, version: 0,
      issuedAt: NOW, expiresAt: NOW + DAY, people: [], devices: [], groups: [] }), 'bad-roster');
  });
});

// The case link and the case file in JavaScript, as Python computes and writes them
// (hub/crypto/caselink.py, hub/api/casefile.py): the same link id for the same secret and
// pair (a known answer pinned in tests/crypto/test_caselink.py too), either side.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { linkId, ready, toHex } from '../src/crypto/index.js';
import { attachCase, caseJson, detachCase, forwardCase, forwarding, newCase } from '../src/pages/casefile.js';

const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i);

describe('the case link', () => {
  test('is the known answer, whichever agency of the pair computes it', async () => {
    await ready();
    const want = '2074dbd607d534986ccedb00f338a271001f407352a67113db731196c4672a7e';
    assert.equal(toHex(linkId(SECRET, 'mercy-hospital', 'harbor-house')), want);
    assert.equal(toHex(linkId(SECRET, 'harbor-house', 'mercy-hospital')), want);
    assert.equal(toHex(linkId(SECRET, 'harbor-house', 'northside-counseling')),
      '4c95ca12273c4145d3c3525fc829a28e39bc1e5181b50754d8bd250df5339f01');
    assert.throws(() => linkId(SECRET.subarray(1), 'a', 'b'), RangeError);
  });

  test('a document is read without its case, and the case apart', async () => {
    await ready();
    const doc = { kind: 'counseling-referral', text: 'notes',
      case: { format: 'ccr-case/1', secret: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
        record: [{ referral: 'a'.repeat(32), sender: 'mercy-hospital', destination: 'harbor-house',
          type: 'discharge-handoff', sent_at: 1800000000, content: { kind: 'discharge-handoff' } }],
        forwarding: { purpose: 'counseling', covers: ['survivor'] } } };
    const { content, case: carried } = detachCase(new TextEncoder().encode(JSON.stringify(doc)));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(content)),
      { kind: 'counseling-referral', text: 'notes' });
    assert.deepEqual(carried.secret, SECRET);
    assert.equal(carried.record[0].sender, 'mercy-hospital');
    const plain = new TextEncoder().encode('{"kind":"x","case":{"format":"other"}}');
    assert.equal(detachCase(plain).content, plain); // not a case this reads: left whole
  });

  test('goes onward cut down to what consent covers, as Python cuts it', async () => {
    await ready();
    // the same input and answers tests/client/test_cases.py checks against hub/api/casefile.py
    const doc = JSON.parse(readFileSync(new URL('../../tests/vectors/case-forward.json', import.meta.url)));
    const prior = detachCase(new TextEncoder().encode(JSON.stringify({ case: doc.prior }))).case;
    assert.notEqual(prior, null);
    for (const c of doc.cases) {
      const fwd = forwarding(c.forwarding.purpose, c.forwarding.covers);
      if (c.error) {
        assert.throws(() => forwardCase(prior, doc.step, fwd), { message: c.error }, c.name);
        continue;
      }
      assert.deepEqual(caseJson(forwardCase(prior, doc.step, fwd)), c.expected, c.name);
    }
    assert.throws(() => forwarding('Counseling!', ['survivor']), RangeError);
    assert.throws(() => forwarding('counseling', []), RangeError);
  });

  test('a first referral starts a case that travels beside the document', async () => {
    await ready();
    const started = newCase();
    assert.equal(started.secret.length, 32);
    assert.notDeepEqual(newCase().secret, started.secret);
    const bytes = attachCase(new TextEncoder().encode('{"kind":"x","text":"hi"}'), started);
    const { content, case: carried } = detachCase(bytes);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(content)), { kind: 'x', text: 'hi' });
    assert.deepEqual(carried, { secret: started.secret, record: [], forwarding: null });
    assert.throws(() => attachCase(bytes, started), TypeError); // already has a case
  });
});

// The send form's pure logic (web/src/pages/contents.js): a discharge handoff read off the
// form, checked as hub/client/contents.py's pydantic models check it, written as pydantic
// writes it; replies; other referral types as text; and the consent metadata the hub needs.
// tests/client/test_contents_js.py runs the same checks against pydantic itself.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  DischargeHandoff, GenericReferral, consentMetadata, dump, formToDoc, localToIso, parseContent,
  referralContent, replyContent, validate,
} from '../src/pages/contents.js';
import { attachmentName } from '../src/pages/files.js';

const NOW = 1_800_000_000;
const text = (b) => new TextDecoder().decode(b);

const field = (path, value, type = 'text') => ({ path, value, type });
const tick = (path, value, checked, multi = true) => ({ path, value, checked, type: 'checkbox', multi });

function handoffForm(overrides = {}) {
  const base = [
    field('survivor.name', 'Alex Example'),
    field('survivor.preferred_name', ''),
    field('survivor.pronouns', 'they/them'),
    tick('needs', 'shelter', true), tick('needs', 'advocacy', true), tick('needs', 'legal', false),
    field('discharge_at', '2026-11-25T15:00Z'),
    tick('safe_contact.channels', 'phone', true), tick('safe_contact.channels', 'sms', false),
    field('safe_contact.phone', '+1 555 0100'),
    field('safe_contact.safe_times.0.days', 'weekdays'),
    field('safe_contact.safe_times.0.start', '09:00', 'time'),
    field('safe_contact.safe_times.0.end', '12:00', 'time'),
    field('safe_contact.safe_times.1.days', ''),
    field('safe_contact.safe_times.1.start', '', 'time'),
    field('safe_contact.safe_times.1.end', '', 'time'),
    tick('safe_contact.voicemail_ok', 'on', false, false),
    tick('safe_contact.may_name_agency', 'on', false, false),
    field('safe_contact.language', 'en'),
    field('consent.method', 'written', 'select-one'),
    field('consent.given_at', '2026-11-25T14:00Z'),
    field('consent.documented_by', 'mercy-nurse-1', 'hidden'),
    field('consent.scope', 'shelter intake and safety planning'),
    field('children', '2', 'number'),
    tick('pets', 'on', true, false),
    field('summary', ''),
  ];
  return base.map((e) => (e.path in overrides ? { ...e, ...overrides[e.path] } : e));
}

describe('a discharge handoff from the form', () => {
  test('a complete form is valid and written as pydantic writes it', () => {
    const built = referralContent('discharge-handoff', handoffForm());
    assert.equal(built.errors, undefined);
    assert.equal(text(built.bytes), '{"kind":"discharge-handoff","survivor":{"name":"Alex Example",'
      + '"pronouns":"they/them"},"needs":["shelter","advocacy"],"discharge_at":"2026-11-25T15:00Z",'
      + '"safe_contact":{"channels":["phone"],"phone":"+1 555 0100","safe_times":[{"days":"weekdays",'
      + '"start":"09:00","end":"12:00"}],"voicemail_ok":false,"may_name_agency":false,"language":"en",'
      + '"interpreter_needed":false},"consent":{"method":"written","given_at":"2026-11-25T14:00Z",'
      + '"documented_by":"mercy-nurse-1","scope":"shelter intake and safety planning"},'
      + '"children":2,"pets":true}');
    assert.equal(parseContent(built.bytes).kind, 'handoff');
  });

  test('what the models refuse, the form refuses, at the same place', () => {
    const cases = [
      [{ 'survivor.name': { value: '' } }, [['survivor', 'name'], 'missing']],
      [{ 'survivor.pronouns': { value: '' } }, null], // optional: left out
      [{ 'safe_contact.safe_times.0.start': { value: '9am' } },
        [['safe_contact', 'safe_times', 0, 'start'], 'string_pattern_mismatch']],
      [{ 'safe_contact.safe_times.0.end': { value: '24:00' } },
        [['safe_contact', 'safe_times', 0, 'end'], 'string_pattern_mismatch']],
      [{ children: { value: '-1' } }, [['children'], 'greater_than_equal']],
      [{ children: { value: 'two' } }, [['children'], 'int_parsing']],
      [{ 'consent.scope': { value: '   ' } }, [['consent', 'scope'], 'missing']],
      [{ 'consent.method': { value: 'by-phone' } }, [['consent', 'method'], 'literal_error']],
    ];
    for (const [overrides, expected] of cases) {
      const built = referralContent('discharge-handoff', handoffForm(overrides));
      if (expected === null) {
        assert.equal(built.errors, undefined, JSON.stringify(overrides));
        continue;
      }
      assert.deepEqual(built.errors.map((e) => [e.loc, e.type]), [expected], JSON.stringify(overrides));
    }
  });

  test('no channel ticked, no need ticked: at least one of each', () => {
    const form = handoffForm().map((e) => (e.multi ? { ...e, checked: false } : e));
    const { errors } = referralContent('discharge-handoff', form);
    assert.deepEqual(errors.map((e) => [e.loc.join('.'), e.type]),
      [['needs', 'too_short'], ['safe_contact.channels', 'too_short']]);
  });

  test('a half-filled safe time is reported; an empty one is left out', () => {
    const { errors } = referralContent('discharge-handoff',
      handoffForm({ 'safe_contact.safe_times.1.days': { value: 'weekends' } }));
    assert.deepEqual(errors.map((e) => e.loc.join('.')),
      ['safe_contact.safe_times.1.start', 'safe_contact.safe_times.1.end']);
  });

  test('extra keys, wrong types and unknown literals are refused as pydantic refuses them', () => {
    const { errors } = validate(DischargeHandoff, {
      survivor: { name: 'A', nickname: 'B' }, needs: ['shelter', 'spa'], discharge_at: 5,
      safe_contact: { channels: ['phone'], voicemail_ok: 'yes please' },
      consent: { method: 'written', given_at: 'x', documented_by: 'y', scope: 'z' },
    });
    assert.deepEqual(errors.map((e) => [e.loc.join('.'), e.type]), [
      ['survivor.nickname', 'extra_forbidden'], ['needs.1', 'literal_error'],
      ['discharge_at', 'string_type'], ['safe_contact.voicemail_ok', 'bool_type']]);
  });
});

describe('other contents', () => {
  test('a reply has text; a referral type without a model is its code and text', () => {
    assert.equal(text(replyContent('bed held until 6pm').bytes),
      '{"kind":"reply","text":"bed held until 6pm"}');
    assert.deepEqual(replyContent('').errors.map((e) => e.type), ['string_too_short']);
    const built = referralContent('shelter-request', [field('text', 'two children, one dog')]);
    assert.equal(text(built.bytes), '{"kind":"shelter-request","text":"two children, one dog"}');
    assert.deepEqual(referralContent('shelter-request', [field('text', '')]).errors
      .map((e) => [e.loc.join('.'), e.type]), [['text', 'missing']]);
    assert.equal(validate(GenericReferral('shelter-request'), { kind: 'x', text: 'y' }).errors[0].type,
      'literal_error');
  });

  test('opened bytes are read as the SDK reads them', () => {
    assert.equal(parseContent(dump({ kind: 'reply', text: 'ok' })).kind, 'reply');
    assert.deepEqual(parseContent(new TextEncoder().encode('{"kind":"x","a":1}')),
      { kind: 'json', value: { kind: 'x', a: 1 } });
    assert.deepEqual(parseContent(new TextEncoder().encode('plain words')),
      { kind: 'text', value: 'plain words' });
    assert.equal(parseContent(new TextEncoder().encode('{"kind":"reply"}')).kind, 'json');
  });

  test('a document without a kind is read as the kind its envelope says', () => {
    const handoff = JSON.parse(text(referralContent('discharge-handoff', handoffForm()).bytes));
    delete handoff.kind;
    const bytes = new TextEncoder().encode(JSON.stringify(handoff));
    assert.equal(parseContent(bytes).kind, 'json');
    const read = parseContent(bytes, 'discharge-handoff');
    assert.equal(read.kind, 'handoff');
    assert.equal(read.value.safe_contact.voicemail_ok, false);
    assert.equal(parseContent(new TextEncoder().encode('{"text":"ok"}'), 'reply').kind, 'reply');
    const note = parseContent(new TextEncoder().encode('{"text":"evenings"}'), 'counseling-referral');
    assert.deepEqual(note, { kind: 'generic', value: { kind: 'counseling-referral', text: 'evenings',
      attachment_names: null } });
  });

  test('attachments keep the names they were sent with, made safe', () => {
    const bytes = new TextEncoder().encode('%PDF-1.4');
    assert.deepEqual(attachmentName('ab'.repeat(16), 0, bytes, 'scan.pdf'), ['scan.pdf', 'application/pdf']);
    assert.equal(attachmentName('ab'.repeat(16), 0, bytes, '../../.bashrc')[0], '_.._.bashrc');
    assert.equal(attachmentName('ab'.repeat(16), 0, bytes, '...')[0], 'referral-abababab-attachment-1.pdf');
    const form = referralContent('discharge-handoff', handoffForm(), ['scan.pdf']);
    assert.deepEqual(JSON.parse(text(form.bytes)).attachment_names, ['scan.pdf']);
  });

  test('form times become ISO 8601 in UTC; other text is kept', () => {
    assert.match(localToIso('2026-11-25T14:30'), /^2026-11-2\dT\d\d:\d0:00Z$/);
    assert.equal(localToIso('tomorrow morning'), 'tomorrow morning');
  });

  test('formToDoc builds nested documents and lists', () => {
    assert.deepEqual(formToDoc([field('a.b', 'x'), tick('a.c', 'p', true), tick('a.c', 'q', true),
      field('l.1.v', 'z'), field('n', '3', 'number'), tick('f', 'on', false, false)]),
    { a: { b: 'x', c: ['p', 'q'] }, l: [{ v: 'z' }], n: 3, f: false });
  });
});

describe('consent metadata', () => {
  const base = { destination: 'harbor-house', referralType: 'discharge-handoff',
    givenAt: NOW - 600, days: 30, method: 'written', documentedBy: 'mercy-nurse-1', now: NOW };

  test('a consent for the destination and type, lasting the days chosen', () => {
    assert.deepEqual(consentMetadata(base).consent, { agency: 'harbor-house',
      purposes: ['discharge-handoff'], given_at: NOW - 600, method: 'written',
      documented_by: 'mercy-nurse-1', expires_at: NOW - 600 + 30 * 86400, share_outcome: false });
  });

  test('refused as the hub would refuse it', () => {
    const refused = (changes) => consentMetadata({ ...base, ...changes }).errors
      .map((e) => e.loc[1]);
    assert.deepEqual(refused({ days: 91 }), ['expires_at']);
    assert.deepEqual(refused({ days: 0 }), ['expires_at']);
    assert.deepEqual(refused({ givenAt: NOW + 3600 }), ['given_at']);
    assert.deepEqual(refused({ givenAt: NOW - 40 * 86400, days: 30 }), ['expires_at']);
    assert.deepEqual(refused({ method: 'nod' }), ['method']);
    assert.deepEqual(refused({ givenAt: Number.NaN }), ['given_at']);
  });
});

describe('attachment names', () => {
  const rid = 'a4c8192e'.padEnd(32, '0');
  test('named by position and by what their first bytes say they are', () => {
    const bytes = (text) => new TextEncoder().encode(text);
    assert.deepEqual(attachmentName(rid, 0, bytes('%PDF-1.4 ...')),
      ['referral-a4c8192e-attachment-1.pdf', 'application/pdf']);
    assert.deepEqual(attachmentName(rid, 1, Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 13, 10)),
      ['referral-a4c8192e-attachment-2.png', 'image/png']);
    assert.deepEqual(attachmentName(rid, 2, bytes('notes, in text')),
      ['referral-a4c8192e-attachment-3.txt', 'text/plain']);
    assert.deepEqual(attachmentName(rid, 3, Uint8Array.of(0xff, 0xfe, 0x00)),
      ['referral-a4c8192e-attachment-4.bin', 'application/octet-stream']);
  });
});

// A type's form, from the JSON Schema the hub serves (hub/api/forms.py): the same checker as
// the typed models, and the narrative taken out for a purge.
import { readFileSync } from 'node:fs';

import { fromSchema, narrativePaths, schemaField, withoutNarrative } from '../src/pages/contents.js';

const HANDOFF_SCHEMA = JSON.parse(readFileSync(new URL('../../docs/schemas/discharge-handoff.json',
  import.meta.url)));

describe('forms from a schema', () => {
  const doc = { survivor: { name: 'A' }, needs: ['shelter'], discharge_at: '2027-01-15',
    safe_contact: { channels: ['sms'], safe_times: [{ days: 'mon', start: '09:00', end: '10:00' }] },
    consent: { method: 'written', given_at: 'x', documented_by: 'y', scope: 'z' },
    summary: 'what happened' };

  test('the handoff schema checks and writes as the handoff model does', () => {
    const schema = fromSchema(HANDOFF_SCHEMA);
    assert.deepEqual(dump(validate(schema, doc).value), dump(validate(DischargeHandoff, doc).value));
    for (const bad of [{ ...doc, pets: 'yes' }, { ...doc, needs: [] }, { ...doc, extra: 1 },
      { ...doc, safe_contact: { channels: ['sms'], safe_times: [{ days: 'x', start: '9', end: '10:00' }] } }]) {
      assert.deepEqual(validate(schema, bad).errors, validate(DischargeHandoff, bad).errors);
    }
  });

  test('a hidden field is not in the form, an optional one is not required', () => {
    const form = structuredClone(HANDOFF_SCHEMA);
    delete form.properties.pets;
    form.required = form.required.filter((r) => r !== 'discharge_at');
    form['x-form'] = { base: 'discharge-handoff' };
    assert.equal(schemaField(form, 'pets'), null);
    assert.equal(schemaField(form, 'discharge_at').required, false);
    assert.equal(schemaField(form, 'safe_contact.safe_times.0.start').required, true);
    const { discharge_at: _, ...without } = doc;
    assert.equal(validate(fromSchema(form), without).errors.length, 0);
    assert.equal(validate(fromSchema(form), { ...doc, pets: true }).errors[0].type, 'extra_forbidden');
  });

  test('a purge takes out the narrative and the attachment names, and keeps the codes', () => {
    assert.deepEqual(narrativePaths(HANDOFF_SCHEMA), ['summary']);
    const kept = JSON.parse(text(withoutNarrative(dump({ ...doc, attachment_names: ['a.pdf'] }),
      HANDOFF_SCHEMA)));
    assert.equal(kept.summary, undefined);
    assert.equal(kept.attachment_names, undefined);
    assert.deepEqual(kept.needs, ['shelter']);
  });

  test('a purge keeps the case secret it carries and lets the earlier record go', () => {
    const kase = { format: 'ccr-case/1', secret: 'A'.repeat(43) + '=', record: [{ agency: 'x' }],
      forwarding: { purpose: 'counseling', covers: ['*'] } };
    const kept = JSON.parse(text(withoutNarrative(dump({ ...doc, case: kase }), HANDOFF_SCHEMA)));
    assert.deepEqual(kept.case, { format: 'ccr-case/1', secret: kase.secret });
  });
});

#!/usr/bin/env node
// The JavaScript implementation behind a pipe, for the Python cross-implementation tests
// (tests/crypto/test_js_interop.py): reads {"requests": [...]} as JSON on stdin, writes
// {"responses": [...]} on stdout. Every byte string is lowercase hex; times are integers.
// A refusal is {"ok": false, "error": <class>, "message", "reason"}, never a crash.

import {
  AgencyRoot, CryptoError, DeviceIdentity, Granter, LogWitness, logHead, DeviceKeys, SignedRoster, TrustStore, certifyDevice,
  exportDeviceKeys, fromHex as x, importDeviceKeys, makeRoster, numericFingerprint,
  openEnvelope, openPinBundle, openWithGrant, parseCertificate, ready, seal, shortFingerprint, signReceipt,
  toHex as hex, verifyReceipt,
} from '../src/crypto/index.js';

await ready();

function device(d) {
  const keys = d.box_seed ? DeviceKeys.fromSeeds(x(d.box_seed), x(d.sign_seed))
    : DeviceKeys.fromSecrets(x(d.box_secret), x(d.sign_seed));
  return new DeviceIdentity(keys, parseCertificate(x(d.certificate)));
}

function trustStore(agencies, now) {
  const trust = new TrustStore();
  for (const [agency, a] of Object.entries(agencies)) {
    trust.pin(agency, x(a.root_public), a.fingerprint ?? null);
    if (a.roster) {
      trust.acceptRoster(agency, new SignedRoster(x(a.roster.body), x(a.roster.signature)), now);
    }
  }
  return trust;
}

/** `draws`: the exact bytes `rand(n)` hands out, in order (as Python's injected rand). */
function replayed(draws) {
  if (!draws) return undefined;
  const queue = draws.map(x);
  return (n) => {
    const d = queue.shift();
    if (!d || d.length !== n) throw new Error(`an injected draw of ${n} bytes is missing`);
    return d;
  };
}

const OPS = {
  device_keys: (r) => {
    const k = DeviceKeys.fromSeeds(x(r.box_seed), x(r.sign_seed));
    return { box_public: hex(k.boxPublic), box_secret: hex(k.boxSecret),
      sign_public: hex(k.signPublic) };
  },

  fingerprints: (r) => ({ numeric: numericFingerprint(x(r.public)),
    short: shortFingerprint(x(r.public)) }),

  certify: (r) => ({ certificate: hex(certifyDevice(AgencyRoot.fromSeed(x(r.root_seed)),
    DeviceKeys.fromSeeds(x(r.box_seed), x(r.sign_seed)), { agency: r.agency, person: r.person,
      deviceId: x(r.device_id), issuedAt: r.issued_at, expiresAt: r.expires_at }).raw) }),

  roster: (r) => {
    const signed = makeRoster(AgencyRoot.fromSeed(x(r.root_seed)), {
      agency: r.agency, version: r.version, issuedAt: r.issued_at, expiresAt: r.expires_at,
      people: r.people, devices: r.devices.map((c) => parseCertificate(x(c))), groups: r.groups,
      revoked: (r.revoked ?? []).map(x) });
    return { body: hex(signed.body), signature: hex(signed.signature) };
  },

  verify_rosters: (r) => {
    const trust = trustStore(r.agencies, r.now);
    return { agencies: Object.fromEntries([...trust.rosters].map(([agency, roster]) => [agency, {
      version: roster.version,
      recipients: Object.fromEntries(roster.body.groups.map((g) => [g.type,
        roster.recipients(g.type, r.now).map((c) => hex(c.deviceId))])) }])) };
  },

  seal: (r) => {
    const sealed = seal(x(r.content), {
      sender: device(r.sender), recipients: r.recipients.map((c) => parseCertificate(x(c))),
      destination: r.destination, referralType: r.referral_type, urgency: r.urgency,
      now: r.now, lifetime: r.lifetime, kind: r.kind ?? 1,
      threadId: r.thread_id ? x(r.thread_id) : null,
      envelopeId: r.envelope_id ? x(r.envelope_id) : null,
      attachments: (r.attachments ?? []).map(x), rand: replayed(r.draws) });
    return { envelope: hex(sealed.envelope), blobs: sealed.attachments.map(hex),
      envelope_id: hex(sealed.header.envelopeId), header_hash: hex(sealed.header.hash) };
  },

  open: (r) => {
    const opened = openEnvelope(x(r.envelope), { device: device(r.device),
      trust: trustStore(r.agencies, r.now), now: r.now });
    return {
      kind: opened.header.kind, envelope_id: hex(opened.header.envelopeId),
      thread_id: hex(opened.header.threadId), header_hash: hex(opened.header.hash),
      content: hex(opened.content), sender: hex(opened.sender.raw),
      recipients: opened.recipients.map(hex),
      attachments: (r.blobs ?? []).map((b, i) => hex(opened.openAttachment(i, x(b)))),
    };
  },

  grant: (r) => ({ grant: hex(new Granter(device(r.granter), replayed(r.draws)).grant(
    x(r.envelope), parseCertificate(x(r.grantee)), { rosterVersion: r.roster_version,
      now: r.now })) }),

  open_with_grant: (r) => {
    const opened = openWithGrant(x(r.envelope), x(r.grant), { device: device(r.device),
      trust: trustStore(r.agencies, r.now), now: r.now });
    return { content: hex(opened.content), sender: hex(opened.sender.raw),
      attachments: (r.blobs ?? []).map((b, i) => hex(opened.openAttachment(i, x(b)))) };
  },

  follow_log: (r) => {
    const witness = LogWitness.fromJSON(r.witness ?? null);
    const shown = logHead(r.head);
    const start = witness.needs(shown);
    if (start !== null) {
      witness.advance(r.entries.slice(start, shown.count).map((e) => new TextEncoder().encode(e)),
        shown);
    }
    if (r.served) {
      witness.checkServed(r.served.agency, new SignedRoster(x(r.served.body), x(r.served.signature)));
    }
    return { witness: witness.toJSON() };
  },

  receipt: (r) => ({ receipt: hex(signReceipt(device(r.device), { envelopeId: x(r.envelope_id),
    headerHash: x(r.header_hash), status: r.status, at: r.at })) }),

  verify_receipt: (r) => {
    const { receipt, device: signer } = verifyReceipt(x(r.receipt), {
      envelopeId: x(r.envelope_id), headerHash: x(r.header_hash),
      devices: r.devices.map((c) => parseCertificate(x(c))) });
    return { status: receipt.status, at: Number(receipt.at), device_id: hex(signer.deviceId) };
  },

  export_device_keys: (r) => ({ file: new TextDecoder().decode(exportDeviceKeys(
    DeviceKeys.fromSecrets(x(r.box_secret), x(r.sign_seed)), r.passphrase ?? null,
    replayed(r.draws))) }),

  open_pin_bundle: (r) => {
    const bundle = openPinBundle(new TextEncoder().encode(r.file), r.fingerprint);
    return { agency: bundle.agency, issued_at: bundle.issuedAt,
      pins: Object.fromEntries([...bundle.pins].map(([a, root]) => [a, hex(root)])) };
  },

  import_device_keys: (r) => {
    const k = importDeviceKeys(new TextEncoder().encode(r.file), r.passphrase ?? null);
    return { box_secret: hex(k.boxSecret), box_public: hex(k.boxPublic),
      sign_seed: hex(k.signSeed), sign_public: hex(k.signPublic) };
  },
};

function answer(request) {
  const op = OPS[request.op];
  if (!op) return { ok: false, error: 'UnknownOp', message: String(request.op) };
  try {
    return { ok: true, ...op(request) };
  } catch (e) {
    if (e instanceof CryptoError) {
      return { ok: false, error: e.name, message: e.message, reason: e.reason };
    }
    return { ok: false, error: e?.name ?? 'Error', message: String(e?.message ?? e),
      stack: String(e?.stack ?? '') };
  }
}

let input = '';
process.stdin.setEncoding('utf8');
for await (const piece of process.stdin) input += piece;
const { requests } = JSON.parse(input);
process.stdout.write(`${JSON.stringify({ responses: requests.map(answer) })}\n`);

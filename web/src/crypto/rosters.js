// Signed agency rosters (mirrors hub/crypto/rosters.py): who works at an agency, their
// devices, and for each referral type the escalation group an envelope is sealed to. JSON
// signed as exact bytes by the agency's offline root; a client verifies every roster against
// the root it pinned and refuses a bad signature, an expired roster or a version rollback.

import { parseCertificate, verifyCertificate } from './certificates.js';
import { TrustError } from './errors.js';
import { SLUG_RE, bytesEqual, concat, seconds, toHex, utf8 } from './fields.js';
import { hasNonIntegerNumber, pythonDumps } from './json.js';
import { verifySignature } from './keys.js';
import { sodium } from './sodium.js';

export const ROSTER_FORMAT = 'ccr-roster/1';
const SIG_CONTEXT = utf8('ccrhub roster v1\0');
export const ROLES = ['sender', 'point_person', 'backup', 'coordinator', 'agency_admin',
  'recovery'];
export const RECOVERY = 'recovery'; // the role of the agency's offline recovery key

const b64 = (bytes) => sodium.to_base64(bytes, sodium.base64_variants.ORIGINAL);

/** base64.b64decode(text, validate=True): the standard alphabet, padded; other bytes refused
 * (trailing bits are ignored, as Python does). */
function strictBase64(text) {
  if (typeof text !== 'string' || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
    throw new RangeError('not base64');
  }
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export class SignedRoster {
  constructor(body, signature) {
    this.body = body; // the exact JSON bytes the root signed
    this.signature = signature;
    Object.freeze(this);
  }

  toJSON() {
    return { roster: b64(this.body), signature: b64(this.signature) };
  }

  /** From the wire form {"roster": base64, "signature": base64}. */
  static fromJSON(doc) {
    try {
      const keys = doc && typeof doc === 'object' ? Object.keys(doc).sort() : [];
      if (keys.join() !== 'roster,signature') throw new RangeError('keys');
      return new SignedRoster(strictBase64(doc.roster), strictBase64(doc.signature));
    } catch {
      throw new TrustError('bad-roster', 'a signed roster is {roster, signature} in base64');
    }
  }
}

// -- the document, checked as strictly as hub/crypto/rosters.py's pydantic models -----------

const isSlug = (v) => typeof v === 'string' && SLUG_RE.test(v);
const isInt = (v) => Number.isInteger(v);
const isList = (v, item) => Array.isArray(v) && v.every(item);

function hasKeys(obj, required, optional = []) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return false;
  const keys = Object.keys(obj);
  return required.every((k) => keys.includes(k))
    && keys.every((k) => required.includes(k) || optional.includes(k));
}

const isPerson = (p) => hasKeys(p, ['id', 'roles']) && isSlug(p.id)
  && isList(p.roles, (r) => ROLES.includes(r));

const isGroup = (g) => hasKeys(g, ['type', 'point_person'], ['backups']) && isSlug(g.type)
  && isSlug(g.point_person) && (g.backups === undefined || isList(g.backups, isSlug));

function validBody(doc) {
  return hasKeys(doc, ['format', 'agency', 'version', 'issued_at', 'expires_at', 'people',
    'devices', 'groups'], ['revoked'])
    && doc.format === ROSTER_FORMAT && isSlug(doc.agency) && isInt(doc.version)
    && doc.version >= 1 && isInt(doc.issued_at) && isInt(doc.expires_at)
    && isList(doc.people, isPerson) && isList(doc.devices, (d) => typeof d === 'string')
    && (doc.revoked === undefined || isList(doc.revoked, (d) => typeof d === 'string'))
    && isList(doc.groups, isGroup);
}

function parseBody(bytes) {
  let doc;
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    doc = hasNonIntegerNumber(text) ? null : JSON.parse(text);
  } catch {
    doc = null;
  }
  if (!validBody(doc)) {
    throw new TrustError('bad-roster', 'the roster is not a valid ccr-roster/1 document');
  }
  return {
    ...doc,
    revoked: doc.revoked ?? [],
    groups: doc.groups.map((g) => ({ ...g, backups: g.backups ?? [] })),
  };
}

export class VerifiedRoster {
  constructor({ agency, version, expiresAt, body, signed, devices, revoked }) {
    Object.assign(this, { agency, version, expiresAt, body, signed, devices, revoked });
    Object.freeze(this);
  }

  rolesOf(person) {
    return this.body.people.find((p) => p.id === person)?.roles ?? [];
  }

  group(referralType) {
    return this.body.groups.find((g) => g.type === referralType) ?? null;
  }

  groupMembers(referralType) {
    const g = this.group(referralType);
    return g ? [g.point_person, ...g.backups] : [];
  }

  devicesOf(people, now) {
    return [...this.devices.values()].filter((c) => people.includes(c.person) && c.validAt(now)
      && !this.revoked.has(toHex(c.deviceId)));
  }

  /** The agency's offline recovery key (docs/operations.md), as devices. */
  recoveryDevices(now) {
    const people = this.body.people.filter((p) => p.roles.includes(RECOVERY)).map((p) => p.id);
    return people.length ? this.devicesOf(people, now) : [];
  }

  /** The devices an envelope of this type is sealed to, in roster order: the whole
   * escalation group, so a backup can open an escalated referral, then the agency's
   * recovery key, so open referrals can be handed on when no device of the group is left. */
  recipients(referralType, now) {
    const devices = this.devicesOf(this.groupMembers(referralType), now);
    if (devices.length === 0) {
      throw new TrustError('no-recipients',
        `${this.agency} has no current device for '${referralType}'`);
    }
    return [...devices, ...this.recoveryDevices(now)];
  }

  /** True when this exact certificate is listed, unexpired and not revoked. */
  currentDevice(cert, now) {
    const listed = this.devices.get(toHex(cert.deviceId));
    return listed !== undefined && bytesEqual(listed.raw, cert.raw) && cert.validAt(now)
      && !this.revoked.has(toHex(cert.deviceId));
  }
}

function toNumber(value) {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (!Number.isSafeInteger(n)) throw new RangeError(`not a whole number: ${value}`);
  return n;
}

/** Sign a roster document (as hub/crypto/rosters.py make_roster: same JSON bytes).
 * `people`: [{id, roles}]; `devices`: [DeviceCertificate]; `groups`: [{type, point_person,
 * backups}]; `revoked`: [16-byte device id]. */
export function makeRoster(root, { agency, version, issuedAt, expiresAt, people, devices,
  groups, revoked = [] }) {
  const doc = {
    format: ROSTER_FORMAT, agency, version: toNumber(version), issued_at: toNumber(issuedAt),
    expires_at: toNumber(expiresAt),
    people: people.map((p) => ({ id: p.id, roles: [...p.roles] })),
    devices: devices.map((c) => b64(c.raw)),
    revoked: revoked.map(toHex),
    groups: groups.map((g) => ({ type: g.type, point_person: g.point_person ?? g.pointPerson,
      backups: [...(g.backups ?? [])] })),
  };
  if (!validBody(doc)) throw new TrustError('bad-roster', 'not a valid ccr-roster/1 document');
  const body = utf8(pythonDumps(doc, 'compact'));
  return new SignedRoster(body, root.sign(concat(SIG_CONTEXT, body)));
}

/** Check signature, agency, expiry, rollback and every certificate; return the roster. */
export function verifyRoster(signed, rootPublic, { agency, now, previous = null }) {
  const t = seconds(now);
  if (!verifySignature(rootPublic, concat(SIG_CONTEXT, signed.body), signed.signature)) {
    throw new TrustError('roster-signature', `roster not signed by ${agency}'s pinned root`);
  }
  const body = parseBody(signed.body);
  if (body.agency !== agency) {
    throw new TrustError('roster-agency', `roster is for ${body.agency}, expected ${agency}`);
  }
  if (t >= BigInt(body.expires_at)) {
    throw new TrustError('roster-expired', `${agency}'s roster has expired; ask for a new one`);
  }
  if (previous !== null) checkRollback(previous, body, signed);
  const devices = verifiedDevices(body, rootPublic, t);
  checkGroups(body);
  const revoked = revokedIds(body);
  return new VerifiedRoster({ agency, version: body.version, expiresAt: BigInt(body.expires_at),
    body, signed, devices, revoked });
}

function revokedIds(body) {
  // bytes.fromhex: pairs of hex digits, ASCII whitespace allowed between pairs
  const ids = body.revoked.map((d) => (/^\s*(?:[0-9a-fA-F]{2}\s*)*$/.test(d)
    ? d.replace(/\s/g, '').toLowerCase() : null));
  if (ids.some((i) => i === null || i.length !== 32)) {
    throw new TrustError('bad-roster', 'a revoked device id is not 32 hex digits');
  }
  return new Set(ids);
}

function checkRollback(previous, body, signed) {
  if (body.version < previous.version
      || (body.version === previous.version && !bytesEqual(signed.body, previous.signed.body))) {
    throw new TrustError('roster-rollback',
      `roster version ${body.version} is not newer than ${previous.version}`);
  }
}

function verifiedDevices(body, rootPublic, now) {
  const people = new Set(body.people.map((p) => p.id));
  const devices = new Map();
  for (const encoded of body.devices) {
    let raw;
    try {
      raw = strictBase64(encoded);
    } catch {
      throw new TrustError('bad-certificate', 'a roster device is not base64');
    }
    const cert = parseCertificate(raw);
    if (cert.agency !== body.agency || !people.has(cert.person)
        || devices.has(toHex(cert.deviceId))) {
      throw new TrustError('bad-certificate', 'a roster device belongs to someone else');
    }
    try {
      verifyCertificate(cert, rootPublic, now);
    } catch (e) {
      if (e.reason !== 'certificate-expired') throw e;
      continue; // an expired device simply stops receiving
    }
    devices.set(toHex(cert.deviceId), cert);
  }
  return devices;
}

function checkGroups(body) {
  const roles = new Map(body.people.map((p) => [p.id, p.roles]));
  for (const g of body.groups) {
    for (const member of [g.point_person, ...g.backups]) {
      if (!roles.has(member)) {
        throw new TrustError('bad-roster', `group '${g.type}' names unknown person '${member}'`);
      }
      if (roles.get(member).includes('coordinator')) {
        throw new TrustError('bad-roster', 'coordinators never receive content');
      }
      if (roles.get(member).includes(RECOVERY)) {
        throw new TrustError('bad-roster', 'the recovery key is in no escalation group');
      }
    }
  }
}


// What goes inside an envelope, checked in the browser exactly as hub/client/contents.py's
// pydantic models check it (same fields, defaults, literals, patterns and limits; errors
// with the same `loc` and `type`), and written as pydantic's model_dump_json(exclude_none=True)
// writes it: fields in model order, defaults included, nothing that is null. Also the consent
// metadata the hub requires beside the envelope (hub/models.py Consent, checked as
// hub/services/consent.py checks it). Pure functions: no DOM, no I/O.

export const NEEDS = ['shelter', 'advocacy', 'counseling', 'medical-follow-up', 'legal',
  'protective-order', 'transport', 'childcare', 'language-access', 'other'];
export const SAFE_CHANNELS = ['phone', 'sms', 'email', 'in-person', 'through-advocate'];
export const CONSENT_METHODS = ['written', 'electronic-signature', 'verbal-documented'];
export const HANDOFF = 'discharge-handoff';
export const MAX_CONSENT_DAYS = 90;
const CLOCK_SKEW = 300;
const SLUG = /^[a-z0-9][a-z0-9-]{0,31}$/;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

// -- a small validator with pydantic's error shapes ------------------------------------------
// A field type is (value, loc, errors) => the value, or INVALID after pushing an error.

const INVALID = Symbol('invalid');

function fail(errors, loc, type, msg) {
  errors.push({ loc, type, msg });
  return INVALID;
}

const quoted = (values) => {
  const q = values.map((v) => `'${v}'`);
  return q.length === 1 ? q[0] : `${q.slice(0, -1).join(', ')} or ${q.at(-1)}`;
};

const str = ({ pattern = null, minLength = 0 } = {}) => (v, loc, errors) => {
  if (typeof v !== 'string') return fail(errors, loc, 'string_type', 'Input should be a valid string');
  if ([...v].length < minLength) {
    return fail(errors, loc, 'string_too_short',
      `String should have at least ${minLength} character${minLength === 1 ? '' : 's'}`);
  }
  if (pattern !== null && !pattern.test(v)) {
    return fail(errors, loc, 'string_pattern_mismatch', `String should match pattern '${pattern.source}'`);
  }
  return v;
};

const int = ({ ge = null } = {}) => (v, loc, errors) => {
  if (typeof v === 'string') { // pydantic's lax mode reads a whole number written as text
    if (!/^\s*[-+]?\d+\s*$/.test(v)) {
      return fail(errors, loc, 'int_parsing',
        'Input should be a valid integer, unable to parse string as an integer');
    }
    v = Number(v); // eslint-disable-line no-param-reassign
  }
  if (typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v)) {
    return fail(errors, loc, 'int_from_float',
      'Input should be a valid integer, got a number with a fractional part');
  }
  if (!Number.isSafeInteger(v)) return fail(errors, loc, 'int_type', 'Input should be a valid integer');
  if (ge !== null && v < ge) {
    return fail(errors, loc, 'greater_than_equal', `Input should be greater than or equal to ${ge}`);
  }
  return v;
};

const bool = () => (v, loc, errors) => (typeof v === 'boolean' ? v
  : fail(errors, loc, 'bool_type', 'Input should be a valid boolean'));

const literal = (...values) => (v, loc, errors) => (values.includes(v) ? v
  : fail(errors, loc, 'literal_error', `Input should be ${quoted(values)}`));

const tuple = (item, { minLength = 0 } = {}) => (v, loc, errors) => {
  if (!Array.isArray(v)) return fail(errors, loc, 'tuple_type', 'Input should be a valid tuple');
  const out = v.map((x, i) => item(x, [...loc, i], errors));
  const valid = out.filter((x) => x !== INVALID).length; // counted after validation, as pydantic
  if (valid < minLength) {
    return fail(errors, loc, 'too_short', `Tuple should have at least ${minLength} item after `
      + `validation, not ${valid}`);
  }
  return out.includes(INVALID) ? INVALID : out;
};

const optional = (inner) => (v, loc, errors) => (v === null ? null : inner(v, loc, errors));

/** A frozen model with extra="forbid": `fields` is [name, type, {default}] in model order;
 * no default means required. */
function model(fields) {
  const names = new Set(fields.map(([name]) => name));
  return (v, loc, errors) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      return fail(errors, loc, 'model_type', 'Input should be a valid dictionary or instance of a model');
    }
    const out = {};
    let bad = false;
    for (const [name, type, options] of fields) {
      if (!Object.hasOwn(v, name)) {
        if (options && Object.hasOwn(options, 'default')) out[name] = options.default;
        else bad = fail(errors, [...loc, name], 'missing', 'Field required') === INVALID;
        continue;
      }
      out[name] = type(v[name], [...loc, name], errors);
      bad ||= out[name] === INVALID;
    }
    for (const key of Object.keys(v)) {
      if (!names.has(key)) {
        bad = fail(errors, [...loc, key], 'extra_forbidden', 'Extra inputs are not permitted') === INVALID;
      }
    }
    return bad ? INVALID : out;
  };
}

const NONE = { default: null };

const SafeTime = model([
  ['days', str()],
  ['start', str({ pattern: HHMM })],
  ['end', str({ pattern: HHMM })],
]);

export const SafeContact = model([
  ['channels', tuple(literal(...SAFE_CHANNELS), { minLength: 1 })],
  ['phone', optional(str()), NONE],
  ['email', optional(str()), NONE],
  ['safe_times', tuple(SafeTime), { default: [] }],
  ['voicemail_ok', bool(), { default: false }],
  ['may_name_agency', bool(), { default: false }],
  ['language', str(), { default: 'en' }],
  ['interpreter_needed', bool(), { default: false }],
  ['notes', optional(str()), NONE],
]);

const ConsentDetails = model([
  ['method', literal(...CONSENT_METHODS)],
  ['given_at', str()],
  ['documented_by', str()],
  ['scope', str()],
  ['limits', optional(str()), NONE],
]);

const Person = model([
  ['name', str()],
  ['preferred_name', optional(str()), NONE],
  ['date_of_birth', optional(str()), NONE],
  ['pronouns', optional(str()), NONE],
]);

export const DischargeHandoff = model([
  ['kind', literal(HANDOFF), { default: HANDOFF }],
  ['survivor', Person],
  ['needs', tuple(literal(...NEEDS), { minLength: 1 })],
  ['discharge_at', str()],
  ['safe_contact', SafeContact],
  ['consent', ConsentDetails],
  ['children', int({ ge: 0 }), { default: 0 }],
  ['pets', bool(), { default: false }],
  ['accessibility', optional(str()), NONE],
  ['summary', optional(str()), NONE],
  ['attachment_names', optional(tuple(str())), NONE],
]);

export const Reply = model([
  ['kind', literal('reply'), { default: 'reply' }],
  ['text', str({ minLength: 1 })],
]);

/** A referral type without a typed model: its code and free text. */
export const GenericReferral = (code) => model([
  ['kind', literal(code)],
  ['text', str({ minLength: 1 })],
  ['attachment_names', optional(tuple(str())), NONE],
]);

// -- a referral type's form, from the JSON Schema the hub serves (hub/api/forms.py) -----------

/** The checker a JSON Schema describes, built from the same pieces as the models above, so a
 * type with a form of its own is checked as the SDK checks it (model_from_schema). */
export function fromSchema(node, defs = node.$defs ?? {}) {
  if (node.$ref) return fromSchema(defs[node.$ref.split('/').at(-1)], defs);
  if (node.anyOf) {
    const inner = node.anyOf.filter((a) => a.type !== 'null');
    const type = fromSchema(inner[0], defs);
    return inner.length < node.anyOf.length ? optional(type) : type;
  }
  if ('const' in node) return literal(node.const);
  if (node.enum) return literal(...node.enum);
  const pattern = node.pattern ? new RegExp(node.pattern) : null;
  switch (node.type) {
    case 'string': return str({ pattern, minLength: node.minLength ?? 0 });
    case 'integer': return int({ ge: node.minimum ?? null });
    case 'boolean': return bool();
    case 'array': return tuple(fromSchema(node.items ?? {}, defs), { minLength: node.minItems ?? 0 });
    case 'object': {
      const required = new Set(node.required ?? []);
      return model(Object.entries(node.properties ?? {}).map(([name, field]) => {
        const type = fromSchema(field, defs);
        if (name === 'kind' && 'const' in field) return [name, type, { default: field.const }];
        if (required.has(name)) return [name, type];
        const fallback = field.default ?? null;
        return [name, fallback === null ? optional(type) : type, { default: fallback }];
      }));
    }
    default: return (v) => v;
  }
}

/** The schema of the field at a form path ("safe_contact.safe_times.0.days"), or null when
 * the type's form has no such field (hidden); `required` says whether it must be filled. */
export function schemaField(schema, path) {
  let at = schema;
  let required = true;
  for (const part of path.split('.')) {
    if (/^\d+$/.test(part)) { at = at.items ?? {}; continue; }
    at = at.anyOf?.find((a) => a.type === 'object') ?? at;
    if (at.$ref) at = schema.$defs?.[at.$ref.split('/').at(-1)] ?? {};
    if (!at.properties || !(part in at.properties)) return null;
    required = (at.required ?? []).includes(part);
    at = at.properties[part];
    if (at.$ref) at = { ...schema.$defs?.[at.$ref.split('/').at(-1)], title: at.title };
  }
  return { field: at, required };
}

/** The dotted paths of a schema's narrative (hub/api/forms.py narrative_paths): those it
 * marks, else its base's (the handoff's summary, a free-text type's text). */
export function narrativePaths(schema, prefix = '') {
  const marked = [];
  for (const [name, field] of Object.entries(schema?.properties ?? {})) {
    if (field['x-narrative']) marked.push(prefix + name);
    const inner = field.anyOf?.find((a) => a.type === 'object') ?? field;
    if (inner.type === 'object') marked.push(...narrativePaths(inner, `${prefix}${name}.`));
  }
  if (prefix || marked.length) return marked;
  return schema?.properties?.kind?.default === HANDOFF ? ['summary'] : ['text'];
}

/** A document's bytes without its narrative and its attachments' names (hub/client/forms.py
 * without_narrative). Throws a Problem-worthy Error when it is no JSON object. */
export function withoutNarrative(bytes, schema) {
  let doc = null;
  try { doc = JSON.parse(new TextDecoder().decode(bytes)); } catch { /* not JSON */ }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error('this referral is not a form\'s document: there are no codes to keep');
  }
  for (const path of [...narrativePaths(schema), 'attachment_names']) {
    const parts = path.split('.');
    const at = parts.slice(0, -1).reduce((o, p) => (o && typeof o === 'object' ? o[p] : null), doc);
    if (at && typeof at === 'object') delete at[parts.at(-1)];
  }
  if (doc.case && typeof doc.case === 'object') { // the case's link stays; its record is narrative
    doc.case = { format: doc.case.format, secret: doc.case.secret };
  }
  return new TextEncoder().encode(JSON.stringify(doc));
}

/** Whether a type's schema is a form of the CCR's own (not the type's own model). */
export const hasForm = (schema) => Boolean(schema?.['x-form']);

/** {value, errors}: errors is [] when `doc` is valid; then `value` has every default. */
export function validate(type, doc) {
  const errors = [];
  const value = type(doc, [], errors);
  return errors.length ? { value: null, errors } : { value, errors };
}

/** pydantic's model_dump_json(exclude_none=True), as UTF-8 bytes. */
export function dump(value) {
  return new TextEncoder().encode(JSON.stringify(value, (_, v) => (v === null ? undefined : v)));
}

/** What was opened, as hub/api/contents.py parse_content reads it: a discharge handoff, a
 * reply or a generic referral when it validates as one, other JSON as it is, anything else
 * as text. A document without a kind is read as `defaultKind`, the kind its envelope says
 * (its referral type, or 'reply'): a handoff a client sealed without one opens as a handoff. */
export function parseContent(bytes, defaultKind = null) {
  let text;
  let doc;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    doc = JSON.parse(text);
  } catch {
    return { kind: 'text', value: text ?? new TextDecoder().decode(bytes) };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { kind: 'json', value: doc };
  const kind = doc.kind ?? defaultKind;
  const typed = { [HANDOFF]: ['handoff', DischargeHandoff], reply: ['reply', Reply] };
  const known = typed[kind] ?? (kind !== null && kind === defaultKind
    ? ['generic', GenericReferral(kind)] : undefined);
  if (known) {
    const { value, errors } = validate(known[1], { ...doc, kind });
    if (!errors.length) return { kind: known[0], value };
  }
  return { kind: 'json', value: doc };
}

// -- from the form -------------------------------------------------------------------------

/** A datetime-local value ("2026-11-25T14:30"), read in the browser's time zone, as ISO 8601
 * UTC ("2026-11-25T20:30:00Z"); anything else unchanged (the model takes any string). */
export function localToIso(value) {
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? new Date(value) : null;
  return at && !Number.isNaN(at.getTime()) ? at.toISOString().replace(/\.\d{3}Z$/, 'Z') : value;
}

function setPath(doc, path, value) {
  const parts = path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  let at = doc;
  parts.slice(0, -1).forEach((part, i) => {
    if (at[part] === undefined) at[part] = typeof parts[i + 1] === 'number' ? [] : {};
    at = at[part];
  });
  at[parts.at(-1)] = value;
}

function dense(value) {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(dense);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, dense(v)]));
  }
  return value;
}

function entryValue(e) {
  if (e.type === 'checkbox') return e.checked;
  if (e.value.trim() === '') return undefined; // an empty box is a field left out
  if (e.type === 'number') return /^\s*-?\d+\s*$/.test(e.value) ? Number(e.value) : e.value;
  if (e.type === 'datetime-local') return localToIso(e.value);
  return e.value;
}

/**
 * The document a form describes. `entries`: [{path: "safe_contact.channels", type, value,
 * checked, multi}] in form order; `multi` checkboxes collect their values into a list (empty
 * when none is ticked); a numeric path part makes a list ("safe_contact.safe_times.0.days");
 * empty boxes are left out, so a required one is reported missing, as pydantic does.
 */
export function formToDoc(entries) {
  const doc = {};
  for (const e of entries) {
    if (e.multi) {
      const list = e.path.split('.').reduce((at, p) => at?.[p], doc) ?? [];
      if (e.checked) list.push(e.value);
      setPath(doc, e.path, list);
      continue;
    }
    const value = entryValue(e);
    if (value !== undefined) setPath(doc, e.path, value);
  }
  return dense(doc);
}

/** A referral's content from its form: {bytes} or {errors}. `names`: the attached files'
 * names, which travel sealed with it (attachment_names). `schema`: the type's JSON Schema;
 * a type with a form of its own is checked against it. */
export function referralContent(referralType, entries, names = [], schema = null) {
  const doc = formToDoc(entries);
  const type = hasForm(schema) ? fromSchema(schema)
    : referralType === HANDOFF ? DischargeHandoff : GenericReferral(referralType);
  if (referralType !== HANDOFF) doc.kind = referralType;
  if (names.length) doc.attachment_names = names;
  const { value, errors } = validate(type, doc);
  return errors.length ? { errors } : { bytes: dump(value), value };
}

export function replyContent(text) {
  const { value, errors } = validate(Reply, { text });
  return errors.length ? { errors } : { bytes: dump(value), value };
}

// -- consent metadata (beside the envelope, read by the hub) ---------------------------------

/**
 * The consent the hub requires with a submission (docs/api.md "Consent metadata"), checked as
 * the hub checks it so the form can say what to fix before anything is sealed. Times are
 * seconds since the epoch. Returns {consent} or {errors} (loc starts with "consent_meta").
 */
export function consentMetadata({ destination, referralType, givenAt, days, method, documentedBy,
  shareOutcome = false, now, maxDays = MAX_CONSENT_DAYS }) {
  const errors = [];
  const at = (field, msg, type = 'value_error') => errors.push({ loc: ['consent_meta', field], type, msg });
  if (!SLUG.test(destination ?? '')) at('agency', 'choose where the referral goes');
  if (!SLUG.test(referralType ?? '')) at('purposes', 'choose the referral type');
  if (!CONSENT_METHODS.includes(method)) at('method', `Input should be ${quoted(CONSENT_METHODS)}`);
  if (!SLUG.test(documentedBy ?? '')) at('documented_by', 'who documented consent is a person id');
  if (!Number.isSafeInteger(givenAt)) at('given_at', 'say when the survivor gave consent');
  else if (givenAt > now + CLOCK_SKEW) at('given_at', 'consent cannot be given in the future');
  if (!(Number.isSafeInteger(days) && days >= 1 && days <= maxDays)) {
    at('expires_at', `consent lasts 1 to ${maxDays} days`);
  }
  if (errors.length) return { errors };
  const expiresAt = givenAt + days * 86400;
  if (expiresAt <= now) at('expires_at', 'that consent has already expired; ask the survivor to renew it');
  if (errors.length) return { errors };
  return { consent: { agency: destination, purposes: [referralType], given_at: givenAt, method,
    documented_by: documentedBy, expires_at: expiresAt, share_outcome: Boolean(shareOutcome) } };
}

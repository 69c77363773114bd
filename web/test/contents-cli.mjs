// The send form's checks behind a pipe, for tests/client/test_contents_js.py: reads
// {"cases": [{"model": "handoff" | "reply", "doc": ...}]} on stdin and writes, for each,
// {"errors": [[loc, type], ...], "json": pydantic's model_dump_json text when valid}.

import { readFileSync } from 'node:fs';

import { DischargeHandoff, Reply, dump, validate } from '../src/pages/contents.js';

const MODELS = { handoff: DischargeHandoff, reply: Reply };
const { cases } = JSON.parse(readFileSync(0, 'utf8'));
const answers = cases.map(({ model, doc }) => {
  const { value, errors } = validate(MODELS[model], doc);
  return { errors: errors.map((e) => [e.loc, e.type]),
    json: errors.length ? null : new TextDecoder().decode(dump(value)) };
});
process.stdout.write(JSON.stringify({ answers }));

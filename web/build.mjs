// Bundle web/src/app.js and libsodium into one ES module, hub/web/static/app.js.
//   node build.mjs [outfile]
import { build } from 'esbuild';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = resolve(process.argv[2] ?? resolve(here, '../hub/web/static/app.js'));

await build({
  entryPoints: [resolve(here, 'src/app.js')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  logLevel: 'warning',
});
console.log(`built ${outfile}`);

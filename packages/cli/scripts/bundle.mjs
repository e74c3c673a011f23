#!/usr/bin/env node
// Bundles the CLI (tsc's dist/main.js) and yargs into dist/bx-provider-kit.js, the file the bin
// runs: one file parses much faster than the ~60 modules yargs and the CLI load one by one, so
// `bx-provider-kit --help` starts within 2x of a bare `node -e 0` (bench/startup.js).
// The kit's own packages stay external and are imported by the commands that use them, when
// they run (code splitting keeps each `await import()` lazy), so their paths to schemas/ and
// templates/ stay true. Run after `tsc -b` (the root `npm run build` does both).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const fastWidth = fileURLToPath(new URL('./string-width-fast.mjs', import.meta.url));
const assertLite = fileURLToPath(new URL('./assert-lite.mjs', import.meta.url));

/** string-width, as yargs, cliui and wrap-ansi import it, goes through string-width-fast.mjs; node:assert is assert-lite.mjs. */
const fastStringWidth = {
  name: 'lighter-yargs-deps',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, (a) => (a.importer === fastWidth ? undefined : { path: fastWidth }));
    // yargs' only use of node:assert: strictEqual and notStrictEqual.
    b.onResolve({ filter: /^(node:)?assert$/ }, () => ({ path: assertLite }));
  },
};
const entry = `${pkg}dist/main.js`;
if (!existsSync(entry)) {
  process.stderr.write(`bundle: ${entry} is missing: run tsc -b first (npm run build)\n`);
  process.exit(1);
}
rmSync(`${pkg}dist/chunks`, { recursive: true, force: true }); // no stale chunks from earlier builds
await build({
  entryPoints: { 'bx-provider-kit': entry },
  outdir: `${pkg}dist`,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@bx-provider-kit/*', 'create-provider'],
  plugins: [fastStringWidth],
  legalComments: 'eof',
  keepNames: true, // class names stay (isKitError looks for KitError up the prototype chain)
  logLevel: 'warning',
});

// Help, rendered once here: the bin prints dist/help.json's text for `--help` and
// `COMMAND --help` off a terminal or on one at least 100 columns wide (yargs wraps at
// min(100, columns), so the text is the same), without loading yargs at all.
const bundle = `${pkg}dist/bx-provider-kit.js`;
const { commands } = await import(new URL(`file://${pkg}dist/commands/index.js`).href);
const names = ['', ...commands.map((c) => String(Array.isArray(c.command) ? c.command[0] : c.command).split(' ')[0])];
const texts = {};
for (const name of names) {
  const r = spawnSync(process.execPath, [bundle, ...(name ? [name] : []), '--help'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0 || r.stderr) {
    process.stderr.write(`bundle: ${name || '(top level)'} --help exited ${r.status}: ${r.stderr}\n`);
    process.exit(1);
  }
  texts[name] = r.stdout;
}
writeFileSync(`${pkg}dist/help.json`, `${JSON.stringify({ width: 100, texts })}\n`);

#!/usr/bin/env node
// Runs the benchmarks and prints one table of ratios and peak memory.
//   npm run bench              every benchmark
//   npm run bench -- pack      only bench/pack.js (names: the files in bench/ but run.js)
// Each bench/NAME.js exports `async function run()` returning rows:
//   { name, ms, baselineMs?, ratio?, target?, peakRssMB?, ok, note? }
// `ok` says whether the row met its target; the exit code is 1 when a row missed it.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();
const wanted = process.argv.slice(2);
for (const w of wanted) {
  if (!all.includes(w)) {
    process.stderr.write(`bench: no benchmark named "${w}" (have: ${all.join(', ')})\n`);
    process.exit(2);
  }
}
const names = wanted.length ? wanted : all;

const rows = [];
for (const name of names) {
  process.stderr.write(`bench: ${name} ...\n`);
  const mod = await import(pathToFileURL(path.join(here, `${name}.js`)).href);
  const t0 = performance.now();
  try {
    for (const r of await mod.run()) rows.push({ bench: name, ...r });
  } catch (e) {
    rows.push({ bench: name, name: '(failed)', ok: false, note: String(e?.message ?? e) });
  }
  process.stderr.write(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

const fmt = (v, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-');
const table = [
  ['bench', 'case', 'ms', 'baseline ms', 'ratio', 'peak RSS MB', 'target', 'verdict'],
  ...rows.map((r) => [r.bench, r.name, fmt(r.ms), fmt(r.baselineMs), fmt(r.ratio, 2), fmt(r.peakRssMB), r.target ?? '-', r.ok ? 'ok' : 'MISSED']),
];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => String(row[i]).length)));
for (const row of table) console.log(row.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd());
for (const r of rows.filter((x) => x.note)) console.log(`note: ${r.bench}/${r.name}: ${r.note}`);
const missed = rows.filter((r) => !r.ok).length;
console.log(`${rows.length - missed} met, ${missed} missed`);
process.exitCode = missed ? 1 : 0;

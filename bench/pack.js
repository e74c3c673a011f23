#!/usr/bin/env node
// Benchmark of packages/packer (npm run bench -- pack, or node bench/pack.js):
//  1. pack of a generated ~200 MB plugin folder (many small files, a few large incompressible
//     ones) in a child process, against GNU `tar --sort=name -czf` of the same folder in the
//     same run: time ratio (target <= 1.3) and pack's peak RSS (target <= 150 MB).
//  2. verify of a generated 2 GiB gzip bomb: must stop with ARCH-LIMITS in < 2 s, RSS <= 150 MB.
// Every case runs twice and keeps the faster run (the first warms the page cache).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const PACKER = pathToFileURL(path.join(here, '../packages/packer/dist/index.js')).href;
const RECIPES = pathToFileURL(path.join(here, '../conformance/archives/recipes.mjs')).href;

const SMALL_FILES = 6000; // 1..16 KiB each, text-like (compressible)
const LARGE_FILES = 4; // incompressible
const TARGET_BYTES = 200 * 1024 * 1024;

export async function makePlugin(dir) {
  const name = 'benchmark';
  await fsp.mkdir(path.join(dir, 'bin'), { recursive: true });
  await fsp.mkdir(path.join(dir, 'etc'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'provider.json'), JSON.stringify({ name, version: '1.0.0', description: 'pack benchmark' }));
  await fsp.writeFile(path.join(dir, 'bin', name), '#!/bin/bash\necho \'{"options":["help"],"status":"enabled"}\'\n', { mode: 0o755 });
  await fsp.writeFile(path.join(dir, 'etc', `${name}.conf`), 'sandbox=1\n');
  let total = 0;
  const seed = crypto.randomBytes(1 << 20);
  for (let i = 0; i < SMALL_FILES; i++) {
    const sub = path.join(dir, 'lib', `mod${String(i % 60).padStart(2, '0')}`, `part${i % 7}`);
    if (i < 420) await fsp.mkdir(sub, { recursive: true });
    const size = 1024 + ((i * 7919) % (15 * 1024));
    const off = (i * 104729) % (seed.length - size);
    const text = seed.subarray(off, off + Math.ceil(size * 0.75)).toString('base64').slice(0, size);
    await fsp.writeFile(path.join(sub, `file${i}.php`), text);
    total += size;
  }
  const largeEach = Math.floor((TARGET_BYTES - total) / LARGE_FILES);
  for (let i = 0; i < LARGE_FILES; i++) {
    const fh = await fsp.open(path.join(dir, 'lib', `blob${i}.bin`), 'w');
    let left = largeEach;
    while (left > 0) {
      const n = Math.min(left, 4 << 20);
      await fh.write(crypto.randomBytes(n));
      left -= n;
    }
    await fh.close();
    total += largeEach;
  }
  return { name, bytes: total, files: SMALL_FILES + LARGE_FILES + 3 };
}

/** Runs node code in a child; returns { ms (wall), rssMB, out }. */
function child(code, args = []) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  return { ms, rssMB: out.maxRSS / 1024, out };
}

function timeTar(src, out) {
  const t0 = performance.now();
  const r = spawnSync('tar', ['--sort=name', '-czf', out, '-C', src, 'bin', 'etc', 'lib', 'provider.json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  return performance.now() - t0;
}

const PACK_CODE = `
import { pack } from ${JSON.stringify(PACKER)};
const [src, out] = process.argv.slice(1);
const r = await pack(src, { outDir: out, force: true });
console.log(JSON.stringify({ maxRSS: process.resourceUsage().maxRSS, bytes: r.bytes, entries: r.entries.length }));
`;

const VERIFY_CODE = `
import { verifyArchive } from ${JSON.stringify(PACKER)};
const t0 = performance.now();
const r = await verifyArchive(process.argv[1]);
const ms = performance.now() - t0;
console.log(JSON.stringify({ maxRSS: process.resourceUsage().maxRSS, ms, rules: r.findings.map((f) => f.rule) }));
`;

export async function run() {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'bxk-bench-'));
  const rows = [];
  try {
    const src = path.join(dir, 'plugin');
    const gen = await makePlugin(src);
    const outDir = path.join(dir, 'out');
    await fsp.mkdir(outDir);
    // best of two, interleaved so both see the same cache state
    let tarMs = Infinity;
    let packRun;
    for (let i = 0; i < 2; i++) {
      tarMs = Math.min(tarMs, timeTar(src, path.join(dir, 'gnu.tar.gz')));
      const p = child(PACK_CODE, [src, outDir]);
      if (!packRun || p.ms < packRun.ms) packRun = p;
    }
    const tarBytes = fs.statSync(path.join(dir, 'gnu.tar.gz')).size;
    const ratio = packRun.ms / tarMs;
    rows.push({
      name: `pack ${(gen.bytes / 1024 / 1024).toFixed(0)} MB, ${gen.files} files`,
      ms: packRun.ms,
      baselineMs: tarMs,
      ratio,
      target: 'ratio <= 1.3, RSS <= 150 MB',
      peakRssMB: packRun.rssMB,
      ok: ratio <= 1.3 && packRun.rssMB <= 150,
      note: `pack wrote ${(packRun.out.bytes / 1024 / 1024).toFixed(1)} MB (${packRun.out.entries} entries), GNU tar+gzip ${(tarBytes / 1024 / 1024).toFixed(1)} MB; ms include node start-up`,
    });

    const { writeBomb } = await import(RECIPES);
    const bomb = await writeBomb(path.join(dir, 'bomb-v1.tar.gz'), 'bomb', 2 * 1024 ** 3);
    let best;
    for (let i = 0; i < 2; i++) {
      const v = child(VERIFY_CODE, [bomb]);
      if (!best || v.out.ms < best.out.ms) best = v;
    }
    const stopped = best.out.rules.includes('ARCH-LIMITS');
    rows.push({
      name: `verify 2 GiB bomb (${(fs.statSync(bomb).size / 1024 / 1024).toFixed(1)} MB file)`,
      ms: best.out.ms,
      target: '< 2000 ms, RSS <= 150 MB, ARCH-LIMITS',
      peakRssMB: best.rssMB,
      ok: stopped && best.out.ms < 2000 && best.rssMB <= 150,
      note: `findings ${best.out.rules.join(',') || 'none'}; wall with node start-up ${best.ms.toFixed(0)} ms`,
    });
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const rows = await run();
  for (const r of rows) {
    console.log(`${r.name}: ${r.ms.toFixed(0)} ms${r.baselineMs ? ` vs GNU tar ${r.baselineMs.toFixed(0)} ms, ratio ${r.ratio.toFixed(2)}` : ''}, peak RSS ${r.peakRssMB.toFixed(0)} MB, target ${r.target}: ${r.ok ? 'ok' : 'MISSED'}`);
    if (r.note) console.log(`  ${r.note}`);
  }
  process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
}

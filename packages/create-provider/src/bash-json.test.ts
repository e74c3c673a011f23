/**
 * Property tests of the bash template's JSON code (templates/bash/lib/json.sh), run in real
 * bash: json_str on arbitrary Unicode, control characters, quotes and backslashes must give a
 * literal that JSON.parse reads back to the same string; json_parse must read back what
 * JSON.stringify wrote (every escape, surrogate pairs) and refuse malformed documents.
 */
import { expect } from 'chai';
import path from 'node:path';
import { run } from './testutil.js';
import { templatesRoot } from './index.js';

const JSON_SH = () => path.join(templatesRoot(), 'bash', 'lib', 'json.sh');

/** Small seeded PRNG (mulberry32), so a failure can be replayed from the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PUNCT = '"\\/\'$`{}[]:,';

/** A random string of code points from hostile classes. NUL is left out: argv cannot carry it. */
function randomString(rand: () => number): string {
  const len = Math.floor(rand() * 24);
  let s = '';
  for (let i = 0; i < len; i++) {
    const k = rand();
    let cp: number;
    if (k < 0.2) cp = 1 + Math.floor(rand() * 31); // control characters
    else if (k < 0.35) cp = PUNCT.codePointAt(Math.floor(rand() * PUNCT.length))!;
    else if (k < 0.5) cp = 0x20 + Math.floor(rand() * 0x5f); // printable ASCII
    else if (k < 0.55) cp = 0x7f + Math.floor(rand() * 0x21); // DEL and C1 controls
    else if (k < 0.75) cp = 0xa0 + Math.floor(rand() * (0xd7ff - 0xa0)); // BMP below surrogates
    else if (k < 0.85) cp = 0xe000 + Math.floor(rand() * (0xfffd - 0xe000)); // BMP above
    else cp = 0x10000 + Math.floor(rand() * (0x10ffff - 0x10000)); // astral (emoji, CJK ext.)
    s += String.fromCodePoint(cp);
  }
  return s;
}

async function bash(script: string, args: string[], locale = 'C', input?: string): Promise<string> {
  const r = await run('/bin/bash', ['--norc', '--noprofile', '-c', script, 'bash', ...args], { env: { PATH: '/usr/bin:/bin', LC_ALL: locale }, input });
  expect(r.stderr, 'bash stderr').to.equal('');
  expect(r.code, 'bash exit code').to.equal(0);
  return r.stdout;
}

describe('bash template: JSON escaper and reader (property tests in real bash)', function () {
  this.timeout(120_000);
  const seed = Number(process.env.BXK_SEED ?? Date.now() % 1e9);

  for (const locale of ['C', 'C.UTF-8']) {
    it(`json_str output parses back to the same string: 600 random strings, LC_ALL=${locale} (seed ${seed})`, async () => {
      const rand = prng(seed);
      const inputs = Array.from({ length: 600 }, () => randomString(rand));
      inputs.push('', '"', '\\', '\\"', '\n\r\t\b\f', '\u0001\u001f\u007f', 'ВПС 1 ядро', '😀', 'a"b\\c/d', '$(id)`x`');
      // One bash process per 150 strings keeps it quick; each literal on its own line (a JSON
      // literal never holds a raw newline).
      for (let i = 0; i < inputs.length; i += 150) {
        const batch = inputs.slice(i, i + 150);
        const out = await bash(`. "${JSON_SH()}"; for s in "$@"; do json_str "$s"; printf '\\n'; done`, batch, locale);
        const lines = out.split('\n');
        expect(lines.pop()).to.equal('');
        expect(lines).to.have.length(batch.length);
        lines.forEach((line, j) => {
          let back: unknown;
          expect(() => (back = JSON.parse(line)), `seed ${seed}: ${JSON.stringify(batch[j])} gave ${line}`).not.to.throw();
          expect(back, `seed ${seed}: ${JSON.stringify(batch[j])}`).to.equal(batch[j]);
          expect(/[\u0000-\u001f]/.test(line), 'no raw control character in the literal').to.equal(false);
        });
      }
    });
  }

  it(`json_parse reads back what JSON.stringify wrote, including \\u escapes and surrogate pairs (seed ${seed})`, async () => {
    const rand = prng(seed + 1);
    const inputs = Array.from({ length: 300 }, () => randomString(rand));
    // ASCII-only encodings (every non-ASCII as \uXXXX, pairs for astral) and plain UTF-8 ones.
    const ascii = (s: string) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const docs = inputs.map((s, i) => (i % 2 ? ascii(s) : JSON.stringify(s)));
    docs.push('"\\/\\b\\f\\n\\r\\t\\"\\\\"', '"\\ud83d\\ude00"', '"\\u00e9\\u0416"');
    const expected = docs.map((d) => JSON.parse(d) as string);
    for (let i = 0; i < docs.length; i += 100) {
      const batch = docs.slice(i, i + 100);
      // Print every parsed string re-quoted by json_str: a full round trip through both halves.
      const out = await bash(`. "${JSON_SH()}"; for d in "$@"; do json_parse "$d" || { echo "ERR $JSON_ERROR"; continue; }; json_str "\${JSON[.]}"; printf '\\n'; done`, batch);
      const lines = out.split('\n').slice(0, -1);
      lines.forEach((line, j) => {
        expect(line.startsWith('ERR'), `seed ${seed}: ${batch[j]} -> ${line}`).to.equal(false);
        expect(JSON.parse(line), `seed ${seed}: ${batch[j]}`).to.equal(expected[i + j]);
      });
    }
  });

  it('json_parse reads documents far larger than its window (long strings, many items, deep whitespace)', async () => {
    const long = 'ж"\\'.repeat(7000) + '😀';
    const doc = JSON.stringify({ head: long, plans: Array.from({ length: 800 }, (_, i) => ({ id: String(i), name: `plan ${i} "é"` })), tail: long }, null, 1);
    const out = await bash(
      `. "${JSON_SH()}"; json_parse "$(cat)" || { echo "ERR $JSON_ERROR"; exit 0; }; json_str "\${JSON[head]}"; echo; echo "\${JSON[plans]}"; json_str "\${JSON[plans.799.name]}"; echo; json_str "\${JSON[tail]}"`,
      [],
      'C',
      doc,
    );
    const [head, count, last, tail] = out.split('\n');
    expect(count, out.slice(0, 200)).to.equal('800');
    expect(JSON.parse(head)).to.equal(long);
    expect(JSON.parse(last)).to.equal('plan 799 "é"');
    expect(JSON.parse(tail)).to.equal(long);
  });

  it('json_parse flattens objects and arrays and refuses malformed documents', async () => {
    const doc = '{ "plans": [ {"id": "1", "name": "a \\"b\\""}, {"id": 2, "name": null} ],\n "ok": true, "n": -1.5e3, "empty": {}, "list": [] }';
    const out = await bash(
      `. "${JSON_SH()}"; json_parse "$1" || exit 9; for k in plans plans.0.id plans.0.name plans.1.id plans.1.name ok n empty list; do printf '%s|%s|%s\\n' "$k" "\${JSON_T[$k]}" "\${JSON[$k]}"; done`,
      [doc],
    );
    expect(out.trim().split('\n')).to.deep.equal([
      'plans|array|2',
      'plans.0.id|string|1',
      'plans.0.name|string|a "b"',
      'plans.1.id|number|2',
      'plans.1.name|null|null',
      'ok|bool|true',
      'n|number|-1.5e3',
      'empty|object|0',
      'list|array|0',
    ]);
    const malformed = ['', '{', '{"a":1,}', '{"a" 1}', '[1,2', '"abc', '{"a":1} x', 'tru', '01', '"\\x"', '"\\u12"', '{"a":[1,]}'];
    const res = await bash(`. "${JSON_SH()}"; for d in "$@"; do if json_parse "$d"; then echo accepted; else echo "refused: $JSON_ERROR"; fi; done`, malformed);
    res
      .trim()
      .split('\n')
      .forEach((line, i) => expect(line, JSON.stringify(malformed[i])).to.match(/^refused: \S/));
  });
});

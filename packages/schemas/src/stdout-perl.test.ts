// readPluginStdout against the host's own parser: the same Perl JSON::PP (4.x, what bitrix-env's
// bx-provider uses through JSON.pm) decides a corpus of outputs, and both must agree on what the
// host does with each: "empty" (the /^$/ check), "die" (from_json dies), "notobject" (Not a HASH
// reference) or "ok".
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readPluginStdout } from './index.js';

const PERL = String.raw`
use strict; use warnings; use JSON::PP;
binmode STDOUT;
while (my $hex = <STDIN>) {
  chomp $hex;
  my $out = pack('H*', $hex);
  if ($out =~ /^$/) { print "empty\n"; next; }
  my $j = eval { JSON::PP->new->decode($out) };
  if ($@) { print "die\n"; next; }
  print ref($j) eq 'HASH' ? "ok\n" : "notobject\n";
}
`;

function verdictOf(bytes: Uint8Array): string {
  const r = readPluginStdout(bytes);
  if (r.ok) return 'ok';
  return { 'OUT-EMPTY': 'empty', 'OUT-JSON': 'die', 'OUT-BOM': 'die', 'OUT-OBJECT': 'notobject', 'OUT-UTF8': 'ok' }[r.rule];
}

/** A small deterministic PRNG (mulberry32), so the fuzz corpus is the same on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function corpus(): Buffer[] {
  const L = (s: string) => Buffer.from(s, 'latin1');
  const fixed = [
    '', '\n', '\n\n', ' ', '\t', '\r\n', '\r', ' \n', '\n ', '\n\n\n',
    '{}', '{}\n', ' {}', '{"a":1}\n\n', '{"task_id":"24"}', '[]', '[1]', '"s"', '42', '-0', '1e5', 'true', 'false', 'null',
    '\xef\xbb\xbf{}', '\xef\xbb\xbf', '\xef\xbb{}', 'DEBUG: x\n{}', '{}{}', '{}\n{}', '{} x', '{}\x00', '\x00{}',
    '{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":+1}', '{"a":-}', '{"a":1e}', '{"a":1E+}', '{"a":-0.0e-0}', '{"a":1.5E10}',
    '{"a":tru}', '{"a":true}', '{"a":truex}', '{"a":nul}', '{"a":NaN}', '{"a":Infinity}',
    '{"a":"x\ny"}', '{"a":"x\ty"}', '{"a":"x\x7fy"}', '{"a":"\\x"}', '{"a":"\\u00e9"}', '{"a":"\\u00G9"}', '{"a":"\\u12"}',
    '{"a":"\\ud83d\\ude00"}', '{"a":"\\ud83d"}', '{"a":"\\ude00"}', '{"a":"\\ud83dx"}', '{"a":"\\/\\b\\f\\n\\r\\t\\"\\\\"}',
    "{'a':1}", '{a:1}', '{"a":1,}', '[1,]', '{"a" 1}', '{"a":}', '{,}', '{"a":1 "b":2}', '{"a":[1 2]}', '{"a":1', '{"a":"b', '[',
    '{"a":"\xc2\xcf"}', '{"a":"\xff"}', '{"a":"\xd0\x92"}', '{"a":"\xe2\x82\xac"}', '{"a":"\xf0\x9f\x98\x80"}',
    '{"a":1}\x0b', '\x0c{}', '{"a"\x0b:1}', '{"a":1}\xa0',
    `${'['.repeat(512)}${']'.repeat(512)}`, `${'['.repeat(513)}${']'.repeat(513)}`,
    `{"a":${'['.repeat(511)}${']'.repeat(511)}}`, `{"a":${'['.repeat(512)}${']'.repeat(512)}}`,
  ].map(L);
  // fuzz: mutations of real plugin answers
  const seeds = [
    '{"options":["help","configs","order","order_status"],"status":"enabled"}\n',
    '{"configurations":[{"id":"1","descr":"VPS 1 CPU / 1 GB"}],"status":"enabled"}\n',
    '{"task_id":"24","status":"finished","server":"192.0.2.10","server_password":"s3\\"cret"}\n',
    '{"error":1,"error_message":"no such config: \\u0031"}\n',
  ];
  const rnd = prng(20261123);
  const alphabet = ' \n\r\t{}[]:,"\\-+.0123456789eEtrufalsn\x00\x80\xff';
  const out: Buffer[] = [...fixed];
  for (let i = 0; i < 600; i++) {
    const b = [...L(seeds[i % seeds.length]!)];
    const edits = 1 + Math.floor(rnd() * 3);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(rnd() * (b.length + 1));
      const ch = alphabet.charCodeAt(Math.floor(rnd() * alphabet.length));
      const op = rnd();
      if (op < 0.34) b.splice(at, 1);
      else if (op < 0.67) b.splice(at, 0, ch);
      else b[Math.min(at, b.length - 1)] = ch;
    }
    out.push(Buffer.from(b));
  }
  return out;
}

describe('readPluginStdout agrees with the host\'s Perl JSON::PP', function () {
  this.timeout(60000);
  const hasPerl = spawnSync('perl', ['-MJSON::PP', '-e', '1']).status === 0;

  it('on every case of a fixed and a fuzzed corpus', function () {
    if (!hasPerl) this.skip(); // .ci/run installs perl; the skip only shows where it is missing
    const cases = corpus();
    const r = spawnSync('perl', ['-e', PERL], { input: cases.map((c) => c.toString('hex')).join('\n') + '\n', encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const perl = r.stdout.trimEnd().split('\n');
    expect(perl).to.have.length(cases.length);
    const mismatches = cases
      .map((c, i) => ({ input: JSON.stringify(c.toString('latin1')).slice(0, 120), perl: perl[i], kit: verdictOf(c) }))
      .filter((x) => x.perl !== x.kit);
    expect(mismatches).to.deep.equal([]);
    // the corpus exercises every verdict
    expect(new Set(perl)).to.deep.equal(new Set(['empty', 'die', 'notobject', 'ok']));
  });
});

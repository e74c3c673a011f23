/**
 * The Perl emulation against the real thing: JSON::PP 4.07 (decode errors, encoding) and Perl's
 * numeric conversion warnings, run through the system perl when it has JSON::PP (Debian 12's
 * perl 5.36, the host's). Plus the shell word planner.
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { decodeJsonPP, encodeJsonPP, perlNotANumberDisplay, perlNumify, perlStr, type PerlValue } from './perl.js';
import { planShellLine } from './shell.js';

const hasPerl = spawnSync('perl', ['-MJSON::PP', '-e', 'exit($JSON::PP::VERSION >= 4 ? 0 : 1)']).status === 0;

/** Runs a perl program over many inputs at once: one base64 input per line in, one JSON answer per line out. */
function perlBatch(program: string, inputs: Buffer[]): unknown[] {
  const r = spawnSync('perl', ['-MJSON::PP', '-MMIME::Base64', '-e', program], { input: inputs.map((b) => b.toString('base64')).join('\n') + '\n', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
}

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = [
  '{"options":["help","configs","order","order_status"],"status":"enabled"}\n',
  '{"status":"enabled","configurations":[{"id":1,"descr":"VPS 1CPU/1GB"},{"id":"2","descr":"ВПС ядро"}]}',
  '{"task_id":"24","status":"finished","server":"192.0.2.10","server_password":"s\\"3\\\\cret\\u00e9\\ud83d\\ude00"}',
  '[1, -2.5e+3, 0, true, false, null, "x\\n\\t\\/"]',
  '{"error":1,"error_message":"API quota exceeded"}',
  '12345678901234567890',
];
const FIXED = [
  '', ' ', '\n\n', 'this is not json\n', 'DEBUG: x\n{}', '\xef\xbb\xbf{}', '{"a":1}\n{"b":2}', '{"a" 1}', '{a:1}', '[1,]', '{"a":1,}', '-', '01', '1.',
  '1e', '1e+', 'nul', 'tru', 'fals', '()', '"abc', '{"a":"\x01"}', '{"a":"\\x"}', '{"a":"\\ud800"}', '{"a":"\\udc00"}', '{"a":"\\ud800\\u0041"}',
  '{"a":"\xff"}', '{"a":"\xd0\xb6\xd0"}', '{"a":"\\u12"}', '[' .repeat(600), '{"k":"v"', '{"k"', '{', '[', 'true false', '"\x7f\x80"', '\t{"a":\r\n1}\n',
];

describe('Perl emulation (against the system perl)', function () {
  this.timeout(60000);
  before(function () {
    if (!hasPerl) this.skip();
  });

  it('decodeJsonPP: same result or the same error message as JSON::PP->new->decode, on fixed and fuzzed inputs', () => {
    const inputs: Buffer[] = [...SEEDS, ...FIXED].map((s) => Buffer.from(s, 'latin1'));
    const rand = rng(Number(process.env.BXK_FUZZ_SEED ?? 42)); // BXK_FUZZ_SEED=N to explore other inputs
    const noise = ['"', '\\', ',', ':', '[', ']', '{', '}', ' ', '\n', 'e', '-', '0', '\x00', '\xc3', '\xff', 'u', 't'];
    for (let i = 0; i < 400; i++) {
      const seed = Buffer.from(SEEDS[Math.floor(rand() * SEEDS.length)], 'latin1');
      const kind = rand();
      let b: Buffer;
      if (kind < 0.4) b = seed.subarray(0, Math.floor(rand() * seed.length));
      else if (kind < 0.7) {
        const at = Math.floor(rand() * seed.length);
        b = Buffer.concat([seed.subarray(0, at), Buffer.from(noise[Math.floor(rand() * noise.length)], 'latin1'), seed.subarray(at)]);
      } else {
        const at = Math.floor(rand() * seed.length);
        b = Buffer.concat([seed.subarray(0, at), seed.subarray(at + 1 + Math.floor(rand() * 3))]);
      }
      inputs.push(b);
    }
    const perl = perlBatch(
      `binmode STDOUT; my $J = JSON::PP->new->canonical->allow_nonref; my $O = JSON::PP->new->canonical->ascii;
       while (my $l = <STDIN>) { chomp $l; my $t = decode_base64($l);
         my $r = eval { JSON::PP->new->decode($t) };
         if ($@) { my $m = $@; $m =~ s/ at -e line \\d+\\.\\n\\z//; print $O->encode({ err => $m }), "\\n" }
         else { print $O->encode({ ok => $J->encode($r) }), "\\n" } }`,
      inputs,
    ) as { err?: string; ok?: string }[];
    let compared = 0;
    inputs.forEach((input, i) => {
      const mine = decodeJsonPP(input);
      const p = perl[i];
      const label = JSON.stringify(input.toString('latin1'));
      if (p.err !== undefined) {
        expect(mine.ok, label).to.equal(false);
        if (!mine.ok) expect(mine.message, label).to.equal(p.err);
      } else {
        expect(mine.ok, `${label}: ${mine.ok ? '' : mine.message}`).to.equal(true);
        if (mine.ok) expect(canonical(mine.value), label).to.equal(p.ok);
      }
      compared++;
    });
    expect(compared).to.be.greaterThan(400);
  });

  it('perlNumify: the same number and the same "isn\'t numeric" warning as Perl', () => {
    const strings = ['in_progress', 'pending', '5', '0', ' 5', '5 ', '5abc', '0x10', '1e3', '1.5', '.5', '-3', '+3', 'inf', 'nan', 'Infinity', '', ' ', 'abc\n', '1_000', 'é', 'a'.repeat(80), 'tab\there\\'];
    const perl = perlBatch(
      `binmode STDOUT; my $J = JSON::PP->new->canonical->ascii;
       while (my $l = <STDIN>) { chomp $l; my $s = decode_base64($l); my @w;
         local $SIG{__WARN__} = sub { push @w, $_[0] };
         use warnings; my $eq = ($s == 0) ? 1 : 0; my $n = 0 + do { no warnings; $s };
         my $d = (@w && $w[0] =~ /^Argument "(.*)" isn't numeric/s) ? $1 : undef;
         print $J->encode({ eq => $eq, warn => (@w ? 1 : 0), display => $d, n => ($n == $n && $n != 9**9**9 && $n != -9**9**9) ? $n : "$n" }), "\\n" }`,
      strings.map((s) => Buffer.from(s, 'latin1')),
    ) as { eq: number; warn: number; display: string | null; n: number | string }[];
    strings.forEach((s, i) => {
      const mine = perlNumify(s);
      expect(mine.warn, s).to.equal(perl[i].warn === 1);
      expect(mine.n === 0, s).to.equal(perl[i].eq === 1);
      if (typeof perl[i].n === 'number') expect(mine.n, s).to.equal(perl[i].n);
      if (perl[i].display !== null) expect(perlNotANumberDisplay(s), s).to.equal(perl[i].display);
    });
  });

  it('encodeJsonPP: the same bytes as JSON::PP->new->encode for strings, numbers and nesting', () => {
    const values: PerlValue[] = ['plain', 'q"b\\s/', 'ctl\x00\x01\x08\x0b\x1f\x7f', 'tab\tnl\ncr\rff\fbs\b', 'caf\xc3\xa9', 42, -7, 1.5, 0.1, 1e21, [1, 'a', null, true, false], { a: { b: [] } }];
    const r = spawnSync(
      'perl',
      ['-MJSON::PP', '-MMIME::Base64', '-e', `my $J = JSON::PP->new->canonical->allow_nonref; while (my $l = <STDIN>) { chomp $l; print encode_base64($J->encode(JSON::PP->new->allow_nonref->decode(decode_base64($l))), ''), "\\n" }`],
      { input: values.map((v) => Buffer.from(JSON.stringify(v), 'latin1').toString('base64')).join('\n') + '\n' },
    );
    const lines = r.stdout.toString().trim().split('\n');
    values.forEach((v, i) => {
      const decoded = decodeJsonPP(Buffer.from(JSON.stringify(v), 'latin1'));
      expect(decoded.ok).to.equal(true);
      if (decoded.ok) expect(canonical(decoded.value), JSON.stringify(v)).to.equal(Buffer.from(lines[i], 'base64').toString('latin1'));
    });
  });
});

/** encodeJsonPP with keys sorted (JSON::PP's canonical). */
function canonical(v: PerlValue): string {
  const sort = (x: PerlValue): PerlValue => {
    if (Array.isArray(x)) return x.map(sort);
    if (x && typeof x === 'object') {
      const o: Record<string, PerlValue> = Object.create(null);
      for (const k of Object.keys(x).sort()) o[k] = sort((x as Record<string, PerlValue>)[k]);
      return o;
    }
    return x;
  };
  return encodeJsonPP(sort(v));
}

describe('shell word planner', () => {
  it('splits plain words like the shell, never the opaque root', () => {
    const p = planShellLine([{ text: '/my root$/', opaque: true }, { text: 'good/bin/good' }, { text: ' order_status task  42 ' }]);
    expect(p).to.deep.equal({ ok: true, words: ['/my root$/good/bin/good', 'order_status', 'task', '42'], line: '/my root$/good/bin/good order_status task  42 ' });
  });

  it('refuses every kind of shell syntax and says what it is', () => {
    const cases: [string, RegExp][] = [
      ['1; id', /starts another one/],
      ['1 && id', /starts another one/],
      ['1 | id', /starts another one/],
      ['1\nid', /newline/],
      ['$(id)', /expanded/],
      ['$HOME', /expanded/],
      ['`id`', /backquote/],
      ['1 > x', /redirection/],
      ['1 < x', /redirection/],
      ['"1"', /quoting/],
      ["'1'", /quoting/],
      ['1\\ 2', /quoting/],
      ['*', /glob/],
      ['?', /glob/],
      ['[a]', /glob/],
      ['(1)', /subshell/],
      ['#1', /comment/],
      ['~root', /home directory/],
    ];
    for (const [arg, why] of cases) {
      const p = planShellLine([{ text: '/r/', opaque: true }, { text: 'p/bin/p' }, { text: ` order ${arg}` }]);
      expect(p.ok, arg).to.equal(false);
      if (!p.ok) {
        expect(p.reason, arg).to.match(why);
        expect(p.line).to.equal(`/r/p/bin/p order ${arg}`);
      }
    }
    for (const ok of ['a#b', 'a~b', 'eu-1.2_x', 'a=b', 'a,b', 'a:b', 'a@b', 'a%b', 'a+b', 'a]b', 'a{b}'])
      expect(planShellLine([{ text: `order ${ok}` }]).ok, ok).to.equal(true);
    expect(perlStr(null)).to.equal('');
  });
});

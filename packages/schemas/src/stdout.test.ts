import { expect } from 'chai';
import { readPluginStdout } from './index.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

function fails(input: Uint8Array | string, rule: string, ...fragments: (string | RegExp)[]): string {
  const r = readPluginStdout(typeof input === 'string' ? bytes(input) : input);
  expect(r.ok, JSON.stringify(r)).to.equal(false);
  if (r.ok) throw new Error('unreachable');
  expect(r.rule).to.equal(rule);
  expect(r.message.endsWith(`(${rule})`), r.message).to.equal(true);
  for (const f of fragments) {
    if (typeof f === 'string') expect(r.message).to.contain(f);
    else expect(r.message).to.match(f);
  }
  return r.message;
}

describe('readPluginStdout (host contract §3, byte for byte)', () => {
  describe('OUT-EMPTY: only "" and exactly "\\n" (the host\'s /^$/)', () => {
    it('"" is empty', () => void fails('', 'OUT-EMPTY', 'return empty string'));
    it('"\\n" is empty', () => void fails('\n', 'OUT-EMPTY', 'lone newline'));
  });

  describe('OUT-JSON: any other whitespace-only output makes the Perl die', () => {
    for (const ws of ['\n\n', ' ', '\t', '\r\n', ' \n', '\n \n', '\r']) {
      it(JSON.stringify(ws), () => void fails(ws, 'OUT-JSON', 'only whitespace', `${ws.length} byte`));
    }
  });

  describe('OUT-JSON: not exactly one JSON document', () => {
    it('a debug line before the document (b5)', () => {
      fails('DEBUG: contacting API\n{"configurations":[]}', 'OUT-JSON', 'text before the JSON document at byte offset 0', 'DEBUG: contacting API');
    });
    it('a second document (b7), with its offset', () => {
      fails('{"status":"enabled"}\n{"configurations":[{"id":1,"descr":"x"}]}', 'OUT-JSON', 'a second JSON document at byte offset 21', 'garbage after JSON object');
    });
    it('text after the document', () => void fails('{"task_id":"24"}\nOK\n', 'OUT-JSON', 'text after the JSON document at byte offset 17'));
    it('a truncated document (b1): same offset as JSON::PP (43)', () => {
      fails('{"configurations": [ {"id":1,"descr":"x"} \n', 'OUT-JSON', 'at byte offset 43', 'array is not closed', '(end of output)');
    });
    it('"this is not json" (b10)', () => void fails('this is not json\n', 'OUT-JSON', 'byte offset 0'));
    it('a leading zero, a raw newline in a string, a bad escape, a bare word, a trailing comma, single quotes', () => {
      fails('{"a":01}', 'OUT-JSON', 'leading zero');
      fails('{"a":"x\ny"}', 'OUT-JSON', 'control character');
      fails('{"a":"\\x"}', 'OUT-JSON', 'bad escape');
      fails('{"a":tru}', 'OUT-JSON', '"true" was expected');
      fails('{"a":1,}', 'OUT-JSON');
      fails("{'a':1}", 'OUT-JSON');
      fails('{"a":1', 'OUT-JSON', 'object is not closed');
      fails('{"a":"b', 'OUT-JSON', 'string is not closed');
      fails('{"a" 1}', 'OUT-JSON', '":" was expected');
      fails('{"a":-}', 'OUT-JSON', 'malformed number');
      fails('{"a":1.}', 'OUT-JSON', 'malformed number');
      fails('{"a":\\u0041}', 'OUT-JSON');
    });
    it('whitespace before the document is fine, after it too', () => {
      for (const s of [' {"a":1}', '\n{"a":1}', '{"a":1}\n', '{"a":1}\r\n', '{"a":1}\n\n', '{"a":1}  \t\n']) {
        const r = readPluginStdout(bytes(s));
        expect(r.ok, JSON.stringify(s)).to.equal(true);
      }
    });
  });

  describe('OUT-BOM', () => {
    it('a UTF-8 BOM before the document (b6)', () => void fails('\xef\xbb\xbf{"configurations":[]}', 'OUT-BOM', 'EF BB BF'));
    it('a BOM alone', () => void fails('\xef\xbb\xbf', 'OUT-BOM'));
  });

  describe('OUT-OBJECT: valid JSON that is not an object (b4)', () => {
    for (const [s, what] of [['[{"id":1,"descr":"x"}]', 'an array'], ['"ok"', 'a string'], ['42\n', 'a number'], ['true', 'a boolean'], ['null', 'null']]) {
      it(s!.trim(), () => void fails(s!, 'OUT-OBJECT', `the document is ${what!}`, 'Not a HASH reference'));
    }
  });

  describe('OUT-UTF8', () => {
    it('a CP1251 byte in a value', () => void fails('{"descr":"\xc2\xcf\xd1"}', 'OUT-UTF8', 'byte offset 10', '0xc2'));
    it('a stray continuation byte', () => void fails('{"descr":"a\x80"}', 'OUT-UTF8', 'byte offset 11'));
    it('an overlong encoding', () => void fails('{"descr":"\xc0\xaf"}', 'OUT-UTF8'));
    it('a truncated sequence at the end of a value', () => void fails('{"descr":"\xd0"}', 'OUT-UTF8', 'byte offset 10'));
    it('JSON errors win over encoding errors (the host dies first)', () => void fails('\xff{', 'OUT-JSON'));
  });

  describe('valid answers', () => {
    it('returns the object and the text', () => {
      const r = readPluginStdout(bytes('{"task_id":"24"}\n'));
      expect(r).to.deep.equal({ ok: true, value: { task_id: '24' }, text: '{"task_id":"24"}\n' });
    });
    it('non-ASCII UTF-8 passes (b8)', () => {
      const r = readPluginStdout(utf8('{"configurations":[{"id":1,"descr":"ВПС 1 ядро"}],"status":"enabled"}\n'));
      expect(r.ok).to.equal(true);
      if (r.ok) expect((r.value.configurations as { descr: string }[])[0]!.descr).to.equal('ВПС 1 ядро');
    });
    it('escapes, nesting, numbers, literals', () => {
      const r = readPluginStdout(bytes('{"a":"\\u00e9\\n\\"\\/","b":[1,-0,2.5e-3,1E+2,true,false,null,{}],"c":{"d":[]}}'));
      expect(r.ok).to.equal(true);
      if (r.ok) expect(r.value).to.deep.equal({ a: 'é\n"/', b: [1, -0, 0.0025, 100, true, false, null, {}], c: { d: [] } });
    });
    it('accepts a string argument as UTF-8 text', () => {
      expect(readPluginStdout('{"a":"ж"}').ok).to.equal(true);
    });
    it('deep nesting is an error, not a stack overflow', () => {
      fails('['.repeat(100000), 'OUT-JSON');
    });
    it('a 1 MiB answer parses quickly', () => {
      const big = `{"configurations":[${Array.from({ length: 20000 }, (_, i) => `{"id":"${i}","descr":"VPS plan number ${i}"}`).join(',')}]}`;
      const r = readPluginStdout(bytes(big));
      expect(r.ok).to.equal(true);
    });
  });
});

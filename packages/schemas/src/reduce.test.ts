// anyOf/oneOf noise reduction and other people's schemas: kinds from a temporary schemas folder
// (BXK_SCHEMAS_DIR), validated in a child process so this process keeps the real schemas.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const INDEX = new URL('./index.js', import.meta.url).href;

const SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    server: { anyOf: [{ type: 'string', pattern: '^a' }, { type: 'integer', minimum: 5 }] },
    x: { oneOf: [{ type: 'number' }, { type: 'integer', minimum: 0 }] },
    r: { anyOf: [{ $ref: '#/$defs/obj' }, { type: 'null' }] },
    deep: { oneOf: [{ type: 'object', required: ['a'], properties: { a: { type: 'string' } } }, { type: 'object', required: ['b', 'c'] }] },
    when: { type: 'string', format: 'date-time' },
  },
  $defs: { obj: { type: 'object', required: ['q'], properties: { q: { type: 'string' } } } },
};

describe('validate(): anyOf/oneOf reduced to the useful branch; kinds without x-rule', function () {
  this.timeout(60000);
  let dir: string;
  let results: Record<string, { ok: boolean; problems: { rule: string; path: string; message: string }[] }>;
  const docs: Record<string, unknown> = {
    pattern: { server: 'b' },
    minimum: { server: 3 },
    neither: { server: true },
    both: { x: 5 },
    refMissing: { r: {} },
    refType: { r: { q: 1 } },
    refNone: { r: 5 },
    deepType: { deep: { a: 1 } },
    deepMissing: { deep: {} },
    date: { when: 'yesterday' },
    good: { server: 'abc', x: -1.5, r: null, deep: { a: 'x' }, when: '2026-11-23T12:00:00Z' },
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bxk-'));
    await mkdir(path.join(dir, 'team'), { recursive: true });
    await writeFile(path.join(dir, 'team', 'thing.schema.json'), JSON.stringify(SCHEMA));
    await writeFile(path.join(dir, 'broken.schema.json'), JSON.stringify({ type: 'object', properties: { a: { minimum: 1 } } }));
    const code = `const m = await import(${JSON.stringify(INDEX)}); const docs = ${JSON.stringify(docs)};
      const out = {}; for (const [k, d] of Object.entries(docs)) out[k] = m.validate('team/thing', d);
      let broken = ''; try { m.validate('broken', {}); } catch (e) { broken = e.message; }
      out.broken = { ok: false, problems: [{ rule: '', path: '', message: broken }] };
      out.kinds = { ok: true, problems: m.listKinds().map((k) => ({ rule: '', path: '', message: k })) };
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, BXK_SCHEMAS_DIR: dir }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    results = JSON.parse(r.stdout) as typeof results;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const messages = (k: string) => results[k]!.problems.map((p) => p.message);

  it('discovers kinds in sub-folders of the schemas folder', () => {
    expect(messages('kinds')).to.deep.equal(['broken', 'team/thing']);
  });
  it('reports the branch the value has the type of', () => {
    expect(messages('pattern')).to.deep.equal(['/server: "b" does not have the expected form (SCHEMA)']);
    expect(messages('minimum')).to.deep.equal(['/server: 3 is less than 5 (SCHEMA)']);
  });
  it('a value of none of the types: one line naming them', () => {
    expect(messages('neither')).to.deep.equal(['/server: true is not a string or a whole number (SCHEMA)']);
    expect(messages('refNone')).to.deep.equal(['/r: 5 is a whole number, not an object or null (SCHEMA)']);
  });
  it('oneOf matched twice', () => {
    expect(messages('both')).to.deep.equal(['/x: 5 fits more than one of the allowed forms (SCHEMA)']);
  });
  it('follows a local $ref branch', () => {
    expect(messages('refMissing')).to.deep.equal(['/r/q: is missing (SCHEMA)']);
    expect(messages('refType')).to.deep.equal(['/r/q: 1 is a whole number, not a string (SCHEMA)']);
  });
  it('prefers the branch with the fewest problems', () => {
    expect(messages('deepType')).to.deep.equal(['/deep/a: 1 is a whole number, not a string (SCHEMA)']);
    expect(messages('deepMissing')).to.deep.equal(['/deep/a: is missing (SCHEMA)']);
  });
  it('formats are checked without ajv-formats', () => {
    expect(messages('date')).to.deep.equal(['/when: "yesterday" is not a valid date-time (SCHEMA)']);
    expect(results.good!.ok).to.equal(true);
  });
  it('a schema that does not compile names its file', () => {
    expect(messages('broken')[0]).to.match(/^the schema of broken \(.*broken\.schema\.json\) does not compile: strict mode/);
  });
});

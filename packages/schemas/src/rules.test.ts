import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RULES, rule, matchRules, SAFE_WORD, SAFE_NAME } from './index.js';

import { hostContract } from './fixtures.test-util.js';

describe('rule catalogue', () => {
  it('has every rule id of the host contract §5 (fixtures/docs/host-contract.json), each once', () => {
    const ids = new Set(hostContract().section5RuleIds);
    expect(ids.size).to.be.greaterThan(35);
    expect(ids.size, 'the fixture lists each id once').to.equal(hostContract().section5RuleIds.length);
    for (const id of ids) expect(() => rule(id), id).not.to.throw();
    const all = RULES.map((r) => r.id);
    expect(new Set(all).size).to.equal(all.length);
  });

  it('gives every rule a title, what the host does and a fix', () => {
    for (const r of RULES) {
      for (const k of ['title', 'host', 'fix'] as const) expect(r[k], `${r.id}.${k}`).to.match(/\S{3}/);
    }
  });

  it('matches ids and prefixes', () => {
    expect(matchRules('OUT-BOM').map((r) => r.id)).to.deep.equal(['OUT-BOM']);
    expect(matchRules('OUT').length).to.equal(8);
    expect(matchRules('arch-*').every((r) => r.id.startsWith('ARCH-'))).to.equal(true);
    expect(matchRules('NOPE')).to.deep.equal([]);
  });

  it('knows safe words and names', () => {
    for (const ok of ['1', 'vps-1', 'a.b_c', '24']) expect(SAFE_WORD.test(ok), ok).to.equal(true);
    for (const bad of ['-1', 'a b', 'a;b', '$(id)', 'eu/42', '']) expect(SAFE_WORD.test(bad), bad).to.equal(false);
    expect(SAFE_NAME.test('my-hoster')).to.equal(true);
    for (const bad of ['1abc', 'my hoster', 'a.b', '-x']) expect(SAFE_NAME.test(bad), bad).to.equal(false);
  });
});

describe('rule catalogue and the report schema', () => {
  it('agree on the areas and severities (the report schema repeats them as enums)', () => {
    const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../../../schemas/report.schema.json', import.meta.url)), 'utf8'));
    const rule = schema.$defs?.rule ?? Object.values(schema.$defs ?? {}).find((d: any) => d?.properties?.area);
    expect(rule, 'report.schema.json has a rule definition with an area').to.be.an('object');
    expect([...rule.properties.area.enum].sort()).to.deep.equal([...new Set(RULES.map((r) => r.area))].sort());
    for (const r of RULES) expect(rule.properties.severity.enum, r.id).to.include(r.severity);
  });
});

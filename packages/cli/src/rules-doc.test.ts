import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RULES } from '@bx-provider-kit/schemas';
import { renderRulesMarkdown } from './rules-doc.js';
import { kit } from './cli.test.js';

const doc = fileURLToPath(new URL('../../../docs/rules.md', import.meta.url));
// What the project's host contract §5 lists, as the schemas package's fixture keeps it.
const contract = fileURLToPath(new URL('../../schemas/fixtures/docs/host-contract.json', import.meta.url));

describe('docs/rules.md', () => {
  it('is up to date with the rule catalogue (regenerate: npm run docs)', () => {
    expect(readFileSync(doc, 'utf8'), 'docs/rules.md is stale: run `npm run docs`').to.equal(renderRulesMarkdown());
  });

  it('lists every rule id of the host contract §5 with severity, host behaviour and fix', () => {
    const text = readFileSync(doc, 'utf8');
    const ids = (JSON.parse(readFileSync(contract, 'utf8')) as { section5RuleIds: string[] }).section5RuleIds;
    expect(ids.length).to.be.greaterThan(35);
    for (const id of ids) expect(text, id).to.match(new RegExp(`\\| \`${id}\` \\| (error|warning)`));
    for (const r of RULES) expect(text).to.contain(`| \`${r.id}\` |`);
  });
});

describe('bx-provider-kit rules', () => {
  it('lists one line per rule', () => {
    const r = kit(['rules']);
    expect(r.code).to.equal(0);
    expect(r.stdout.trim().split('\n')).to.have.length(RULES.length);
  });

  it('selects by prefix and prints JSON', () => {
    const r = kit(['rules', 'ORD', '--format', 'json']);
    expect(r.code).to.equal(0);
    const ids = JSON.parse(r.stdout).map((x: { id: string }) => x.id);
    expect(ids).to.deep.equal(['ORD-TASK-ID', 'ORD-TASK-SAFE', 'ORD-TASK-UNIQUE', 'ORD-SPEED']);
  });

  it('refuses an unknown selector with exit 2', () => {
    const r = kit(['rules', 'NOPE']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^bx-provider-kit: no rule matches "NOPE"/);
  });
});

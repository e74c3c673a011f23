import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RULES } from '@bx-provider-kit/schemas';
import { renderRulesMarkdown } from './rules-doc.js';
import { kit } from './cli.test.js';

const doc = fileURLToPath(new URL('../../../docs/rules.md', import.meta.url));
const contract = fileURLToPath(new URL('../../../../shared/host-contract.md', import.meta.url));

describe('docs/rules.md', () => {
  it('is up to date with the rule catalogue (regenerate: npm run docs)', () => {
    expect(readFileSync(doc, 'utf8'), 'docs/rules.md is stale: run `npm run docs`').to.equal(renderRulesMarkdown());
  });

  it('lists every rule id of host-contract.md §5 with severity, host behaviour and fix', () => {
    const text = readFileSync(doc, 'utf8');
    const section = readFileSync(contract, 'utf8').split('## 5.')[1];
    const ids = [...section.matchAll(/`([A-Z]+-[A-Z0-9-]*[A-Z0-9])`/g)].map((m) => m[1]);
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

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TEMPLATES } from 'create-provider';
import { kit } from '../cli.test.js';

/** The lines of `CMD --help` that name the --template choices, as yargs prints them. */
function templateChoices(command: string): string[] {
  const r = kit([command, '--help']);
  expect(r.code, r.stderr).to.equal(0);
  const flat = r.stdout.replace(/\s+/g, ' ');
  const m = /--template\b.*?\[choices: ([^\]]+)\]/.exec(flat);
  expect(m, r.stdout).not.to.equal(null);
  return [...m![1]!.matchAll(/"([^"]+)"/g)].map((x) => x[1]!);
}

describe('bx-provider-kit new and demo: the templates come from create-provider', () => {
  it('new and demo offer exactly the templates of create-provider, in its order', () => {
    expect(templateChoices('new')).to.deep.equal([...TEMPLATES]);
    expect(templateChoices('demo')).to.deep.equal([...TEMPLATES]);
  });

  it('completes new --template with the same names', () => {
    const r = kit(['--get-yargs-completions', 'bx-provider-kit', 'new', 'x', '--template', '']);
    expect(r.stdout.trim().split('\n')).to.deep.equal([...TEMPLATES]);
  });

  it('the table the CLI imports at start-up (create-provider/templates) loads no other module of the kit but the light errors one', () => {
    const file = createRequire(import.meta.url).resolve('create-provider/templates');
    const imports = [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);
    expect(imports).to.deep.equal(['@bx-provider-kit/schemas/errors']);
  });
});

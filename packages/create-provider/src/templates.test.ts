/**
 * The table of templates against the folders, the templates as they stand (each one, with
 * _shared/ under it, is a working plugin named `example` that passes the conformance suite),
 * and what rendering does to them: renames, provider.json edited as JSON, placeholders only in prose.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { runConformance } from '@bx-provider-kit/conformance';
import { KitError, validate } from '@bx-provider-kit/schemas';
import { createProvider, TEMPLATE_TABLE, TEMPLATES, type TemplateName } from './index.js';
import { EXAMPLE_NAME, SHARED_DIR, fillPlaceholders, renamedPath, templateSources, templatesRoot, type TemplateValues } from './render.js';
import { tempDir } from './testutil.js';

/** Copies a template as it stands (_shared/ overlaid by the template's folder) into DIR: no renaming, no filling. */
async function assemble(template: TemplateName, dir: string): Promise<string[]> {
  const sources = await templateSources(template);
  for (const { rel, abs } of sources) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.copyFile(abs, path.join(dir, rel));
    await fs.chmod(path.join(dir, rel), (await fs.stat(abs)).mode & 0o777);
  }
  return sources.map((s) => s.rel);
}

/** A line holding a placeholder that is neither Markdown nor a comment line. */
function placeholderInCode(rel: string, text: string): string[] {
  if (rel.endsWith('.md')) return [];
  return text
    .split('\n')
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => line.includes('{{') && !/^\s*(#|\/\/|\/\*|\*)/.test(line))
    .map(({ line, n }) => `${rel}:${n}: ${line.trim()}`);
}

describe('the table of templates', () => {
  const root = templatesRoot();

  it('has a folder for every row and a row for every folder (folders starting with _ are not templates)', () => {
    const folders = readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('_'))
      .map((e) => e.name)
      .sort();
    expect([...TEMPLATES].sort()).to.deep.equal(folders);
    expect(TEMPLATES).to.deep.equal(TEMPLATE_TABLE.map((t) => t.name));
    expect(TEMPLATES).not.to.include(SHARED_DIR);
  });

  it('names, for each row, a label and an adapter and a sandbox file that the folder has', async () => {
    const labels = new Set<string>();
    for (const t of TEMPLATE_TABLE) {
      expect(t.label, t.name).to.match(/^\S.{5,60}$/);
      labels.add(t.label);
      const files = (await templateSources(t.name)).map((s) => s.rel);
      expect(files, `${t.name} adapter`).to.include(t.adapter);
      expect(files, `${t.name} sandbox`).to.include(t.sandbox);
      expect(t.adapter, t.name).not.to.equal(t.sandbox);
      expect(t.runtime, t.name).to.be.a('string').and.not.equal('');
    }
    expect(labels.size, 'labels tell the templates apart').to.equal(TEMPLATE_TABLE.length);
  });

  it("every code file (bin/, lib/) passes its template's syntax check", async function () {
    this.timeout(60_000);
    for (const t of TEMPLATE_TABLE) {
      const [cmd, ...args] = t.syntaxCheck;
      if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) continue; // the plugin tests fail loudly without it
      const files = (await templateSources(t.name)).map((s) => s.rel).filter((f) => /^(bin|lib)\//.test(f));
      expect(files.length, t.name).to.be.greaterThan(1);
      for (const f of files) {
        const r = spawnSync(cmd!, [...args, f], { cwd: path.join(root, t.name), encoding: 'utf8', timeout: 20_000 });
        expect(r.status, `${t.syntaxCheck.join(' ')} ${t.name}/${f}: ${r.stdout}${r.stderr}`).to.equal(0);
      }
    }
  });
});

describe('the templates as they stand', () => {
  it('_shared/ holds the files every template has, once: no template repeats one byte for byte', async () => {
    const shared = (await templateSources(TEMPLATES[0]!)).filter((s) => s.abs.includes(`${path.sep}${SHARED_DIR}${path.sep}`)).map((s) => s.rel);
    expect(shared.sort()).to.deep.equal(['_gitignore', 'conformance.json', `etc/${EXAMPLE_NAME}.conf`, 'provider.json']);
    for (const t of TEMPLATES) {
      const own = (await templateSources(t)).filter((s) => !s.abs.includes(`${path.sep}${SHARED_DIR}${path.sep}`));
      const others = await Promise.all(TEMPLATES.filter((o) => o !== t).map((o) => templateSources(o)));
      for (const f of own) {
        const body = await fs.readFile(f.abs);
        for (const o of others) {
          const twin = o.find((s) => s.rel === f.rel && !s.abs.includes(`${path.sep}${SHARED_DIR}${path.sep}`));
          if (twin) expect(body.equals(await fs.readFile(twin.abs)), `${t}/${f.rel} is the same in two templates: move it to ${SHARED_DIR}/`).to.equal(false);
        }
      }
    }
  });

  it('BX_PROVIDER_TEMPLATES must name a templates folder (with _shared/): one that is not is an error, not ignored', async () => {
    const root = await tempDir();
    const saved = process.env.BX_PROVIDER_TEMPLATES;
    try {
      await fs.mkdir(path.join(root, 'bash'));
      process.env.BX_PROVIDER_TEMPLATES = root;
      expect(() => templatesRoot()).to.throw(KitError, /BX_PROVIDER_TEMPLATES=.* has no _shared\/ folder/);
      await fs.mkdir(path.join(root, SHARED_DIR));
      expect(templatesRoot()).to.equal(root);
    } finally {
      if (saved === undefined) delete process.env.BX_PROVIDER_TEMPLATES;
      else process.env.BX_PROVIDER_TEMPLATES = saved;
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  it('a template file wins over the _shared/ file at the same path', async () => {
    const root = await tempDir();
    try {
      await fs.mkdir(path.join(root, SHARED_DIR, 'etc'), { recursive: true });
      await fs.mkdir(path.join(root, 'bash'));
      await fs.writeFile(path.join(root, SHARED_DIR, 'same'), 'shared');
      await fs.writeFile(path.join(root, SHARED_DIR, 'etc', 'only-shared'), 'shared');
      await fs.writeFile(path.join(root, 'bash', 'same'), 'own');
      const sources = await templateSources('bash', root);
      expect(sources.map((s) => [s.rel, path.relative(root, s.abs)])).to.deep.equal([
        ['etc/only-shared', `${SHARED_DIR}/etc/only-shared`],
        ['same', 'bash/same'],
      ]);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  it('carry placeholders only in prose: Markdown and comment lines, never in code or a path', async () => {
    for (const t of TEMPLATES) {
      for (const { rel, abs } of await templateSources(t)) {
        expect(rel, `${t}: a placeholder in a path`).not.to.include('{{');
        expect(placeholderInCode(rel, await fs.readFile(abs, 'utf8')), t).to.deep.equal([]);
      }
    }
  });

  for (const template of TEMPLATES) {
    it(`${template}: _shared/ + ${template}/ copied as they are is the plugin ${EXAMPLE_NAME}, and it passes every rule with the order lifecycle`, async function () {
      this.timeout(180_000);
      const dir = await tempDir();
      try {
        const files = await assemble(template, dir);
        expect(files).to.include.members([`bin/${EXAMPLE_NAME}`, `etc/${EXAMPLE_NAME}.conf`, 'provider.json', 'conformance.json']);
        const manifest = JSON.parse(await fs.readFile(path.join(dir, 'provider.json'), 'utf8'));
        expect(manifest).to.deep.equal({ name: EXAMPLE_NAME, version: '0.1.0', description: `BitrixVM provider plugin ${EXAMPLE_NAME}` });
        expect(validate('provider', manifest).problems).to.deep.equal([]);
        const report = await runConformance(dir, { allowOrder: true });
        const failed = report.rules.filter((r) => r.status === 'failed').map((r) => `${r.id}: ${r.message}`);
        expect(failed).to.deep.equal([]);
        expect(report.target.name).to.equal(EXAMPLE_NAME);
        expect(report.summary.passed).to.be.greaterThan(20);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('rendering a template for NAME', function () {
  this.timeout(30_000);
  let root: string;
  before(async () => {
    root = await tempDir();
  });
  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  const values: TemplateValues = { name: 'n1', description: 'd', template: 'bash', version: '0.1.0', kitVersion: '9.9.9' };

  it('fills placeholders in Markdown and comment lines and refuses one in code (a template bug)', () => {
    expect(fillPlaceholders('# {{name}}\n\n{{description}} ({{kitVersion}})\n', values, 'bash/README.md')).to.equal('# n1\n\nd (9.9.9)\n');
    expect(fillPlaceholders('#!/bin/sh\n# {{name}}: a plugin\n * etc/{{name}}.conf\necho hi\n', values, 'bash/bin/example')).to.equal('#!/bin/sh\n# n1: a plugin\n * etc/n1.conf\necho hi\n');
    expect(() => fillPlaceholders("#!/bin/sh\nNAME='{{name}}'\n", values, 'bash/bin/example')).to.throw(/template bug: a placeholder in code at bash\/bin\/example:2/);
    expect(() => fillPlaceholders('x\n"name": "{{name}}"\n', values, '_shared/provider.json')).to.throw(/template bug/);
    expect(() => fillPlaceholders('# {{nmae}}\n', values, 'bash/lib/api.sh')).to.throw(/unknown placeholder \{\{nmae\}\} at bash\/lib\/api\.sh:1/);
    expect(() => fillPlaceholders('# {{constructor}}\n', values, 'x.md')).to.throw(/unknown placeholder/);
  });

  it('renames bin/example, etc/example.conf and _gitignore, and refuses a placeholder in a path', () => {
    expect(renamedPath(`bin/${EXAMPLE_NAME}`, 'acme', 'x')).to.equal('bin/acme');
    expect(renamedPath(`etc/${EXAMPLE_NAME}.conf`, 'acme', 'x')).to.equal('etc/acme.conf');
    expect(renamedPath('_gitignore', 'acme', 'x')).to.equal('.gitignore');
    expect(renamedPath('lib/api.sh', 'acme', 'x')).to.equal('lib/api.sh');
    expect(() => renamedPath('bin/{{name}}', 'acme', 'bash/bin/{{name}}')).to.throw(/template bug: a placeholder in the path bash\/bin\/\{\{name\}\}/);
  });

  it('refuses, before writing anything, a template with a placeholder in code or a provider.json that is not JSON', async () => {
    const fake = path.join(root, 'fake-templates');
    await fs.mkdir(path.join(fake, SHARED_DIR), { recursive: true });
    await fs.mkdir(path.join(fake, 'bash', 'bin'), { recursive: true });
    await fs.writeFile(path.join(fake, SHARED_DIR, 'provider.json'), '{"name": "example"}\n');
    await fs.writeFile(path.join(fake, 'bash', 'bin', EXAMPLE_NAME), "#!/bin/bash\n# {{name}}: fine in a comment\nPLUGIN_NAME='{{name}}'\n");
    const saved = process.env.BX_PROVIDER_TEMPLATES;
    process.env.BX_PROVIDER_TEMPLATES = fake;
    try {
      const target = path.join(root, 'never');
      let err = await createProvider({ name: 'never', template: 'bash', dir: target }).catch((e: Error) => e);
      expect(String(err)).to.match(/template bug: a placeholder in code at bash\/bin\/example:3/);
      await fs.writeFile(path.join(fake, 'bash', 'bin', EXAMPLE_NAME), '#!/bin/bash\n# {{name}}\n');
      await fs.writeFile(path.join(fake, SHARED_DIR, 'provider.json'), '{"name": "{{name}}", "description": {{descriptionJson}}}\n');
      err = await createProvider({ name: 'never', template: 'bash', dir: target }).catch((e: Error) => e);
      expect(String(err)).to.match(/template bug: _shared\/provider\.json is not JSON/);
      expect(readdirSync(root)).not.to.include('never');
    } finally {
      if (saved === undefined) delete process.env.BX_PROVIDER_TEMPLATES;
      else process.env.BX_PROVIDER_TEMPLATES = saved;
    }
  });

  it('writes provider.json as JSON: any description round-trips exactly, the name and version are set', async () => {
    const description = 'Says "hi" \\ back, {{name}} and {{descriptionJson}} stay as typed: ВПС ✓ 𝄞 \u2028 </script>';
    for (const template of TEMPLATES) {
      const name = `json-${template}`;
      const { dir } = await createProvider({ name, template, dir: path.join(root, name), description });
      const text = await fs.readFile(path.join(dir, 'provider.json'), 'utf8');
      expect(JSON.parse(text)).to.deep.equal({ name, version: '0.1.0', description });
      expect(text).to.equal(JSON.stringify({ name, version: '0.1.0', description }, null, 2) + '\n');
      expect(await fs.readFile(path.join(dir, 'README.md'), 'utf8'), 'the README shows the description as typed').to.include(description);
    }
  });

  it('leaves no placeholder in the code of a scaffolded plugin (bin/, lib/) and writes the same files as before', async () => {
    const expected: Record<TemplateName, string[]> = {
      bash: ['lib/api.sh', 'lib/json.sh', 'lib/sandbox.sh'],
      php: ['lib/HttpApi.php', 'lib/Sandbox.php'],
      python: ['lib/http_api.py', 'lib/plugin_errors.py', 'lib/sandbox.py'],
      perl: ['lib/HttpApi.pm', 'lib/Sandbox.pm'],
    };
    for (const template of TEMPLATES) {
      const name = `code-${template}`;
      const { dir, files } = await createProvider({ name, template, dir: path.join(root, name) });
      expect(files).to.deep.equal(
        ['.gitignore', 'README.md', `bin/${name}`, 'conformance.json', `etc/${name}.conf`, ...expected[template], 'package.json', 'provider.json'].sort(),
      );
      const code = execFileSync('find', ['bin', 'lib', '-type', 'f'], { cwd: dir, encoding: 'utf8' }).trim().split('\n');
      expect(code.length, template).to.be.greaterThan(1);
      for (const f of code) expect(await fs.readFile(path.join(dir, f), 'utf8'), `${template}/${f}`).not.to.include('{{');
      const conf = await fs.readFile(path.join(dir, 'etc', `${name}.conf`), 'utf8');
      expect(conf.split('\n')[0]).to.equal(`# Settings of the ${name} provider plugin, read by bin/${name} on every call.`);
    }
  });
});

/**
 * The scaffolder: writes a plugin folder from a template (render.ts reads and renders it; the
 * templates are listed in templates.ts).
 * Every plugin also gets a `package.json` (pluginPackageJson) that holds the kit as a
 * devDependency, so `npm install && npm test` works with no clone of the kit.
 */
import fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { KitError, SAFE_NAME } from '@bx-provider-kit/schemas';
import { renderTemplate } from './render.js';
import { DEFAULT_TEMPLATE, assertTemplate, templateInfo, type TemplateName } from './templates.js';

export const FIRST_VERSION = '0.1.0';
export const MAX_NAME_LENGTH = 64;
export const MAX_DESCRIPTION_LENGTH = 200;

export const KIT_VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** Why NAME cannot be a provider name (PKG-NAME), or null when it can. */
export function explainBadName(name: string): string | null {
  if (!name) return 'the name is empty';
  if (name.length > MAX_NAME_LENGTH) return `the name is ${name.length} characters long; keep it to ${MAX_NAME_LENGTH}`;
  const bad = [...new Set([...name].filter((c) => !/[A-Za-z0-9_-]/.test(c)))];
  if (bad.length) {
    const shown = bad.map((c) => (c === ' ' ? 'a space' : /[\x00-\x1f\x7f]/.test(c) ? `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}` : `"${c}"`));
    return `"${name}" contains ${shown.join(', ')}: only ASCII letters, digits, _ and - are allowed, because bx-provider puts the name unquoted into shell command lines and paths (PKG-NAME)`;
  }
  if (!/^[A-Za-z]/.test(name)) return `"${name}" must start with a letter, A-Z or a-z (PKG-NAME)`;
  if (!SAFE_NAME.test(name)) return `"${name}" is not a safe provider name (PKG-NAME)`;
  return null;
}

export function assertName(name: string): void {
  const why = explainBadName(name);
  if (why) throw new KitError(`cannot use that provider name: ${why}`);
}

export function defaultDescription(name: string): string {
  return `BitrixVM provider plugin ${name}`;
}

export function assertDescription(d: string): void {
  if (/[\x00-\x1f\x7f]/.test(d)) throw new KitError('--description must be one line of text without control characters');
  if (d.length > MAX_DESCRIPTION_LENGTH) throw new KitError(`--description is ${d.length} characters long; keep it to ${MAX_DESCRIPTION_LENGTH}`);
}

export interface CreateProviderOptions {
  name: string;
  template?: TemplateName | string;
  /** Target folder (default ./NAME); the plugin is written into it directly. */
  dir?: string;
  description?: string;
  /** Write into a non-empty folder, overwriting the template's files (never deleting others). */
  force?: boolean;
}

export interface CreateProviderResult {
  dir: string;
  /** Relative paths written, sorted. */
  files: string[];
  name: string;
  template: TemplateName;
  description: string;
  version: string;
}

async function lstatOrNull(p: string) {
  try {
    return await fs.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Writes a new plugin project. Refuses a non-empty target unless `force`; with `force` it
 * overwrites only the files the template has and never deletes anything.
 */
export async function createProvider(options: CreateProviderOptions): Promise<CreateProviderResult> {
  const name = options.name;
  assertName(name);
  const template = options.template ?? DEFAULT_TEMPLATE;
  assertTemplate(template);
  const description = options.description ?? defaultDescription(name);
  assertDescription(description);
  const dir = path.resolve(options.dir ?? name);

  const st = await fs.stat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (st && !st.isDirectory()) throw new KitError(`${dir} exists and is not a folder: choose another --dir`);
  if (st) {
    const entries = (await fs.readdir(dir)).filter((e) => e !== '.git');
    if (entries.length && !options.force) {
      const shown = entries.sort().slice(0, 3).join(', ') + (entries.length > 3 ? `, ... (${entries.length} entries)` : '');
      throw new KitError(`${dir} is not empty (${shown}): choose another --dir, or pass --force to write the template's files over it (nothing else is deleted)`);
    }
  }

  const planned = await renderTemplate(template, { name, description, template, version: FIRST_VERSION, kitVersion: KIT_VERSION });
  if (!planned.some((f) => f.rel === 'package.json')) {
    planned.push({ rel: 'package.json', content: pluginPackageJson(name, description), mode: 0o644 });
  }

  // Check every target before writing anything, so a conflict leaves the folder untouched.
  for (const f of planned) {
    const parts = f.rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const p = path.join(dir, ...parts.slice(0, i));
      const s = await lstatOrNull(p);
      if (s && !s.isDirectory()) throw new KitError(`${p} is in the way: the template needs a folder there (move it away and retry)`);
    }
    const s = await lstatOrNull(path.join(dir, f.rel));
    if (s && s.isDirectory()) throw new KitError(`${path.join(dir, f.rel)} is a folder: the template writes a file there (move it away and retry)`);
  }

  for (const f of planned) {
    const target = path.join(dir, f.rel);
    await fs.mkdir(path.dirname(target), { recursive: true });
    // Write beside the target and rename over it: a symlink in the way is replaced, never followed.
    const tmp = `${target}.bxk-${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(tmp, f.content, { mode: f.mode, flag: 'wx' });
    await fs.chmod(tmp, f.mode);
    await fs.rename(tmp, target);
  }
  return { dir, files: planned.map((f) => f.rel).sort(), name, template, description, version: FIRST_VERSION };
}

/** The archive `pack` writes for a new plugin, relative to the plugin folder. */
export function archivePath(name: string, version = FIRST_VERSION): string {
  return `dist/${name}-v${version}.tar.gz`;
}

/**
 * The package.json of a new plugin: private, the kit as a devDependency (the version of this
 * create-provider), and the scripts the next steps and the plugin's README name.
 */
export function pluginPackageJson(name: string, description: string): string {
  const pkg = {
    name: name.toLowerCase(),
    version: FIRST_VERSION,
    private: true,
    description,
    scripts: {
      test: 'bx-provider-kit test . --allow-order',
      pack: 'bx-provider-kit pack .',
      verify: `bx-provider-kit verify ${archivePath(name)}`,
    },
    devDependencies: { 'bx-provider-kit': `^${KIT_VERSION}` },
  };
  return JSON.stringify(pkg, null, 2) + '\n';
}

export interface NextStepsOptions {
  /**
   * How the reader runs the kit: `npm` (the default: `npm create provider` installed nothing,
   * so the steps install the kit from the plugin's package.json and use its scripts) or
   * `installed` (`bx-provider-kit new`: the command is there already).
   */
  kit?: 'npm' | 'installed';
}

/**
 * The "what now" text printed after a plugin was created. The lines between "Next steps:" and
 * the next blank line are shell commands, run as printed from the folder the command ran in
 * (a test does exactly that); what follows `#` on a line is a comment.
 */
export function nextSteps(result: CreateProviderResult, cwd = process.cwd(), options: NextStepsOptions = {}): string {
  const { name, template } = result;
  let rel = path.relative(cwd, result.dir) || '.';
  if (!rel.startsWith('.') && !path.isAbsolute(rel)) rel = `./${rel}`;
  const archive = archivePath(name, result.version);
  const file = path.basename(archive);
  const q = (s: string) => (/^[A-Za-z0-9_./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const kit = options.kit ?? 'npm';
  const x = kit === 'npm' ? 'npx bx-provider-kit' : 'bx-provider-kit';
  const step = (cmd: string, why: string) => `  ${cmd.padEnd(46)} # ${why}`;
  const steps =
    kit === 'npm'
      ? [
          step(`cd ${q(rel)}`, ''),
          step('npm install', 'the kit: bx-provider-kit, a devDependency in package.json'),
          step(`./bin/${name} configs`, 'try it: sandbox backend, no network, fake servers'),
          step('npm test', 'bx-provider-kit test . --allow-order: every host rule, ordering in the sandbox'),
          step('npm run pack', `bx-provider-kit pack .: ${archive} (+ .sha256)`),
          step('npm run verify', `bx-provider-kit verify ${archive}`),
        ]
      : [
          step(`cd ${q(rel)}`, ''),
          step(`./bin/${name} configs`, 'try it: sandbox backend, no network, fake servers'),
          step('bx-provider-kit test . --allow-order', 'every host rule, ordering in the sandbox'),
          step('bx-provider-kit pack .', `${archive} (+ .sha256)`),
          step(`bx-provider-kit verify ${archive}`, 'the archive as the host will treat it'),
        ];
  return [
    `Created ${name} (${template} template) in ${rel}: ${result.files.length} files.`,
    '',
    'Next steps:',
    ...steps.map((l) => l.replace(/\s+# $/, '')),
    `  ${x} host -a install --provider ${name} --archive ${archive} -o json`,
    '',
    `The emulated host (in ./.bx-host) takes bx-provider's flags: ${x} host -a order --provider ${name}`,
    '--config_id 1 -o json, then -a order_status --task_id ID and -a order_to_host --task_id ID.',
    `Call your own API: set backend = http, api_url and api_token in etc/${name}.conf, then adapt`,
    `${templateInfo(template).adapter} (\`${x} mock-api\` serves the REST shape it expects; see README.md).`,
    '',
    'Install on a real BitrixVM (as root):',
    `  scp ${archive} root@YOUR-BITRIXVM:/tmp/`,
    `  /opt/webdir/bin/bx-provider -a install --provider ${name} --archive /tmp/${file} -o json`,
    '',
  ].join('\n');
}

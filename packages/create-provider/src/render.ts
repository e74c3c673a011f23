/**
 * Reading and rendering templates/<name>/ (in memory; scaffold.ts writes the result).
 *
 * A template, as it stands, is a working plugin named `example`: `templates/_shared/` (the
 * files every template has: provider.json, conformance.json, etc/example.conf, _gitignore)
 * with `templates/<name>/` over it (a file at the same path wins). Rendering it for NAME:
 *   - renames the paths RENAME_FILES lists (bin/example -> bin/NAME, _gitignore -> .gitignore);
 *   - edits provider.json as JSON: name, version and description set, the rest kept;
 *   - fills the placeholders of prose: {{name}}, {{description}}, {{template}}, {{version}} and
 *     {{kitVersion}} in Markdown files and on comment lines. A placeholder anywhere else is a
 *     template bug and an error: code derives the plugin's name from its own file name.
 * Files under bin/ and files with an executable bit are written 0755, everything else 0644.
 */
import fs from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KitError } from '@bx-provider-kit/schemas';
import type { TemplateName } from './templates.js';

/** The folder of files every template shares; a template's own file at the same path wins. */
export const SHARED_DIR = '_shared';

/** The name of the plugin each template folder is, as it stands. */
export const EXAMPLE_NAME = 'example';

/**
 * Paths renamed when a template is rendered for NAME (as create-vite's renameFiles). Every
 * other path is written as it is. `_gitignore`: npm would drop a real .gitignore from the package.
 */
export const RENAME_FILES: Readonly<Record<string, (name: string) => string>> = {
  _gitignore: () => '.gitignore',
  [`bin/${EXAMPLE_NAME}`]: (name) => `bin/${name}`,
  [`etc/${EXAMPLE_NAME}.conf`]: (name) => `etc/${name}.conf`,
};

/** The values of the prose placeholders; provider.json takes name, version and description. */
export interface TemplateValues {
  name: string;
  description: string;
  template: string;
  version: string;
  kitVersion: string;
}

export interface PlannedFile {
  rel: string;
  content: string;
  mode: number;
}

/** A file of a template as it stands: its path in the plugin and where it is read from. */
export interface TemplateSource {
  rel: string;
  abs: string;
}

/**
 * Where the templates live: `templates/` inside the published package (copied there when it
 * is packed), else the monorepo's top-level `templates/`. BX_PROVIDER_TEMPLATES overrides.
 * A templates folder holds `_shared/` beside the template folders.
 */
export function templatesRoot(): string {
  const isRoot = (c: string) => existsSync(path.join(c, SHARED_DIR)) && statSync(path.join(c, SHARED_DIR)).isDirectory();
  const override = process.env.BX_PROVIDER_TEMPLATES;
  if (override) {
    if (isRoot(override)) return override;
    throw new KitError(`BX_PROVIDER_TEMPLATES=${override} is not a templates folder (it has no ${SHARED_DIR}/ folder): fix or unset it`);
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../templates'), path.resolve(here, '../../../templates')];
  for (const c of candidates) {
    if (isRoot(c)) return c;
  }
  throw new KitError(`cannot find the plugin templates (looked for ${SHARED_DIR}/ in ${candidates.join(', ')}): reinstall create-provider`);
}

async function walk(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(root, r)));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** The files of a template as it stands: _shared/ overlaid by the template's folder, sorted by path. */
export async function templateSources(template: TemplateName, root = templatesRoot()): Promise<TemplateSource[]> {
  const byRel = new Map<string, string>();
  for (const dir of [path.join(root, SHARED_DIR), path.join(root, template)]) {
    for (const rel of await walk(dir)) byRel.set(rel, path.join(dir, rel));
  }
  return [...byRel].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([rel, abs]) => ({ rel, abs }));
}

const PLACEHOLDER = /\{\{([A-Za-z]+)\}\}/g;
/** A line of prose in code: a comment of sh, Perl, Python, PHP (#, //, /* and the * of a doc block). */
const COMMENT_LINE = /^\s*(#|\/\/|\/\*|\*)/;

/** Fills the prose placeholders of one file; throws a template bug for one in code. */
export function fillPlaceholders(text: string, values: TemplateValues, where: string): string {
  const prose = where.endsWith('.md');
  return text
    .split('\n')
    .map((line, i) => {
      if (!line.includes('{{')) return line;
      if (!prose && !COMMENT_LINE.test(line)) {
        throw new Error(`template bug: a placeholder in code at ${where}:${i + 1} (placeholders are for Markdown and comment lines; code finds the plugin's name from its own file name)`);
      }
      return line.replace(PLACEHOLDER, (all, key: string) => {
        if (!Object.hasOwn(values, key)) throw new Error(`template bug: unknown placeholder ${all} at ${where}:${i + 1}`);
        return values[key as keyof TemplateValues];
      });
    })
    .join('\n');
}

/** provider.json of the template with name, version and description set, edited as JSON. */
export function editProviderJson(text: string, values: Pick<TemplateValues, 'name' | 'version' | 'description'>, where: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`template bug: ${where} is not JSON: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`template bug: ${where} is not a JSON object`);
  const manifest = { ...(doc as Record<string, unknown>), name: values.name, version: values.version, description: values.description };
  return JSON.stringify(manifest, null, 2) + '\n';
}

/** The path a template file is written to for plugin NAME. */
export function renamedPath(rel: string, name: string, where: string): string {
  if (rel.includes('{{')) throw new Error(`template bug: a placeholder in the path ${where} (declare the rename in RENAME_FILES)`);
  const rename = RENAME_FILES[rel];
  return rename ? rename(name) : rel;
}

/** Reads a template and renders it in memory (no files written). */
export async function renderTemplate(template: TemplateName, values: TemplateValues): Promise<PlannedFile[]> {
  const root = templatesRoot();
  const files: PlannedFile[] = [];
  for (const { rel, abs } of await templateSources(template, root)) {
    const where = path.relative(root, abs).split(path.sep).join('/');
    const outRel = renamedPath(rel, values.name, where);
    const st = await fs.stat(abs);
    const raw = (await fs.readFile(abs, 'utf8')).replace(/\r\n/g, '\n');
    const content = rel === 'provider.json' ? editProviderJson(raw, values, where) : fillPlaceholders(raw, values, where);
    // Everything under bin/ is executable even if a package manager dropped the mode bits.
    const executable = (st.mode & 0o111) !== 0 || outRel.startsWith('bin/');
    files.push({ rel: outRel, content, mode: executable ? 0o755 : 0o644 });
  }
  return files;
}

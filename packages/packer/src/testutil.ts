import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = path.join(REPO, 'packages/cli/dist/main.js');

export async function tmpdir(): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), 'bxk-'));
}

export interface Recipe {
  name: string;
  file: string;
  about: string;
  errors: string[];
  warnings: string[];
  options?: { name?: string };
  build(dir: string): Promise<string>;
}

export interface RecipesModule {
  recipes: Recipe[];
  buildRecipe(name: string, dir: string): Promise<string>;
  pluginFolder(dir: string, name: string, opts?: { body?: string; mode?: number }): Promise<string>;
  script(name: string): string;
  tarBytes(entries: object[]): Buffer;
  zipBytes(entries: object[], opts?: { unix?: boolean }): Buffer;
  goodEntries(name: string, opts?: object): object[];
  writeBomb(out: string, name?: string, bytes?: number): Promise<string>;
}

export async function loadRecipes(): Promise<RecipesModule> {
  return (await import(pathToFileURL(path.join(REPO, 'conformance/archives/recipes.mjs')).href)) as RecipesModule;
}

/** Every path under dir (relative), sorted: to prove nothing was written outside a folder. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const d of await fsp.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      out.push(r);
      if (d.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out.sort();
}

/** A plugin project folder as `new` writes it. */
export async function writePlugin(dir: string, name = 'demo', extra: Record<string, string> = {}): Promise<string> {
  await fsp.mkdir(path.join(dir, 'bin'), { recursive: true });
  await fsp.mkdir(path.join(dir, 'etc'), { recursive: true });
  await fsp.mkdir(path.join(dir, 'lib'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'provider.json'), JSON.stringify({ name, version: '1.2.0', description: 'demo plugin' }, null, 2) + '\n');
  await fsp.writeFile(path.join(dir, 'bin', name), `#!/bin/bash\nset -eu\n. "$(dirname "$0")/../lib/common.sh"\necho '{"options":["help","configs","order","order_status"],"status":"enabled"}'\n`);
  await fsp.chmod(path.join(dir, 'bin', name), 0o755);
  await fsp.writeFile(path.join(dir, 'etc', `${name}.conf`), 'sandbox=1\n');
  await fsp.writeFile(path.join(dir, 'lib', 'common.sh'), 'log() { echo "$*" >&2; }\n');
  for (const [rel, text] of Object.entries(extra)) {
    await fsp.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fsp.writeFile(path.join(dir, rel), text);
  }
  return dir;
}

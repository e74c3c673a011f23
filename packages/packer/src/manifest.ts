import path from 'node:path';
import * as schemas from '@bx-provider-kit/schemas';
import { KitError, SAFE_NAME } from '@bx-provider-kit/schemas';
import { readDocumentFile } from './guard.js';

/** provider.json (schemas/provider.schema.json). */
export interface ProviderManifest {
  name: string;
  version: string;
  description: string;
  files?: string[];
}

/** A provider.json is a few hundred bytes; 1 MiB is far past any real one. */
export const MANIFEST_MAX_BYTES = 1024 * 1024;

const KEYS = new Set(['$schema', 'name', 'version', 'description', 'files']);
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_~-]*$/;

/** Problems of a provider.json value, one line each (a local mirror of the schema). */
export function manifestProblems(m: unknown): string[] {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return ['it must be a JSON object'];
  const o = m as Record<string, unknown>;
  const out: string[] = [];
  for (const k of Object.keys(o)) if (!KEYS.has(k)) out.push(`unknown key ${JSON.stringify(k)} (allowed: name, version, description, files)`);
  if (typeof o.name !== 'string') out.push('"name" is required: a string');
  else if (!SAFE_NAME.test(o.name) || o.name.length > 64) out.push(`"name" ${JSON.stringify(o.name)} is not a safe provider name (letters, digits, "_", "-", starting with a letter)`);
  if (typeof o.version !== 'string') out.push('"version" is required: a string such as "1.0.0"');
  else if (!VERSION.test(o.version) || o.version.length > 64) out.push(`"version" ${JSON.stringify(o.version)} must be letters, digits, ".", "+", "_", "~", "-" (it goes into the archive name)`);
  if (typeof o.description !== 'string' || o.description.length === 0) out.push('"description" is required: a non-empty string');
  if (o.files !== undefined) {
    if (!Array.isArray(o.files)) out.push('"files" must be an array of relative paths');
    else {
      const seen = new Set<string>();
      o.files.forEach((f, i) => {
        if (typeof f !== 'string' || f === '') out.push(`"files"[${i}] must be a non-empty string`);
        else if (f.startsWith('/') || f.split(/[\\/]/).includes('..')) out.push(`"files"[${i}] ${JSON.stringify(f)} must be a path inside the plugin folder (relative, no "..")`);
        else if (seen.has(f)) out.push(`"files"[${i}] ${JSON.stringify(f)} is listed twice`);
        else seen.add(f);
      });
    }
  }
  return out;
}

/** Validates with the shared schema when @bx-provider-kit/schemas offers `validate`, else locally. */
function problemsOf(value: unknown): string[] {
  const local = manifestProblems(value);
  const validate = (schemas as Record<string, unknown>).validate as
    | ((kind: string, v: unknown) => { ok: boolean; problems: { path: string; message: string }[] })
    | undefined;
  if (typeof validate !== 'function') return local;
  let res: { ok: boolean; problems: { path: string; message: string }[] };
  try {
    res = validate('provider', value);
  } catch {
    return local; // schema not registered (yet)
  }
  if (res.ok) return local; // the local check is stricter in nothing the schema allows, but keep its wording
  return local.length ? local : res.problems.map((p) => `${p.path || '(root)'}: ${p.message}`);
}

/** Reads and validates DIR/provider.json; KitError (exit 2) when missing or invalid. */
export async function readManifest(dir: string): Promise<ProviderManifest> {
  const file = path.join(dir, 'provider.json');
  let text: string;
  try {
    // regular files only, bounded: a FIFO would hang the read, /dev/zero fill memory
    text = await readDocumentFile(file, MANIFEST_MAX_BYTES);
  } catch (e) {
    if (e instanceof KitError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KitError(`no provider.json in ${dir}: create it with {"name": "NAME", "version": "1.0.0", "description": "..."} (bx-provider-kit new writes one)`);
    throw new KitError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new KitError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const problems = problemsOf(value);
  if (problems.length) throw new KitError(`${file}: ${problems.join('; ')}`);
  return value as ProviderManifest;
}

/** The name in DIR/provider.json if it can be read, else undefined (no errors). */
export async function peekManifestName(dir: string): Promise<string | undefined> {
  try {
    const v = JSON.parse((await readDocumentFile(path.join(dir, 'provider.json'), MANIFEST_MAX_BYTES)).replace(/^\uFEFF/, '')) as { name?: unknown };
    return typeof v?.name === 'string' ? v.name : undefined;
  } catch {
    return undefined;
  }
}

import path from 'node:path';
import { KitError, readDocumentFile, validate } from '@bx-provider-kit/schemas';

/** provider.json (schemas/provider.schema.json). */
export interface ProviderManifest {
  name: string;
  version: string;
  description: string;
  files?: string[];
}

/** A provider.json is a few hundred bytes; 1 MiB is far past any real one. */
export const MANIFEST_MAX_BYTES = 1024 * 1024;

/**
 * Problems of a provider.json value, one line each: schemas/provider.schema.json is the one
 * definition (no local mirror), with the text `bx-provider-kit validate provider` prints.
 */
export function manifestProblems(m: unknown): string[] {
  return validate('provider', m).problems.map((p) => p.message.replace(/ \(SCHEMA\)$/, ''));
}

/** Reads and validates DIR/provider.json; KitError (exit 2) when missing or invalid. */
export async function readManifest(dir: string): Promise<ProviderManifest> {
  const file = path.join(dir, 'provider.json');
  let text: string;
  try {
    // regular files only, bounded: a FIFO would hang the read, /dev/zero fill memory
    text = (await readDocumentFile(file, MANIFEST_MAX_BYTES)).toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KitError(`no provider.json in ${dir}: create it with {"name": "NAME", "version": "1.0.0", "description": "..."} (bx-provider-kit new writes one)`);
    if (e instanceof KitError) throw e;
    throw new KitError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new KitError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const problems = manifestProblems(value);
  if (problems.length) throw new KitError(`${file}: ${problems.join('; ')}`);
  return value as ProviderManifest;
}

/** The name in DIR/provider.json if it can be read, else undefined (no errors). */
export async function peekManifestName(dir: string): Promise<string | undefined> {
  try {
    const v = JSON.parse((await readDocumentFile(path.join(dir, 'provider.json'), MANIFEST_MAX_BYTES)).toString('utf8').replace(/^\uFEFF/, '')) as { name?: unknown };
    return typeof v?.name === 'string' ? v.name : undefined;
  } catch {
    return undefined;
  }
}

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KitError } from './errors.js';

/**
 * Where the JSON Schemas are. The repository's top-level schemas/ is their one source; packing
 * @bx-provider-kit/schemas copies it into the package (scripts/copy-schemas.mjs, on prepack), so
 * an installed package reads PACKAGE/schemas/ and a clone reads ROOT/schemas/ (dist/ and src/
 * both sit one level below the package, which sits two levels below the root).
 * BXK_SCHEMAS_DIR overrides both (tests, tools).
 */
export function schemasDir(): string {
  const env = process.env.BXK_SCHEMAS_DIR;
  if (env) return path.resolve(env);
  const packaged = fileURLToPath(new URL('../schemas/', import.meta.url));
  if (existsSync(packaged)) return packaged;
  return fileURLToPath(new URL('../../../schemas/', import.meta.url));
}

const SUFFIX = '.schema.json';

let kindCache: { dir: string; kinds: Map<string, string> } | undefined;

function scan(dir: string): Map<string, string> {
  const kinds = new Map<string, string>();
  const walk = (rel: string): void => {
    const abs = path.join(dir, rel);
    let names: string[];
    try {
      names = readdirSync(abs).sort();
    } catch (e) {
      if (rel === '') throw new KitError(`cannot read the schemas folder ${dir}: ${(e as Error).message}`);
      return;
    }
    for (const n of names) {
      const relN = rel ? `${rel}/${n}` : n;
      const absN = path.join(dir, relN);
      if (n.endsWith(SUFFIX) && statSync(absN).isFile()) kinds.set(relN.slice(0, -SUFFIX.length), absN);
      else if (!n.startsWith('.') && statSync(absN).isDirectory()) walk(relN);
    }
  };
  walk('');
  return kinds;
}

function kindMap(): Map<string, string> {
  const dir = schemasDir();
  if (!kindCache || kindCache.dir !== dir) kindCache = { dir, kinds: scan(dir) };
  return kindCache.kinds;
}

/** Every document kind: the schema paths under schemas/ without `.schema.json`, sorted. */
export function listKinds(): string[] {
  return [...kindMap().keys()].sort();
}

/** The file of a kind; KitError listing the kinds when there is no such kind. */
export function kindFile(kind: string): string {
  const f = kindMap().get(kind);
  if (!f) {
    throw new KitError(`unknown document kind "${kind}": use one of ${listKinds().join(', ')}`);
  }
  return f;
}

const docCache = new Map<string, { doc: Record<string, unknown>; hash: string }>();

function load(kind: string): { doc: Record<string, unknown>; hash: string } {
  const file = kindFile(kind);
  let entry = docCache.get(file);
  if (!entry) {
    try {
      const text = readFileSync(file, 'utf8');
      entry = { doc: JSON.parse(text) as Record<string, unknown>, hash: hashSchemaText(text) };
    } catch (e) {
      throw new KitError(`schema ${file} is not readable JSON: ${(e as Error).message}`);
    }
    docCache.set(file, entry);
  }
  return entry;
}

/** The fingerprint ahead-of-time validators are checked against (sha256 of the file's text). */
export function hashSchemaText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The parsed schema of a kind (shared object: do not modify it). */
export function loadSchema(kind: string): Record<string, unknown> {
  return load(kind).doc;
}

/** The fingerprint of a kind's schema file. */
export function schemaHash(kind: string): string {
  return load(kind).hash;
}

/** A deep copy of the schema of a kind, e.g. to print it or hand it to another tool. */
export function getSchema(kind: string): Record<string, unknown> {
  return structuredClone(loadSchema(kind));
}

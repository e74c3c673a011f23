import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KitError } from './errors.js';

/**
 * The schemas/ folder at the repository root (dist/ and src/ both sit two levels below the
 * package, which sits two levels below the root). BXK_SCHEMAS_DIR overrides it (tests, tools).
 */
export function schemasDir(): string {
  const env = process.env.BXK_SCHEMAS_DIR;
  if (env) return path.resolve(env);
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

const docCache = new Map<string, Record<string, unknown>>();

/** The parsed schema of a kind (shared object: do not modify it). */
export function loadSchema(kind: string): Record<string, unknown> {
  const file = kindFile(kind);
  let doc = docCache.get(file);
  if (!doc) {
    try {
      doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new KitError(`schema ${file} is not readable JSON: ${(e as Error).message}`);
    }
    docCache.set(file, doc);
  }
  return doc;
}

/** A deep copy of the schema of a kind, e.g. to print it or hand it to another tool. */
export function getSchema(kind: string): Record<string, unknown> {
  return structuredClone(loadSchema(kind));
}

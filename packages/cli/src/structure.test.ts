/**
 * The shape of the sources (issue 12): every module small enough to read in one sitting, and no
 * import cycle inside a package (a cycle makes load order matter and hides a missing seam).
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));
/** Lines a hand-written source file may have (generated code is exempt). */
export const MAX_LINES = 500;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.isFile() && /\.(ts|mts)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const packages = readdirSync(PACKAGES, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const files = packages.flatMap((p) => {
  try {
    return sources(path.join(PACKAGES, p, 'src'));
  } catch {
    return [];
  }
});

/** The package-local modules `file` imports (static `import`/`export ... from`, and `import()`), as source paths. */
export function localImports(file: string, text: string): string[] {
  const out = new Set<string>();
  const spec = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(spec)) {
    // type-only imports vanish at run time but still tie the modules: count them too
    const rel = (m[1] ?? m[2])!.replace(/\.js$/, '.ts');
    out.add(path.resolve(path.dirname(file), rel));
  }
  return [...out];
}

/** One import cycle among `graph`'s nodes, as a path that ends where it starts, or undefined. */
export function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (!graph.has(m)) continue;
      if (state.get(m) === 'open') return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of graph.keys()) {
    if (state.has(n)) continue;
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

describe('the shape of the sources', () => {
  it(`finds the sources of every package`, () => {
    expect(files.length).to.be.greaterThan(100);
  });

  it(`no hand-written source file is over ${MAX_LINES} lines`, () => {
    const long = files
      .filter((f) => !f.endsWith('.generated.ts'))
      .map((f) => [path.relative(PACKAGES, f), readFileSync(f, 'utf8').split('\n').length - 1] as const)
      .filter(([, n]) => n > MAX_LINES)
      .map(([f, n]) => `${f}: ${n} lines`);
    expect(long).to.deep.equal([]);
  });

  it('no import cycle inside a package', () => {
    const graph = new Map(files.map((f) => [f, localImports(f, readFileSync(f, 'utf8'))]));
    const cycle = findCycle(graph);
    expect(cycle?.map((f) => path.relative(PACKAGES, f)).join(' -> ')).to.equal(undefined);
  });

  it('the cycle finder sees a cycle and the import reader reads every form (self-check)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(findCycle(g)).to.deep.equal(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b']], ['b', []]]))).to.equal(undefined);
    const text = "import { x } from './x.js';\nimport type { Y } from '../y.js';\nexport { z } from './z.js';\nconst w = await import('./w.js');\nimport fs from 'node:fs';\n";
    expect(localImports('/p/src/f.ts', text).sort()).to.deep.equal(['/p/src/w.ts', '/p/src/x.ts', '/p/y.ts', '/p/src/z.ts'].sort());
  });
});

/**
 * conformanceSuite: the conformance run as mocha tests, so a hoster can run it inside its own
 * test suite (as csi-sanity can be called from Go tests). One `it` per rule; skipped rules are
 * pending; a failed rule throws with its findings, what the host does and the fix.
 *
 *   import { conformanceSuite } from '@bx-provider-kit/conformance';
 *   conformanceSuite('./my-hoster', { allowOrder: true });
 */
import { RULES, matchRules } from '@bx-provider-kit/schemas';
import type { Report } from './report.js';
import { runConformance, type RunOptions } from './runner.js';

export interface SuiteOptions extends RunOptions {
  /** The describe() title (default: `bx-provider-kit conformance: TARGET`). */
  title?: string;
  /** Turn warnings into failures (default false: a warned rule passes, with the warning in its title). */
  strictWarnings?: boolean;
  /** The mocha timeout of the run itself (default 10 minutes). */
  timeoutMs?: number;
}

interface MochaCtx {
  timeout(ms: number): void;
  skip(): never;
}
type Fn = (this: MochaCtx) => void | Promise<void>;
interface MochaGlobals {
  describe(title: string, fn: () => void): void;
  it(title: string, fn: Fn): void;
  before(fn: Fn): void;
}

/** Registers a describe() block with one test per rule. Call it at the top level of a mocha spec file. */
export function conformanceSuite(target: string, options: SuiteOptions = {}): void {
  const g = globalThis as unknown as Partial<MochaGlobals>;
  if (typeof g.describe !== 'function' || typeof g.it !== 'function' || typeof g.before !== 'function') {
    throw new Error('conformanceSuite() must be called from a mocha spec file (describe/it/before are not defined)');
  }
  const { describe, it, before } = g as MochaGlobals;
  const ids = options.only?.length ? [...new Set(options.only.flatMap((s) => matchRules(s).map((r) => r.id)))] : RULES.map((r) => r.id);
  const ordered = RULES.filter((r) => ids.includes(r.id));
  describe(options.title ?? `bx-provider-kit conformance: ${target}`, () => {
    let report: Report | undefined;
    let failure: Error | undefined;
    before(async function () {
      this.timeout(options.timeoutMs ?? 600_000);
      try {
        report = await runConformance(target, options);
      } catch (e) {
        failure = e as Error;
      }
    });
    for (const def of ordered) {
      it(`${def.id}: ${def.title}`, function () {
        if (failure) throw failure;
        const r = report?.rules.find((x) => x.id === def.id);
        if (!r || r.status === 'skipped') this.skip();
        if (r!.status === 'failed' || (r!.status === 'warned' && options.strictWarnings)) {
          const lines = r!.findings.map((f) => `${f.severity}: ${f.message}${f.excerpt ? `\n    | ${f.excerpt.split('\n').join('\n    | ')}` : ''}`);
          throw new Error(`${def.id} ${r!.status}: ${r!.message}\n${lines.join('\n')}\nhost: ${def.host}\nfix: ${def.fix}`);
        }
      });
    }
  });
}

import type { CommandModule } from 'yargs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { KitError } from '../errors.js';
import { numberArg } from '../args.js';
import type { ReporterName } from '@bx-provider-kit/conformance';
import { paint, useColor } from '../tty.js';

interface Args {
  target?: string;
  config?: string;
  reporter?: string[];
  output?: string;
  'allow-order'?: boolean;
  only?: string[];
  skip?: string[];
  timeout?: string;
  parallel?: string;
  name?: string;
  bail?: boolean;
  force?: boolean;
  quiet?: boolean;
}

/** The reporters (kept here too, so `test --help` and completion need not load the runner). */
export const REPORTERS = ['text', 'json', 'junit', 'tap', 'github', 'gitlab'] as const;
type Reporter = (typeof REPORTERS)[number];
const CHOOSE = 'choose text, json, junit, tap, github or gitlab (NAME:FILE writes that report to FILE)';

export interface ReporterSpec {
  name: Reporter;
  /** undefined: stdout. */
  file?: string;
}

/**
 * `--reporter NAME[:FILE]`, repeatable, and `--output FILE` for the one reporter without a
 * file. At most one report on stdout besides github's workflow commands (GitHub reads those
 * from the log, between the lines of a text report).
 */
export function parseReporters(values: string[], output: string | undefined): ReporterSpec[] {
  const specs: ReporterSpec[] = values.map((v) => {
    const i = v.indexOf(':');
    const name = (i < 0 ? v : v.slice(0, i)).trim();
    const file = i < 0 ? undefined : v.slice(i + 1);
    if (!(REPORTERS as readonly string[]).includes(name)) throw new KitError(`--reporter ${v}: ${CHOOSE}`);
    if (file === '') throw new KitError(`--reporter ${v}: name the file after the colon, e.g. --reporter ${name}:report.${name === 'junit' ? 'xml' : name === 'tap' ? 'tap' : name === 'text' ? 'txt' : 'json'}`);
    return { name: name as Reporter, file };
  });
  if (output !== undefined) {
    // -o is the output FORMAT in `host` (-o json): here it is a FILE, so a format name is a slip.
    if ((REPORTERS as readonly string[]).includes(output) || ['plain', 'txt', 'xml'].includes(output)) {
      throw new KitError(`--output ${output}: -o/--output names the report FILE here; for the format use --reporter ${(REPORTERS as readonly string[]).includes(output) ? output : 'text'} (or --reporter NAME:FILE)`);
    }
    const open = specs.filter((x) => x.file === undefined);
    if (open.length !== 1) {
      throw new KitError(
        open.length
          ? `--output ${output}: ${open.length} reporters have no file; give each its own with --reporter NAME:FILE`
          : `--output ${output}: every --reporter already names its file`,
      );
    }
    open[0]!.file = output;
  }
  const onStdout = specs.filter((x) => x.file === undefined && x.name !== 'github');
  if (onStdout.length > 1) {
    throw new KitError(`--reporter ${onStdout.map((x) => x.name).join(' and ')} would both print on stdout: give all but one a file (--reporter ${onStdout[1]!.name}:FILE)`);
  }
  const seen = new Map<string, string>();
  for (const x of specs) {
    if (x.file === undefined) continue;
    const abs = path.resolve(x.file);
    if (seen.has(abs)) throw new KitError(`--reporter ${seen.get(abs)} and ${x.name} both write ${x.file}: give each its own file`);
    seen.set(abs, x.name);
  }
  return specs;
}

/** --timeout S: a number of seconds, checked here so "abc" is named as given (yargs would make it NaN). */
export function parseTimeout(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = String(raw).trim();
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= 0.1 && n <= 600)) throw new KitError(`--timeout ${raw}: give the hard budget per call in seconds, a number between 0.1 and 600 (e.g. --timeout 10)`);
  return n;
}

/** --parallel as given: how many calls the CONC-* probes make at once. */
export function parseParallel(raw: string | undefined): number | undefined {
  return numberArg('parallel', raw, { min: 2, max: 32, whole: true, what: 'how many calls the CONC-* probes make at once' });
}

/** Is this existing file a report this command wrote (so a re-run may replace it)? */
async function ownReport(file: string): Promise<boolean> {
  let head = '';
  try {
    const fh = await fs.open(file, 'r');
    try {
      const buf = Buffer.alloc(4096);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
  return (
    head.includes('bx-provider-kit conformance') || // junit
    /"tool":\s*"bx-provider-kit"/.test(head) || // json
    head.startsWith('bx-provider-kit test:') || // text
    (/^TAP version 1[34]\n/.test(head) && head.includes(': ')) || // tap
    /^\[\s*(\]|\{\s*"description")/.test(head) || // gitlab code quality
    /^::(error|warning|notice) /.test(head) // github
  );
}

/**
 * Progress without a terminal (CI logs): one line per phase on stderr, with the time since the
 * start; the runner's events are mapped to phases (archive, calls, lifecycle, host round trip).
 */
export function phaseLogger(write: (s: string) => void, now: () => number = () => performance.now()) {
  const t0 = now();
  let phase = '';
  let calls = 0;
  const stamp = () => `${((now() - t0) / 1000).toFixed(1)} s`;
  const enter = (name: string, text: string) => {
    if (name === phase) return;
    phase = name;
    write(`bx-provider-kit test: ${stamp().padStart(7)}  ${text}\n`);
  };
  return {
    event(line: string) {
      const l = line.trim();
      if (l.startsWith('verifying ')) enter('archive', `archive: ${l}`);
      else if (l.startsWith('testing ')) enter('calls', `plugin calls: ${l}`);
      else if (l.startsWith('lifecycle:')) enter('lifecycle', l);
      else if (l.startsWith('host ')) enter('host', 'host round trip: bx-provider emulator');
      else if (l.startsWith('--bail')) enter('bail', l);
      else calls++;
    },
    done(summary: string) {
      write(`bx-provider-kit test: ${stamp().padStart(7)}  done (${calls} plugin call${calls === 1 ? '' : 's'}): ${summary}\n`);
    },
  };
}

export const testCommand: CommandModule<object, Args> = {
  command: 'test <target>',
  describe: 'Run a plugin as the host does and check every rule (folder, .tar.gz/.zip archive or executable)',
  builder: (y) =>
    y
      .positional('target', { type: 'string', describe: 'A plugin folder (bin/NAME inside), an archive (.tar.gz, .zip) or an executable' })
      .option('config', { type: 'string', describe: 'A conformance.json to use instead of the one in the plugin folder' })
      .option('reporter', {
        alias: 'r',
        type: 'string',
        array: true,
        defaultDescription: 'text',
        requiresArg: true,
        describe: 'Report format: text, json, junit, tap, github (workflow commands; + job summary) or gitlab (Code Quality); NAME:FILE writes it to FILE; repeat for several',
      })
      .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'Write the report to FILE instead of stdout (a summary line still goes to stderr); the format is --reporter' })
      .option('allow-order', { type: 'boolean', describe: 'Place orders (ORD-*, STAT-*, LIFE-*, HOST-ORDER*; CONC-* place --parallel more, API-* one): ordering may cost money' })
      .option('only', { type: 'string', array: true, describe: 'Judge only these rules (ids or prefixes: OUT, HELP-STATUS, ARCH-)' })
      .option('skip', { type: 'string', array: true, describe: 'Report these rules as skipped (ids or prefixes)' })
      .option('parallel', { type: 'string', requiresArg: true, describe: 'Calls (and, with --allow-order, orders) made at once by the CONC-* probes, 2 to 32 (default 4)' })
      // a string, not a number: yargs would turn --timeout abc into NaN; parseTimeout names the value as given
      .option('timeout', { type: 'string', requiresArg: true, describe: 'Hard budget per plugin call in seconds, 0.1 to 600 (default 10; RUN-TIMEOUT)' })
      .option('name', { type: 'string', describe: 'The provider NAME (default: provider.json, bin/, or the archive name)' })
      .option('bail', { type: 'boolean', describe: 'Stop after the first phase with a failed rule' })
      .option('force', { type: 'boolean', describe: 'Let --output replace a file that is not an earlier report' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'No progress on stderr (live on a terminal, one line per phase otherwise)' })
      .example('$0 test ./my-hoster', 'Every rule that needs no order, text report')
      .example('$0 test ./my-hoster --allow-order', 'Also order, poll until finished, and run the host round trip')
      .example('$0 test my-hoster-v1.2.0.tar.gz --allow-order --config my-hoster/conformance.json', 'Verify the archive, install it into an emulated host and test the installed copy')
      .example('$0 test ./my-hoster --reporter junit --output report.xml', 'JUnit XML for GitLab/GitHub test reports')
      .example('$0 test ./my-hoster -r text -r junit:report.xml -r gitlab:gl-code-quality.json', 'The log for people, the files for CI, in one run')
      .example('$0 test ./my-hoster --reporter github --reporter text', 'In GitHub Actions: annotations on the files, a job summary, and the text log')
      .example('$0 test ./my-hoster --only OUT HELP --reporter tap', 'Only the output and help rules, as TAP 14')
      .example('$0 test ./my-hoster --allow-order --skip API CONC', 'Without the API fault and concurrency probes (a quicker run)')
      .epilogue(
        'Exit 0 when no rule failed, 1 when one did, 2 for bad usage or an unreadable target. Settings come from conformance.json in the plugin folder ' +
          '(configId, allowOrder, env, callTimeoutMs, slowMs, lifecycleTimeoutMs, pollIntervalMs, skip); flags override them. ' +
          'An archive does not ship conformance.json: give it with --config (else the defaults apply, ordering off). ' +
          'Every call runs as argv with an empty closed stdin, a fresh empty cwd and sudo\'s minimal environment; a call over the budget is killed with its whole process group. ' +
          'The github reporter prints ::error/::warning workflow commands and, when GITHUB_STEP_SUMMARY is set, appends a Markdown summary to that file.',
      ),
  handler: async (argv) => {
    const target = argv.target;
    if (!target) throw new KitError('name the plugin to test: bx-provider-kit test DIR|ARCHIVE|EXECUTABLE');
    if (Array.isArray(argv.reporter) && argv.reporter.length === 0) throw new KitError(`--reporter needs a format: ${CHOOSE}`);
    const specs = parseReporters(argv.reporter?.length ? argv.reporter.map(String) : ['text'], argv.output);
    const timeout = parseTimeout(argv.timeout);
    const parallel = parseParallel(argv.parallel);
    for (const x of specs) {
      if (x.file === undefined) continue;
      const flag = argv.output === x.file ? '--output' : `--reporter ${x.name}:`;
      const out = path.resolve(x.file);
      const st = await fs.stat(out).catch(() => null);
      if (st?.isDirectory()) throw new KitError(`${flag} ${x.file} is a folder: name a file such as report.xml`);
      if (st && !argv.force && !(await ownReport(out))) {
        throw new KitError(`${flag} ${x.file} exists and is not an earlier report: pass --force to replace it`);
      }
      await fs.access(path.dirname(out)).catch(() => {
        throw new KitError(`${flag} ${x.file}: the folder ${path.dirname(out)} does not exist`);
      });
    }
    // The runner is loaded when the command runs, so other commands start fast.
    const { runConformance, reporters, renderGithubSummary, summaryLine } = await import('@bx-provider-kit/conformance');
    const live = !argv.quiet && Boolean(process.stderr.isTTY);
    const phases = !argv.quiet && !live ? phaseLogger((s) => process.stderr.write(s)) : undefined;
    const color = useColor(process.stderr);
    let lastLen = 0;
    const onProgress = live
      ? (line: string) => {
          const cols = process.stderr.columns || 100;
          const text = line.length > cols - 1 ? `${line.slice(0, cols - 2)}…` : line;
          process.stderr.write(`\r${' '.repeat(lastLen)}\r${paint.dim(color, text)}`);
          lastLen = text.length;
        }
      : phases
        ? (line: string) => phases.event(line)
        : undefined;
    let report;
    try {
      report = await runConformance(target, {
        name: argv.name,
        configFile: argv.config,
        allowOrder: argv['allow-order'],
        callTimeoutMs: timeout !== undefined ? Math.round(timeout * 1000) : undefined,
        only: argv.only,
        skip: argv.skip,
        ...(parallel !== undefined ? { parallel } : {}),
        bail: argv.bail,
        onProgress,
      });
    } finally {
      if (live && lastLen) process.stderr.write(`\r${' '.repeat(lastLen)}\r`);
    }
    phases?.done(summaryLine(report));
    const configText = report.settings.configFile ? await fs.readFile(report.settings.configFile, 'utf8').catch(() => undefined) : undefined;
    const written: string[] = [];
    for (const x of specs) {
      const text = reporters[x.name as ReporterName](report, {
        color: x.name === 'text' && x.file === undefined && useColor(process.stdout),
        paint,
        cwd: process.cwd(),
        configText,
      });
      if (x.file !== undefined) {
        await fs.writeFile(path.resolve(x.file), text);
        written.push(`${x.name} report written to ${x.file}`);
      } else {
        process.stdout.write(text);
      }
      const summaryFile = process.env.GITHUB_STEP_SUMMARY;
      if (x.name === 'github' && summaryFile) {
        await fs.appendFile(summaryFile, renderGithubSummary(report)).catch((e: NodeJS.ErrnoException) => {
          process.stderr.write(`bx-provider-kit: could not append the job summary to GITHUB_STEP_SUMMARY (${summaryFile}): ${e.code ?? e.message}\n`);
        });
      }
    }
    if (written.length) process.stderr.write(`${written.join(', ')}: ${summaryLine(report)}\n`);
    process.exitCode = report.ok ? 0 : 1;
  },
};

import type { CommandModule } from 'yargs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { KitError } from '@bx-provider-kit/schemas';
import type { ReporterName } from '@bx-provider-kit/conformance';
import { paint, useColor } from '../tty.js';

interface Args {
  target?: string;
  config?: string;
  reporter: string;
  output?: string;
  'allow-order'?: boolean;
  only?: string[];
  skip?: string[];
  timeout?: number;
  parallel?: number;
  name?: string;
  bail?: boolean;
  force?: boolean;
  quiet?: boolean;
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
    (head.startsWith('TAP version 13') && head.includes(': '))
  );
}

export const testCommand: CommandModule<object, Args> = {
  command: 'test <target>',
  describe: 'Run a plugin as the host does and check every rule (folder, .tar.gz/.zip archive or executable)',
  builder: (y) =>
    y
      .positional('target', { type: 'string', describe: 'A plugin folder (bin/NAME inside), an archive (.tar.gz, .zip) or an executable' })
      .option('config', { type: 'string', describe: 'A conformance.json to use instead of the one in the plugin folder' })
      .option('reporter', { alias: 'r', type: 'string', default: 'text', describe: 'Report format: text, json, junit or tap' })
      .option('output', { alias: 'o', type: 'string', describe: 'Write the report to FILE instead of stdout (a summary line still goes to stderr)' })
      .option('allow-order', { type: 'boolean', describe: 'Place orders (ORD-*, STAT-*, LIFE-*, HOST-ORDER*; CONC-* place --parallel more, API-* one): ordering may cost money' })
      .option('only', { type: 'string', array: true, describe: 'Judge only these rules (ids or prefixes: OUT, HELP-STATUS, ARCH-)' })
      .option('skip', { type: 'string', array: true, describe: 'Report these rules as skipped (ids or prefixes)' })
      .option('parallel', { type: 'number', describe: 'Calls (and, with --allow-order, orders) made at once by the CONC-* probes (default 4)' })
      .option('timeout', { type: 'number', describe: 'Hard budget per plugin call in seconds (default 10; RUN-TIMEOUT)' })
      .option('name', { type: 'string', describe: 'The provider NAME (default: provider.json, bin/, or the archive name)' })
      .option('bail', { type: 'boolean', describe: 'Stop after the first phase with a failed rule' })
      .option('force', { type: 'boolean', describe: 'Let --output replace a file that is not an earlier report' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'No live progress on stderr' })
      .example('$0 test ./my-hoster', 'Every rule that needs no order, text report')
      .example('$0 test ./my-hoster --allow-order', 'Also order, poll until finished, and run the host round trip')
      .example('$0 test my-hoster-v1.2.0.tar.gz --allow-order --config my-hoster/conformance.json', 'Verify the archive, install it into an emulated host and test the installed copy')
      .example('$0 test ./my-hoster --reporter junit --output report.xml', 'JUnit XML for GitLab/GitHub test reports')
      .example('$0 test ./my-hoster --only OUT HELP --reporter tap', 'Only the output and help rules, as TAP')
      .example('$0 test ./my-hoster --allow-order --skip API CONC', 'Without the API fault and concurrency probes (a quicker run)')
      .epilogue(
        'Exit 0 when no rule failed, 1 when one did, 2 for bad usage or an unreadable target. Settings come from conformance.json in the plugin folder ' +
          '(configId, allowOrder, env, callTimeoutMs, slowMs, lifecycleTimeoutMs, pollIntervalMs, skip); flags override them. ' +
          'An archive does not ship conformance.json: give it with --config (else the defaults apply, ordering off). ' +
          'Every call runs as argv with an empty closed stdin, a fresh empty cwd and sudo\'s minimal environment; a call over the budget is killed with its whole process group.',
      ),
  handler: async (argv) => {
    const target = argv.target;
    if (!target) throw new KitError('name the plugin to test: bx-provider-kit test DIR|ARCHIVE|EXECUTABLE');
    // The runner is loaded when the command runs, so other commands start fast.
    const { runConformance, reporters } = await import('@bx-provider-kit/conformance');
    if (!(argv.reporter in reporters)) throw new KitError(`--reporter ${argv.reporter}: choose text, json, junit or tap`);
    if (argv.parallel !== undefined && (!Number.isInteger(argv.parallel) || argv.parallel < 2 || argv.parallel > 32)) {
      throw new KitError(`--parallel ${argv.parallel}: give how many calls the CONC-* probes make at once, a whole number from 2 to 32`);
    }
    if (argv.timeout !== undefined && (!Number.isFinite(argv.timeout) || argv.timeout < 0.1 || argv.timeout > 600)) {
      throw new KitError(`--timeout ${argv.timeout}: give the hard budget per call in seconds, between 0.1 and 600`);
    }
    if (argv.output) {
      const out = path.resolve(argv.output);
      const st = await fs.stat(out).catch(() => null);
      if (st?.isDirectory()) throw new KitError(`--output ${argv.output} is a folder: name a file such as report.xml`);
      if (st && !argv.force && !(await ownReport(out))) {
        throw new KitError(`--output ${argv.output} exists and is not an earlier report: pass --force to replace it`);
      }
      await fs.access(path.dirname(out)).catch(() => {
        throw new KitError(`--output ${argv.output}: the folder ${path.dirname(out)} does not exist`);
      });
    }
    const live = !argv.quiet && Boolean(process.stderr.isTTY);
    const color = useColor(process.stderr);
    let lastLen = 0;
    const onProgress = live
      ? (line: string) => {
          const cols = process.stderr.columns || 100;
          const text = line.length > cols - 1 ? `${line.slice(0, cols - 2)}…` : line;
          process.stderr.write(`\r${' '.repeat(lastLen)}\r${paint.dim(color, text)}`);
          lastLen = text.length;
        }
      : undefined;
    let report;
    try {
      report = await runConformance(target, {
        name: argv.name,
        configFile: argv.config,
        allowOrder: argv['allow-order'],
        callTimeoutMs: argv.timeout !== undefined ? Math.round(argv.timeout * 1000) : undefined,
        only: argv.only,
        skip: argv.skip,
        ...(argv.parallel !== undefined ? { parallel: argv.parallel } : {}),
        bail: argv.bail,
        onProgress,
      });
    } finally {
      if (live && lastLen) process.stderr.write(`\r${' '.repeat(lastLen)}\r`);
    }
    const toFile = Boolean(argv.output);
    const text = reporters[argv.reporter as ReporterName](report, {
      color: argv.reporter === 'text' && !toFile && useColor(process.stdout),
      paint,
    });
    if (toFile) {
      await fs.writeFile(path.resolve(argv.output!), text);
      const s = report.summary;
      process.stderr.write(`${argv.reporter} report written to ${argv.output}: ${s.passed} passed, ${s.failed} failed, ${s.warned} warned, ${s.skipped} skipped\n`);
    } else {
      process.stdout.write(text);
    }
    process.exitCode = report.ok ? 0 : 1;
  },
};

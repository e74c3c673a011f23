import type { CommandModule } from 'yargs';
import path from 'node:path';
import { KitError } from '../errors.js';
import type { Finding } from '@bx-provider-kit/packer';
import { paint, useColor } from '../tty.js';

interface Args {
  archive: string;
  name?: string;
  json?: boolean;
  'max-entries'?: string;
  'max-bytes'?: string;
}

/** Findings as text: one line each (severity, rule, entry, message), then the fix indented. */
export function formatFindings(findings: Finding[], color: boolean): string {
  const ruleW = Math.max(0, ...findings.map((f) => f.rule.length));
  let out = '';
  for (const f of findings) {
    const sev = f.severity === 'error' ? paint.red(color, 'error  ') : paint.yellow(color, 'warning');
    const entry = f.entry !== undefined ? `${paint.bold(color, f.entry)}: ` : '';
    out += `  ${sev} ${f.rule.padEnd(ruleW)}  ${entry}${f.message}\n`;
    out += `  ${' '.repeat(7)} ${' '.repeat(ruleW)}  ${paint.dim(color, `fix: ${f.fix}`)}\n`;
  }
  return out;
}

export function countLine(findings: Finding[]): string {
  const e = findings.filter((f) => f.severity === 'error').length;
  const w = findings.length - e;
  return `${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}`;
}

const positiveInt = (flag: string) => (v: unknown): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new KitError(`--${flag} must be a whole number >= 1 (got ${JSON.stringify(v)})`);
  return n;
};

export const verifyCommand: CommandModule<object, Args> = {
  command: 'verify <archive>',
  describe: 'Judge a plugin archive (.tar.gz or .zip) the way bx-provider -a install will treat it',
  builder: (y) =>
    y
      .positional('archive', { type: 'string', demandOption: true, describe: 'The archive file (made by pack or by anything else)' })
      .option('name', { type: 'string', describe: 'The provider NAME it will be installed as (--provider); default: from provider.json, bin/ or the file name' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the verifyArchive result as JSON' })
      .option('max-entries', { type: 'string', describe: 'Stop reading after this many entries (default 10000)' })
      .option('max-bytes', { type: 'string', describe: 'Stop reading after this many uncompressed bytes (default 268435456 = 256 MiB)' })
      .example('$0 verify dist/my-hoster-v1.2.0.tar.gz', 'Check an archive before shipping it')
      .example('$0 verify plugin.zip --name my-hoster', 'Check it will install as --provider my-hoster')
      .example('$0 verify x.tar.gz --json | jq .findings', 'Findings for a script')
      .epilogue('Exit codes: 0 the host can install it (warnings allowed), 1 errors found, 2 the file cannot be read.'),
  handler: async (argv) => {
    const file = argv.archive;
    const opts: { name?: string; maxEntries?: number; maxBytes?: number } = {};
    if (argv.name !== undefined) opts.name = argv.name;
    if (argv['max-entries'] !== undefined) opts.maxEntries = positiveInt('max-entries')(argv['max-entries']);
    if (argv['max-bytes'] !== undefined) opts.maxBytes = positiveInt('max-bytes')(argv['max-bytes']);
    const { verifyArchive } = await import('@bx-provider-kit/packer');
    const res = await verifyArchive(file, opts);
    // not an archive at all (empty, or no known container): the file cannot be read as one
    if (res.format === 'unknown' && (res.detected === 'empty' || res.detected === 'unknown')) {
      throw new KitError(`cannot read ${file} as an archive: ${res.detected === 'empty' ? 'the file is empty' : 'it is neither gzip-compressed tar nor zip (unknown content)'}`);
    }
    if (argv.json) {
      process.stdout.write(JSON.stringify(res, null, 2) + '\n');
    } else {
      const color = useColor(process.stdout);
      const what = [res.format === 'unknown' ? `${res.detected === 'tar' ? 'uncompressed tar' : `${res.detected} data`}, not what the host unpacks` : res.format, `${res.entries.length} entr${res.entries.length === 1 ? 'y' : 'ies'}`];
      if (res.name) what.push(`provider ${res.name}`);
      let out = `${path.relative(process.cwd(), file) || file}: ${what.join(', ')}\n`;
      out += formatFindings(res.findings, color);
      for (const n of res.notes) out += `  ${paint.dim(color, `note: ${n}`)}\n`;
      out += res.ok
        ? `${paint.green(color, 'ok')}: the host can install it${res.findings.length ? ` (${countLine(res.findings)})` : ''}\n`
        : `${paint.red(color, 'not installable')}: ${countLine(res.findings)}\n`;
      process.stdout.write(out);
    }
    if (!res.ok) process.exitCode = 1;
  },
};

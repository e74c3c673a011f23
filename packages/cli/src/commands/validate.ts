import type { CommandModule } from 'yargs';
import { readFileSync } from 'node:fs';
import { KitError, getSchema, readPluginStdout, validate, type Problem } from '@bx-provider-kit/schemas';
import { paint, useColor } from '../tty.js';

interface Args {
  kind: string;
  file?: string;
  json?: boolean;
}

function readInput(file: string | undefined): { bytes: Buffer; source: string } {
  if (file === undefined || file === '-' || file === '') {
    if (process.stdin.isTTY) {
      throw new KitError('no document: name a FILE, or pipe the document into stdin (e.g. bin/NAME configs | bx-provider-kit validate plugin/configs -)');
    }
    try {
      return { bytes: readFileSync(0), source: 'stdin' };
    } catch (e) {
      throw new KitError(`cannot read stdin: ${(e as Error).message}`);
    }
  }
  try {
    return { bytes: readFileSync(file), source: file };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a folder' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new KitError(`cannot read ${file}: ${why}`);
  }
}

function parseDocument(bytes: Buffer, source: string): unknown {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // files written by editors: a BOM is harmless here
  if (text.trim() === '') throw new KitError(`${source} is empty: expected a JSON document`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new KitError(`${source} is not JSON: ${(e as Error).message}`);
  }
}

export const validateCommand: CommandModule<object, Args> = {
  command: 'validate <kind> [file]',
  describe: 'Check a document (a plugin answer, a host answer, conformance.json, ...) against its schema',
  builder: (y) =>
    y
      .positional('kind', { type: 'string', demandOption: true, describe: 'Document kind, e.g. plugin/order_status or host/orders_list (list them: bx-provider-kit schema)' })
      .positional('file', { type: 'string', describe: 'The document; - or nothing reads stdin' })
      .option('json', { type: 'boolean', describe: 'Print {"ok", "problems": [{rule, path, message}]} as JSON' })
      .example('./my-hoster/bin/my-hoster order_status 24 | $0 validate plugin/order_status -', "Check a plugin's answer as the host reads it")
      .example('$0 validate plugin/configs configs.json', 'Check a saved answer')
      .example('$0 validate host/orders_list out.json --json', 'Problems as JSON, for scripts')
      .epilogue(
        'plugin/* kinds read the raw bytes the way the host does (empty output, a BOM, a log line or two documents are reported as OUT-* problems). ' +
          'Exit codes: 0 valid, 1 problems found (one line each: PATH: what is wrong (RULE)), 2 bad usage, unreadable input, or input that is not JSON for other kinds.',
      ),
  handler: (argv) => {
    getSchema(argv.kind); // unknown kind: KitError listing the kinds, before reading stdin
    const { bytes, source } = readInput(argv.file);
    let problems: Problem[];
    if (argv.kind.startsWith('plugin/')) {
      const out = readPluginStdout(bytes);
      problems = out.ok ? validate(argv.kind, out.value).problems : [{ rule: out.rule, path: '', message: `${source}: ${out.message}` }];
    } else {
      problems = validate(argv.kind, parseDocument(bytes, source)).problems;
    }
    const ok = problems.length === 0;
    if (argv.json) {
      process.stdout.write(`${JSON.stringify({ ok, kind: argv.kind, source, problems }, null, 2)}\n`);
    } else if (ok) {
      const color = useColor(process.stdout);
      process.stdout.write(`${paint.green(color, 'ok')}: ${source} is a valid ${argv.kind}\n`);
    } else {
      const color = useColor(process.stdout);
      for (const p of problems) {
        const m = p.message.endsWith(`(${p.rule})`) ? `${p.message.slice(0, -(p.rule.length + 2))}(${paint.red(color, p.rule)})` : p.message;
        process.stdout.write(`${m}\n`);
      }
      process.stderr.write(`${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'} as ${argv.kind}\n`);
    }
    process.exitCode = ok ? 0 : 1;
  },
};

import type { CommandModule } from 'yargs';
import { closeSync, constants as fsConstants, createReadStream, openSync, promises as fs, readSync, type Stats } from 'node:fs';
import type { Problem } from '@bx-provider-kit/schemas';
import { KitError } from '../errors.js';
import { paint, useColor } from '../tty.js';

interface Args {
  kind: string;
  file?: string;
  json?: boolean;
}

/** The largest document read (a plugin answer is under 1 MiB, a report a few MiB): more is bad input, not a document. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

/** Reads a stream to its end, up to `max` bytes: a slow producer is waited for, an endless one is cut. */
function readBounded(stream: NodeJS.ReadableStream & { destroy?: () => void }, source: string, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: Error) => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (c: Buffer | string) => {
      const b = typeof c === 'string' ? Buffer.from(c) : c;
      size += b.length;
      if (size > max) {
        stream.destroy?.();
        done(new KitError(`${source} is larger than ${max / 1024 / 1024} MiB: that is not a document this command checks`));
        return;
      }
      chunks.push(b);
    };
    const onEnd = () => done();
    const onError = (e: NodeJS.ErrnoException) => done(new KitError(`cannot read ${source}: ${e.code ?? e.message}`));
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}

/**
 * A FIFO (or /dev/fd/N of a pipe) given as FILE. Opened O_NONBLOCK, so opening never waits for
 * a writer; read(2) then says EAGAIN while a writer is connected but quiet (wait and retry) and
 * 0 once no writer is left (the end). A FIFO nobody writes to ends at once instead of hanging.
 */
async function readFifo(file: string, max: number): Promise<Buffer> {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (e) {
    throw new KitError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let waited = false;
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(65536);
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code !== 'EAGAIN' && err.code !== 'EWOULDBLOCK') throw new KitError(`cannot read ${file}: ${err.code ?? err.message}`);
        waited = true;
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      if (n === 0) break;
      size += n;
      if (size > max) throw new KitError(`${file} is larger than ${max / 1024 / 1024} MiB: that is not a document this command checks`);
      chunks.push(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  if (size === 0 && !waited) throw new KitError(`${file} is a FIFO with no process writing to it: start the producer first, or pipe it into stdin (... | bx-provider-kit validate KIND -)`);
  return Buffer.concat(chunks, size);
}

function kindOf(st: Stats): string {
  return st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a regular file';
}

/** The document: stdin (- or nothing), a regular file, or a pipe (a FIFO, /dev/fd/N); bounded in size, never hanging on a FIFO without a writer. */
export async function readInput(file: string | undefined, max = MAX_DOCUMENT_BYTES): Promise<{ bytes: Buffer; source: string }> {
  if (file === undefined || file === '-' || file === '') {
    if (process.stdin.isTTY) {
      throw new KitError('no document: name a FILE, or pipe the document into stdin (e.g. bin/NAME configs | bx-provider-kit validate plugin/configs -)');
    }
    // A stream, not readFileSync(0): a pipe whose producer is still running gives EAGAIN to a sync read.
    return { bytes: await readBounded(process.stdin, 'stdin', max), source: 'stdin' };
  }
  let st: Stats;
  try {
    st = await fs.stat(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.code === 'ENOTDIR' ? 'a part of the path is not a folder' : err.code ?? err.message;
    throw new KitError(`cannot read ${file}: ${why}`);
  }
  if (st.isDirectory()) throw new KitError(`cannot read ${file}: it is a folder`);
  if (st.isFIFO()) return { bytes: await readFifo(file, max), source: file };
  if (!st.isFile()) throw new KitError(`cannot read ${file}: it is ${kindOf(st)}; give a file, a pipe, or - for stdin`);
  if (st.size > max) throw new KitError(`${file} is larger than ${max / 1024 / 1024} MiB (${st.size} bytes): that is not a document this command checks`);
  try {
    // Bounded even when the size lied (/proc files say 0).
    return { bytes: await readBounded(createReadStream(file), file, max), source: file };
  } catch (e) {
    if (e instanceof KitError) throw e;
    throw new KitError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** JSON.parse's complaint in one line, with the line and column when it names a position. */
export function jsonProblem(e: Error, text: string): string {
  let m = e.message;
  // Node 20: `Unexpected token 'o', "nope\n" is not valid JSON` quotes the input, newlines and all.
  m = m.replace(/, "[\s\S]*" is not valid JSON$/, '');
  const pos = /\s+(?:in JSON\s+)?at position (\d+)(?: \(line \d+ column \d+\))?/.exec(m);
  if (pos) {
    const at = Number(pos[1]);
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const col = at - before.lastIndexOf('\n');
    m = `${m.slice(0, pos.index)} at line ${line}, column ${col}`;
  }
  m = m.replace(/\s+/g, ' ').trim();
  if (m.length > 200) m = `${m.slice(0, 199)}…`;
  return m.charAt(0).toLowerCase() + m.slice(1);
}

function parseDocument(bytes: Buffer, source: string): unknown {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // files written by editors: a BOM is harmless here
  if (text.trim() === '') throw new KitError(`${source} is empty: expected a JSON document`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new KitError(`${source} is not JSON: ${jsonProblem(e as Error, text)}`);
  }
}

export const validateCommand: CommandModule<object, Args> = {
  command: 'validate <kind> [file]',
  describe: 'Check a document (a plugin answer, a host answer, conformance.json, ...) against its schema',
  builder: (y) =>
    y
      .positional('kind', { type: 'string', demandOption: true, describe: 'Document kind, e.g. plugin/order_status or host/orders_list (list them: bx-provider-kit schema)' })
      .positional('file', { type: 'string', describe: 'The document; - or nothing reads stdin' })
      .option('json', { type: 'boolean', describe: 'Print {"ok", "kind", "source", "problems": [{rule, severity, path, message}]} as JSON' })
      .example('./my-hoster/bin/my-hoster order_status 24 | $0 validate plugin/order_status -', "Check a plugin's answer as the host reads it")
      .example('$0 validate plugin/configs configs.json', 'Check a saved answer')
      .example('$0 validate host/orders_list out.json --json', 'Problems as JSON, for scripts')
      .epilogue(
        'plugin/* kinds read the raw bytes the way the host does (empty output, a BOM, a log line or two documents are reported as OUT-* problems). ' +
          'stdin is read to its end however slowly the producer writes; a FILE must be a regular file or a pipe; a document over 16 MiB is refused. ' +
          'Exit codes: 0 valid, 1 problems found (one line each: PATH: what is wrong (RULE)), 2 bad usage, unreadable input, or input that is not JSON for other kinds.',
      ),
  handler: async (argv) => {
    const { getSchema, readPluginStdout, validate } = await import('@bx-provider-kit/schemas');
    getSchema(argv.kind); // unknown kind: KitError listing the kinds, before reading stdin
    const { bytes, source } = await readInput(argv.file);
    let problems: Problem[];
    if (argv.kind.startsWith('plugin/')) {
      const out = readPluginStdout(bytes);
      problems = out.ok ? validate(argv.kind, out.value).problems : [{ rule: out.rule, severity: 'error', path: '', message: `${source}: ${out.message}` }];
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

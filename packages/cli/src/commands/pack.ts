import type { CommandModule } from 'yargs';
import path from 'node:path';
import { paint, useColor } from '../tty.js';
import { countLine, formatFindings } from './verify.js';

interface Args {
  dir: string;
  out: string;
  force?: boolean;
  json?: boolean;
}

const modeString = (type: string, mode: number) =>
  (type === 'directory' ? 'd' : type === 'symlink' ? 'l' : '-') +
  [6, 3, 0].map((s) => `${mode & (4 << s) ? 'r' : '-'}${mode & (2 << s) ? 'w' : '-'}${mode & (1 << s) ? 'x' : '-'}`).join('');

function human(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const rel = (p: string) => {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};

export const packCommand: CommandModule<object, Args> = {
  command: 'pack <dir>',
  describe: 'Pack a plugin folder into a byte-reproducible NAME-vVERSION.tar.gz (+ .sha256) the host installs',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'The plugin folder (holding provider.json and bin/NAME)' })
      .option('out', { type: 'string', default: 'dist', describe: 'Where to write the archive and its .sha256' })
      .option('force', { type: 'boolean', default: false, describe: 'Overwrite an existing archive with different content' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the result (archive, sha256, entries) as JSON' })
      .example('$0 pack ./my-hoster', 'Writes dist/my-hoster-v1.2.0.tar.gz and .sha256')
      .example('SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) $0 pack . --out release', 'Stamp the entries with the last commit time')
      .epilogue(
        'Ships bin/, etc/, lib/, provider.json and the provider.json "files"; leaves out VCS, editor, OS and test files. ' +
          'Exit codes: 0 packed, 1 the host would not run the folder (findings listed), 2 bad folder or provider.json.',
      ),
  handler: async (argv) => {
    const packer = await import('@bx-provider-kit/packer');
    const color = useColor(process.stdout);
    process.stderr.write(`packing ${argv.dir} ...\n`);
    let res;
    try {
      res = await packer.pack(argv.dir, { outDir: argv.out, force: argv.force ?? false });
    } catch (e) {
      if (e instanceof packer.PackRefused) {
        process.stderr.write(`${argv.dir}: the host would not run this plugin\n${formatFindings(e.findings, useColor(process.stderr))}${countLine(e.findings)}\n`);
      }
      throw e;
    }
    if (argv.json) {
      process.stdout.write(JSON.stringify(res, null, 2) + '\n');
      return;
    }
    const sizeW = Math.max(...res.entries.map((e) => String(e.size).length));
    let out = `${res.name} ${res.version}: ${res.entries.length} entries\n`;
    for (const e of res.entries) out += `  ${modeString(e.type, e.mode)}  ${String(e.size).padStart(sizeW)}  ${e.path}${e.linkpath ? ` -> ${e.linkpath}` : ''}\n`;
    if (res.skipped.length) out += `left out: ${res.skipped.join(', ')}\n`;
    out += `${res.unchanged ? 'unchanged' : paint.green(color, 'wrote')} ${rel(res.archive)} (${human(res.bytes)})\n`;
    out += `${res.unchanged ? 'unchanged' : paint.green(color, 'wrote')} ${rel(res.sha256File)} (sha256 ${res.sha256})\n`;
    process.stdout.write(out);
  },
};

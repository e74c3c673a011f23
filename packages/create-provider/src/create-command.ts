/** Argument parsing and main() of the `create-provider` bin (no yargs: one dependency less). */
import { KitError } from '@bx-provider-kit/schemas';
import { runCreate, type RunCreateArgs } from './run.js';
import { KIT_VERSION } from './scaffold.js';
import { DEFAULT_TEMPLATE, TEMPLATE_TABLE } from './templates.js';

const HELP = `Usage: create-provider [NAME] [options]

Scaffold a BitrixVM provider plugin that passes every bx-provider rule out of the box.

Options:
  -t, --template LANG     one of these (default ${DEFAULT_TEMPLATE}):
${TEMPLATE_TABLE.map((t) => `${' '.repeat(26)}${t.name.padEnd(7)} ${t.label}`).join('\n')}
  -d, --dir DIR           target folder (default ./NAME)
      --description TEXT  one line for provider.json
  -f, --force             write into a non-empty folder: overwrites the template's files,
                          deletes nothing
  -y, --yes               never ask; defaults for everything not given
  -h, --help              this help
  -v, --version           the version

On a terminal, whatever is not given is asked for; otherwise nothing waits for input.

Examples:
  npm create provider my-hoster
  npx create-provider my-hoster --template python
  create-provider my-hoster --template perl --dir ./plugins/my-hoster --yes

Exit codes: 0 written, 2 bad usage or bad input (nothing written).
`;

export function parseArgs(argv: string[]): RunCreateArgs | 'help' | 'version' {
  const out: RunCreateArgs = {};
  const positional: string[] = [];
  const takeValue = (flag: string, i: number, inline?: string): [string, number] => {
    if (inline !== undefined) return [inline, i];
    const v = argv[i + 1];
    if (v === undefined || (v.startsWith('-') && v !== '-')) throw new KitError(`${flag} needs a value`);
    return [v, i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    const m = /^(--[a-z-]+)=(.*)$/s.exec(arg);
    const flag = m ? m[1] : arg;
    const inline = m ? m[2] : undefined;
    switch (flag) {
      case '-h':
      case '--help':
        return 'help';
      case '-v':
      case '--version':
        return 'version';
      case '-t':
      case '--template':
        [out.template, i] = takeValue(flag, i, inline);
        break;
      case '-d':
      case '--dir':
        [out.dir, i] = takeValue(flag, i, inline);
        break;
      case '--description':
        [out.description, i] = takeValue(flag, i, inline);
        break;
      case '-f':
      case '--force':
        out.force = true;
        break;
      case '-y':
      case '--yes':
        out.yes = true;
        break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new KitError(`unknown option ${arg} (see create-provider --help)`);
        positional.push(arg);
    }
  }
  if (positional.length > 1) throw new KitError(`one NAME only, got ${positional.length}: ${positional.join(' ')}`);
  if (positional.length) out.name = positional[0];
  return out;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const parsed = parseArgs(argv);
    if (parsed === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (parsed === 'version') {
      process.stdout.write(`${KIT_VERSION}\n`);
      return 0;
    }
    await runCreate(parsed);
    return 0;
  } catch (e) {
    if (e instanceof KitError) {
      process.stderr.write(`create-provider: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`create-provider: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 70;
  }
}

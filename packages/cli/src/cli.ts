import yargs from 'yargs';
import type { Argv } from 'yargs';
import { readFileSync } from 'node:fs';
import { KitError, isKitError } from './errors.js';
import { commands } from './commands/index.js';

export const VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version;

/** Builds the yargs parser; exported so tests can inspect it. */
export function buildCli(argv: string[]): Argv {
  let cli = yargs(argv)
    .scriptName('bx-provider-kit')
    // The kit speaks English; yargs' own words (Options:, Unknown argument) follow, whatever LANG says.
    .locale('en')
    .usage('$0 <command> [options]\n\nScaffold, test, pack, verify and emulate BitrixVM provider plugins, offline.')
    .version(VERSION)
    .option('debug', { type: 'boolean', describe: 'Print stack traces of unexpected errors', global: true })
    .strict()
    .demandCommand(1, 'Name a command: see bx-provider-kit --help')
    .recommendCommands()
    .completion('completion', 'Print a bash/zsh completion script (source it from your shell rc)')
    .help()
    .alias('h', 'help')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .epilogue('Exit codes: 0 success, 1 rule failures, 2 bad usage or bad input. Colours on a TTY only, never with NO_COLOR.')
    .fail((msg, err) => {
      // yargs' own usage errors (YError, e.g. "Not enough arguments following: timeout") are bad usage too: exit 2, one line
      if (err && err.name === 'YError') throw new KitError(err.message);
      throw err ?? new KitError(msg ?? 'bad usage');
    });
  for (const c of commands) cli = cli.command(c);
  return cli;
}

/** Runs the CLI and returns the exit code; prints errors as one line on stderr. */
export async function runCli(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    // The shell asks for completions: values yargs cannot know (reporters, host actions, schema
    // kinds, rule ids) come from completion.ts; for the rest, yargs offers commands and flags.
    const ask = argv.indexOf('--get-yargs-completions');
    if (ask >= 0) {
      const { complete } = await import('./completion.js');
      const values = await complete(argv.slice(ask + 1)).catch(() => undefined);
      if (values) {
        process.stdout.write(values.length ? `${values.join('\n')}\n` : '');
        return 0;
      }
    }
    await buildCli(argv).parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (isKitError(e)) {
      process.stderr.write(`bx-provider-kit: ${e.message}\n`);
      if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
      return e.exitCode;
    }
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`bx-provider-kit: unexpected error: ${err?.message ?? String(e)}${debug ? '' : ' (run with --debug for the stack trace)'}\n`);
    if (debug && err?.stack) process.stderr.write(`${err.stack}\n`);
    return 70;
  }
}

import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { KitError } from '../errors.js';
// The emulator is loaded when the command runs, so other commands start fast.
const loadHost = () => import('@bx-provider-kit/host');

interface Args {
  'kit-command'?: 'purge' | 'init';
  action: string;
  output: string;
  provider?: string;
  config_id?: string;
  task_id?: string;
  archive?: string;
  verbose?: boolean;
  root?: string;
  pool?: boolean;
  'call-timeout'?: number;
}

const DEFAULT_ROOT = './.bx-host';

/** Getopt::Long keeps the last of a repeated option; yargs collects them in an array. */
function last<T>(v: T | T[] | undefined): T | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function rootOf(argv: Args): string {
  const root = last(argv.root) ?? process.env.BX_PROVIDER_ROOT ?? DEFAULT_ROOT;
  if (!root) throw new KitError('--root needs a folder (it stands for /opt/webdir)');
  return path.resolve(root);
}

/** --no-pool only shapes a new root; an existing root with a pool is never silently changed. */
async function checkPoolFlag(root: string, argv: Args): Promise<void> {
  const { hasPool, poolFile } = await loadHost();
  if (argv.pool === false && fs.existsSync(path.join(root, 'logs')) && hasPool(root)) {
    throw new KitError(`${root} already has a pool (${poolFile(root)}): delete that file, or use a new --root, to emulate a host without one`);
  }
}

export const hostCommand: CommandModule<object, Args> = {
  command: 'host [kit-command]',
  describe: 'Run the bx-provider emulator on a sandbox folder (same flags, output and exit codes as bx-provider)',
  builder: (y) =>
    y
      .positional('kit-command', {
        choices: ['purge', 'init'] as const,
        describe: '[kit-only] purge: really delete providers/NAME (the real uninstall deletes nothing); init: create the root',
      })
      .option('action', { alias: 'a', type: 'string', default: 'list', describe: 'status|list|install|uninstall|pool|configs|order|orders_list|order_status|order_to_host' })
      .option('output', { alias: 'o', type: 'string', default: 'plain', describe: 'json|plain|text|txt (an unknown value prints the usage, exit 0, as the real one)' })
      .option('provider', { type: 'string', describe: 'Provider name: runs ROOT/providers/NAME/bin/NAME' })
      .option('config_id', { type: 'string', describe: 'Configuration id for -a order' })
      .option('task_id', { type: 'string', describe: 'Task id for -a order_status / order_to_host' })
      .option('archive', { type: 'string', describe: 'Archive for -a install (.tar.gz, .tar.bz2, .zip)' })
      .option('verbose', { alias: 'v', type: 'boolean', describe: 'Accepted, changes nothing visible (as on the real host)' })
      .option('root', { type: 'string', describe: `[kit-only] Folder standing for /opt/webdir (env BX_PROVIDER_ROOT; default ${DEFAULT_ROOT})` })
      .option('pool', { type: 'boolean', default: true, describe: '[kit-only] A new root gets a server pool; --no-pool emulates a BitrixVM without one (order_to_host then fails as in host-observed h4/h5)' })
      .option('call-timeout', { type: 'number', describe: '[kit-only] Kill a plugin call after S seconds (the real host waits forever)' })
      .example('$0 host -a install --provider my-hoster --archive my-hoster-v1.0.0.tar.gz -o json', 'Install into ./.bx-host/providers/my-hoster')
      .example('$0 host -o json', 'list: every installed provider and its status')
      .example('$0 host -a order --provider my-hoster --config_id 1 -o json', 'Order a server (runs help, then order 1)')
      .example('$0 host -a order_to_host --provider my-hoster --task_id 24 -o json', 'Add the finished server to the emulated pool')
      .example('$0 host purge --provider my-hoster', '[kit-only] Really remove the provider before re-installing')
      .example('$0 host init --root ./nopool --no-pool', '[kit-only] A root for a host without a pool')
      .epilogue(
        // One string per paragraph: yargs wraps each to the terminal; line breaks inside a
        // paragraph would be wrapped a second time and break mid-sentence.
        [
          'Behaves like /opt/webdir/bin/bx-provider of bitrix-env 9.0.9 as recorded on a real host: same JSON (compact, no trailing ' +
            "newline), plain lines, messages (typos included), task files, logs/wrapper.log, and exit codes: the envelope's `error` value " +
            "(0, 1, or the plugin's own error number), 255 where the real host dies (nothing on stdout, the Perl message on stderr; " +
            'a stale errno such as 2 where the real one showed it). Plugin calls: `help` before every action, cwd and environment ' +
            'of the caller, stderr passed through, exit status ignored, no timeout.',
          'Differences, on purpose: the real host hands command lines built from --config_id, --task_id, --provider, --archive ' +
            'and task ids to /bin/sh unquoted. The emulator splits plain words as the shell would ("task 42" gives two arguments) ' +
            'but refuses any line with shell syntax (; & | $ ` < > quotes \\ * ? [ ( ) newline): it prints on stderr what the real ' +
            'host would have run, nothing on stdout, and exits 2. It never writes outside ROOT: archives with absolute paths, "..", ' +
            'links leaving the holder or device files are refused with an error envelope. order_to_host uses no SSH and no ' +
            'network: with a pool it checks the address, notes on stderr that the SSH key copy was skipped, records the server in ' +
            'ROOT/pool/hosts.json (a server already there is refused, as a pool refuses a duplicate host) and answers as a ' +
            'successful real run. Not reproduced: `chown -R bitrix.bitrix` and its Debian warning (the emulator runs ' +
            "unprivileged; files stay yours), a missing unzip binary, Perl's random key order.",
          "Exit codes here are the host's, not the kit's usual 0/1/2; 2 also means a refused shell line, bad kit input, a plugin that printed more than 16 MiB on stdout (the emulator stops reading there; stderr is forwarded with back-pressure), or a call killed by --call-timeout (at most 2147483 s), which answers nothing.",
        ].join('\n\n'),
      ),
  handler: async (argv) => {
    const { Host, initRoot, purge, poolFile, killPluginCalls, MAX_CALL_TIMEOUT_MS } = await loadHost();
    const root = rootOf(argv);
    if (argv['kit-command'] === 'purge') {
      if (!argv.provider) throw new KitError('host purge needs --provider NAME (the folder under ROOT/providers to delete)');
      const { removed } = purge(root, last(argv.provider)!);
      process.stdout.write(`removed ${removed}\n`);
      return;
    }
    if (argv['kit-command'] === 'init') {
      await checkPoolFlag(root, argv);
      const r = initRoot(root, { pool: argv.pool });
      process.stdout.write(`${r.created ? 'created' : 'exists'} ${root} (${r.pool ? `pool: ${poolFile(root)}` : 'no pool'})\n`);
      return;
    }
    await checkPoolFlag(root, argv);
    const timeout = argv['call-timeout'];
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) throw new KitError('--call-timeout takes a number of seconds above 0');
    // Node fires a longer timer after 1 ms: every call would be killed at once
    if (timeout !== undefined && Math.round(timeout * 1000) > MAX_CALL_TIMEOUT_MS) {
      throw new KitError(`--call-timeout ${timeout} is too long: at most ${Math.floor(MAX_CALL_TIMEOUT_MS / 1000)} seconds (about 24 days); leave it out to wait forever, as the real host does`);
    }
    const callTimeoutMs = timeout !== undefined ? Math.max(1, Math.round(timeout * 1000)) : undefined;
    // Ctrl-C, kill, a closed terminal: the plugin calls (and their children) go with the kit
    const signals = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
    for (const [sig, code] of Object.entries(signals)) {
      process.once(sig, () => {
        const n = killPluginCalls();
        process.stderr.write(`\nbx-provider-kit host: ${sig}: ${n ? 'killed the running plugin call and its process group' : 'no plugin call was running'}\n`);
        process.exit(code);
      });
    }
    const host = new Host({ root, pool: argv.pool });
    const r = await host.run({
      action: last(argv.action),
      output: last(argv.output),
      provider: last(argv.provider),
      configId: last(argv.config_id),
      taskId: last(argv.task_id),
      archive: last(argv.archive),
      verbose: argv.verbose,
      cwd: process.cwd(),
      env: process.env,
      stdin: 'inherit',
      callTimeoutMs,
      // with back-pressure: a plugin printing gigabytes on stderr into a slow pipe waits for it
      onStderr: (chunk) => (process.stderr.write(chunk) ? undefined : new Promise<void>((resolve) => process.stderr.once('drain', resolve))),
    });
    process.stdout.write(r.stdoutBytes);
    process.exitCode = r.exitCode;
  },
};

import type { CommandModule } from 'yargs';
import { KitError } from '../errors.js';
import { paint, useColor } from '../tty.js';

interface Args {
  port: number;
  host: string;
  token: string;
  'delay-ms': number;
  fail: string[];
  quiet?: boolean;
}

export const mockApiCommand: CommandModule<object, Args> = {
  command: 'mock-api',
  describe: "Serve a mock of the REST API the templates' HTTP backends call (loopback only)",
  builder: (y) =>
    y
      .option('port', { alias: 'p', type: 'number', default: 8080, describe: 'TCP port (0 picks a free one)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Loopback address: 127.0.0.1, ::1 or localhost' })
      .option('token', { type: 'string', default: 'test-token', describe: 'Bearer token every request must carry' })
      .option('delay-ms', { type: 'number', default: 1500, describe: 'Milliseconds from order to active' })
      .option('fail', { type: 'string', array: true, default: [] as string[], describe: 'Plan ids whose orders end failed' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Do not log requests on stderr' })
      .example('$0 mock-api', 'http://127.0.0.1:8080, token test-token')
      .example('$0 mock-api --port 0 --delay-ms 200 --fail 3', 'A free port, fast orders, plan 3 always fails')
      .epilogue(
        [
          'REST shape (Authorization: Bearer TOKEN on every request):',
          '  GET  /plans        200 {"plans":[{"id":"1","name":"..."}]}',
          '  POST /orders       {"plan":"1"} -> 201 {"id":"ord-...","status":"pending"}; 404 unknown plan',
          '  GET  /orders/ID    200 {"id","plan","status":pending|provisioning|active|failed,',
          '                          "ip","root_password" when active, "error" when failed}; 404 unknown',
          'Prints the base URL on stdout; runs until Ctrl-C. Point a plugin at it with',
          'backend = http, api_url = URL, api_token = TOKEN in etc/NAME.conf.',
        ].join('\n'),
      ),
  handler: async (argv) => {
    if (!Number.isInteger(argv.port)) throw new KitError('--port must be a whole number');
    if (!Number.isFinite(argv['delay-ms'])) throw new KitError('--delay-ms must be a number');
    const color = useColor(process.stderr);
    const { startMockApi } = await import('create-provider');
    const api = await startMockApi({
      port: argv.port,
      host: argv.host,
      token: argv.token,
      delayMs: argv['delay-ms'],
      failPlans: argv.fail.map(String),
      onRequest: argv.quiet
        ? undefined
        : ({ method, path, status, ms }) => {
            const s = status < 300 ? paint.green(color, String(status)) : status < 500 ? paint.yellow(color, String(status)) : paint.red(color, String(status));
            process.stderr.write(`${method} ${path} ${s} ${ms} ms\n`);
          },
    });
    process.stdout.write(`${api.url}\n`);
    process.stderr.write(`mock API on ${api.url} (token ${api.token}, orders active after ${argv['delay-ms']} ms); Ctrl-C to stop\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void api.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};

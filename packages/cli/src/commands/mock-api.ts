import type { CommandModule } from 'yargs';
import { numberArg } from '../args.js';
import { paint, useColor } from '../tty.js';

interface Args {
  port: string;
  host: string;
  token: string;
  'delay-ms': string;
  fail: string[];
  fault?: string;
  'failure-rate'?: string;
  'latency-ms': string;
  'slow-ms': string;
  quiet?: boolean;
}

export const mockApiCommand: CommandModule<object, Args> = {
  command: 'mock-api',
  describe: "Serve a mock of the REST API the templates' HTTP backends call (loopback only)",
  builder: (y) =>
    y
      .option('port', { alias: 'p', type: 'string', default: '8080', describe: 'TCP port (0 picks a free one)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Loopback address: 127.0.0.1, ::1 or localhost' })
      .option('token', { type: 'string', default: 'test-token', describe: 'Bearer token every request must carry' })
      .option('delay-ms', { type: 'string', default: '1500', describe: 'Milliseconds from order to active' })
      .option('fail', { type: 'string', array: true, default: [] as string[], describe: 'Plan ids whose orders end failed' })
      .option('fault', { type: 'string', choices: ['refused', 'blackhole', 'slow', '503'], describe: 'Play a failing API: reset connections, never answer, answer 503 late, or 503 at once' })
      .option('failure-rate', { type: 'string', describe: 'Share of requests that fail, 0..1 (default 1 with --fault; alone: 503)' })
      .option('latency-ms', { type: 'string', default: '0', describe: 'Milliseconds every answer waits' })
      .option('slow-ms', { type: 'string', default: '5000', describe: 'How long --fault slow waits before its 503' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Do not log requests on stderr' })
      .example('$0 mock-api', 'http://127.0.0.1:8080, token test-token')
      .example('$0 mock-api --port 0 --delay-ms 200 --fail 3', 'A free port, fast orders, plan 3 always fails')
      .example('$0 mock-api --fault blackhole', 'An API that accepts connections and never answers: does the plugin time out?')
      .example('$0 mock-api --failure-rate 0.3 --latency-ms 800', '30% of requests answer 503, the others after 0.8 s')
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
    const port = numberArg('port', argv.port, { min: 0, max: 65535, whole: true, what: 'a TCP port (0 picks a free one)' })!;
    const delayMs = numberArg('delay-ms', argv['delay-ms'], { min: 0, max: 3_600_000, what: 'milliseconds from order to active' })!;
    const failureRate = numberArg('failure-rate', argv['failure-rate'], { min: 0, max: 1, what: 'the share of requests that fail' });
    const latencyMs = numberArg('latency-ms', argv['latency-ms'], { min: 0, max: 600_000, what: 'milliseconds every answer waits' })!;
    const slowMs = numberArg('slow-ms', argv['slow-ms'], { min: 0, max: 600_000, what: 'milliseconds --fault slow waits' })!;
    const color = useColor(process.stderr);
    const { startMockApi } = await import('create-provider');
    const api = await startMockApi({
      port,
      host: argv.host,
      token: argv.token,
      delayMs,
      failPlans: argv.fail.map(String),
      fault: argv.fault as 'refused' | 'blackhole' | 'slow' | '503' | undefined,
      failureRate,
      latencyMs,
      slowMs,
      onRequest: argv.quiet
        ? undefined
        : ({ method, path, status, ms }) => {
            const s = status < 300 ? paint.green(color, String(status)) : status < 500 ? paint.yellow(color, String(status)) : paint.red(color, String(status));
            process.stderr.write(`${method} ${path} ${s} ${ms} ms\n`);
          },
    });
    process.stdout.write(`${api.url}\n`);
    const faulty = argv.fault || failureRate ? `; fault ${argv.fault ?? '503'} on ${Math.round((failureRate ?? 1) * 100)}% of requests` : '';
    process.stderr.write(`mock API on ${api.url} (token ${api.token}, orders active after ${delayMs} ms${faulty}); Ctrl-C to stop\n`);
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

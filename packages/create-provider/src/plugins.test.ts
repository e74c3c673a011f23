/**
 * Every template's generated plugin, called directly as a real process (bash, php, python3,
 * perl) the way bx-provider calls it: from another cwd, with a minimal environment, for every
 * action and every error case; sandbox backend and HTTP backend against startMockApi.
 */
import { expect } from 'chai';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { validate } from '@bx-provider-kit/schemas';
import { createProvider, TEMPLATES, type TemplateName } from './index.js';
import { startMockApi, DEFAULT_MOCK_PLANS, type MockApi } from './mock-api.js';
import { DOC_RANGES, SAFE_TASK, parseAnswer, run, setConf, sleep, tempDir, type RunOptions } from './testutil.js';

const SANDBOX_DELAY_MS = 1000;

for (const template of TEMPLATES) {
  describe(`${template} template: the generated plugin`, function () {
    this.timeout(60_000);
    let root: string;
    let dir: string;
    let bin: string;
    let conf: string;
    let elsewhere: string;
    const name = `acme-${template}`;

    const call = (args: string[], opts: RunOptions = {}) => run(bin, args, { cwd: elsewhere, ...opts });
    const ok = async (args: string[], opts: RunOptions = {}) => {
      const r = await call(args, opts);
      expect(r.stderr, `stderr of ${args.join(' ')}`).to.equal('');
      expect(r.code, `exit code of ${args.join(' ')}: ${r.stdout}`).to.equal(0);
      const doc = parseAnswer(r.stdout);
      expect(doc, `success answer of ${args.join(' ')}`).not.to.have.property('error');
      const v = validate(`plugin/${args[0]}`, doc);
      expect(v.problems, `plugin/${args[0]} schema: ${r.stdout}`).to.deep.equal([]);
      return doc;
    };
    const bad = async (args: string[], opts: RunOptions = {}) => {
      const r = await call(args, opts);
      const doc = parseAnswer(r.stdout);
      expect(doc.error, `error of ${JSON.stringify(args)}: ${r.stdout}`).to.equal(1);
      expect(doc.error_message).to.be.a('string').and.not.equal('');
      expect(r.code, `exit code of ${JSON.stringify(args)}`).to.equal(1);
      expect(validate('plugin/error', doc).problems, r.stdout).to.deep.equal([]);
      return String(doc.error_message);
    };

    before(async () => {
      root = await tempDir();
      elsewhere = path.join(root, 'elsewhere');
      await fs.mkdir(elsewhere);
      ({ dir } = await createProvider({ name, template, dir: path.join(root, name) }));
      bin = path.join(dir, 'bin', name);
      conf = path.join(dir, 'etc', `${name}.conf`);
      await setConf(conf, { sandbox_delay_ms: String(SANDBOX_DELAY_MS) });
    });
    after(async () => {
      await fs.rm(root, { recursive: true, force: true });
    });

    it('answers help and configs, from any cwd, with stdin closed or left open', async () => {
      expect(await ok(['help'])).to.deep.equal({ options: ['help', 'configs', 'order', 'order_status'], status: 'enabled' });
      const configs = await ok(['configs']);
      expect(configs.status).to.equal('enabled');
      expect(configs.configurations).to.deep.equal([
        { id: '1', descr: 'VPS 1 CPU / 1 GB RAM / 20 GB SSD' },
        { id: '2', descr: 'VPS 2 CPU / 4 GB RAM / 60 GB SSD' },
        { id: '3', descr: 'VPS 4 CPU / 8 GB RAM / 120 GB SSD' },
      ]);
      // The same from the plugin folder, from /, and with a stdin that never ends.
      expect(await ok(['configs'], { cwd: dir })).to.deep.equal(configs);
      expect(await ok(['configs'], { cwd: '/' })).to.deep.equal(configs);
      expect(await ok(['help'], { stdin: 'open', timeoutMs: 15_000 })).to.have.property('status', 'enabled');
      expect(await fs.readdir(elsewhere), 'nothing written into the cwd').to.deep.equal([]);
      // Nothing is written next to the code either (no __pycache__, no temp files): only var/.
      expect((await fs.readdir(dir)).sort()).to.deep.equal(['.gitignore', 'README.md', 'bin', 'conformance.json', 'etc', 'lib', 'package.json', 'provider.json', 'var']);
      expect((await fs.readdir(path.join(dir, 'lib'))).filter((f) => !/\.(sh|php|py|pm)$/.test(f))).to.deep.equal([]);
    });

    it('orders in the sandbox: in_progress, then finished with a documentation address and a password, then stable', async () => {
      const t0 = Date.now();
      const { task_id: id } = await ok(['order', '2']);
      expect(id).to.be.a('string').and.match(SAFE_TASK);
      const first = await ok(['order_status', String(id)]);
      // The task was created after t0, so until t0 + delay it cannot be finished (no timing luck:
      // on a machine so loaded that two calls took longer, only the later checks apply).
      if (Date.now() - t0 < SANDBOX_DELAY_MS) expect(first).to.deep.equal({ task_id: id, status: 'in_progress' });
      await sleep(SANDBOX_DELAY_MS + 150);
      const done = await ok(['order_status', String(id)]);
      expect(done.status).to.equal('finished');
      expect(done.task_id).to.equal(id);
      expect(DOC_RANGES.some((r) => r.test(String(done.server))), String(done.server)).to.equal(true);
      const last = Number(String(done.server).split('.')[3]);
      expect(last).to.be.within(1, 254);
      expect(done.server_password).to.be.a('string').with.length.greaterThan(11);
      expect(await ok(['order_status', String(id)], { cwd: '/' })).to.deep.equal(done);
      // The task lives under the plugin folder, not in the cwd; the log too.
      expect(await fs.readdir(path.join(dir, 'var', 'tasks'))).to.include(id);
      const log = await fs.readFile(path.join(dir, 'var', 'log', `${name}.log`), 'utf8');
      expect(log).to.include(`order_status ${id}`);
      expect(log, 'passwords stay out of the log').not.to.include(String(done.server_password));
      expect(await fs.readdir(elsewhere)).to.deep.equal([]);
    });

    it('ends orders of the sandbox_fail_plan plan with status error and a message', async () => {
      const original = await fs.readFile(conf, 'utf8');
      try {
        await setConf(conf, { sandbox_fail_plan: '3' });
        const { task_id: failing } = await ok(['order', '3']);
        const { task_id: fine } = await ok(['order', '1']);
        await sleep(SANDBOX_DELAY_MS + 150);
        expect(await ok(['order_status', String(failing)])).to.deep.equal({
          task_id: failing,
          status: 'error',
          message: `sandbox: orders of plan 3 fail (sandbox_fail_plan in etc/${name}.conf)`,
        });
        expect((await ok(['order_status', String(fine)])).status).to.equal('finished');
      } finally {
        await fs.writeFile(conf, original);
      }
    });

    it('answers every bad call with one error document and exit 1', async () => {
      expect(await bad([])).to.match(/no action/);
      expect(await bad(['bogus'])).to.match(/unknown action "bogus"/);
      expect(await bad(['init'])).to.match(/unknown action/);
      expect(await bad(['order'])).to.match(/order takes exactly one argument/);
      expect(await bad(['order', '1', '2'])).to.match(/exactly one argument/);
      expect(await bad(['order', '99'])).to.match(/unknown configuration "99"/);
      expect(await bad(['order', ''])).to.match(/unknown configuration/);
      expect(await bad(['order', '-1'])).to.match(/unknown configuration/);
      expect(await bad(['order', '1;id'])).to.match(/unknown configuration/);
      expect(await bad(['order_status'])).to.match(/order_status takes exactly one argument/);
      expect(await bad(['order_status', 'task', '42'])).to.match(/exactly one argument/);
      expect(await bad(['order_status', 'sb-neverOrdered'])).to.match(/unknown task "sb-neverOrdered"/);
      expect(await bad(['order_status', '../../etc/passwd'])).to.match(/unknown task/);
      expect(await bad(['order_status', '.'])).to.match(/unknown task/);
      expect(await bad(['order_status', 'x'.repeat(65)])).to.match(/unknown task/);
      expect(await bad(['help', 'me'])).to.match(/help takes no argument/);
      expect(await bad(['configs', 'all'])).to.match(/configs takes no argument/);
      // Bytes that are not UTF-8 on the command line still give a valid UTF-8 answer.
      const r = await run('/bin/bash', ['--norc', '--noprofile', '-c', `exec "$0" order $'\\xff\\xfe'`, bin], { cwd: elsewhere });
      expect(r.code).to.equal(1);
      expect(Buffer.from(r.stdout, 'utf8').includes(Buffer.from([0xff]))).to.equal(false);
      expect(parseAnswer(r.stdout).error).to.equal(1);
    });

    it('gives 16 concurrent orders 16 distinct ids, each one known afterwards', async () => {
      const answers = await Promise.all(Array.from({ length: 16 }, () => ok(['order', '1'])));
      const ids = answers.map((a) => String(a.task_id));
      expect(new Set(ids).size).to.equal(16);
      for (const id of ids) expect(id).to.match(SAFE_TASK);
      const statuses = await Promise.all(ids.map((id) => ok(['order_status', id])));
      statuses.forEach((s, i) => expect(s.task_id).to.equal(ids[i]));
      const leftovers = (await fs.readdir(path.join(dir, 'var', 'tasks'))).filter((f) => f.startsWith('.'));
      expect(leftovers, 'no temp files left behind').to.deep.equal([]);
    });

    it('says which line of etc/NAME.conf is wrong, and still answers help', async () => {
      const original = await fs.readFile(conf, 'utf8');
      try {
        await fs.writeFile(conf, `${original}\napi_tokn = oops\n`);
        const lines = (await fs.readFile(conf, 'utf8')).split('\n');
        const n = lines.findIndex((l) => l.startsWith('api_tokn')) + 1;
        expect(await bad(['configs'])).to.match(new RegExp(`line ${n}: unknown setting "api_tokn"`));
        await ok(['help']);
        await fs.writeFile(conf, original.replace(/^backend = .*$/m, 'backend = ftp'));
        expect(await bad(['order', '1'])).to.match(/backend must be sandbox or http/);
        await fs.writeFile(conf, original.replace(/^sandbox_delay_ms = .*$/m, 'sandbox_delay_ms = soon'));
        expect(await bad(['order', '1'])).to.match(/sandbox_delay_ms/);
        await fs.writeFile(conf, original.replace(/^api_timeout = .*$/m, 'api_timeout = 0'));
        expect(await bad(['configs'])).to.match(/api_timeout must be a positive number/);
        await fs.writeFile(conf, `${original}\nplan = 4;rm | evil\n`);
        expect(await bad(['configs'])).to.match(/not safe/);
        await fs.writeFile(conf, `${original}\nplan = vps-ru.4 | ВПС 4 ядра "Москва" \\ 😀\n`);
        const plans = (await ok(['configs'])).configurations as { id: string; descr: string }[];
        expect(plans[3]).to.deep.equal({ id: 'vps-ru.4', descr: 'ВПС 4 ядра "Москва" \\ 😀' });
        await fs.writeFile(conf, original.replace(/\n/g, '\r\n'));
        expect((await ok(['configs'])).configurations).to.have.length(3);
      } finally {
        await fs.writeFile(conf, original);
      }
    });

    describe('HTTP backend against the mock API', () => {
      let api: MockApi;
      let silent: net.Server;
      let silentPort: number;
      let drip: net.Server;
      let dripPort: number;
      const sockets = new Set<net.Socket>();
      const timers = new Set<NodeJS.Timeout>();

      before(async () => {
        api = await startMockApi({ delayMs: 500, failPlans: ['3'], token: 'sesame-42' });
        silent = net.createServer((s) => {
          sockets.add(s); // accept, never answer
          s.on('error', () => {});
        });
        await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
        silentPort = (silent.address() as net.AddressInfo).port;
        // Answers at once, then sends its body one byte every 200 ms, forever.
        drip = net.createServer((s) => {
          sockets.add(s);
          s.on('error', () => {});
          s.once('data', () => {
            s.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n');
            const t = setInterval(() => s.write(' '), 200);
            timers.add(t);
            s.on('close', () => clearInterval(t));
          });
        });
        await new Promise<void>((r) => drip.listen(0, '127.0.0.1', () => r()));
        dripPort = (drip.address() as net.AddressInfo).port;
        await setConf(conf, { backend: 'http', api_url: api.url, api_token: 'sesame-42', api_timeout: '5' });
      });
      after(async () => {
        await setConf(conf, { backend: 'sandbox', api_url: 'http://127.0.0.1:8080', api_token: 'test-token', api_timeout: '1' });
        await api?.close();
        for (const t of timers) clearInterval(t);
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => (silent ? silent.close(() => r()) : r()));
        await new Promise<void>((r) => (drip ? drip.close(() => r()) : r()));
      });

      it('lists the API plans and runs an order to finished with the address the API gave', async () => {
        const configs = await ok(['configs']);
        expect(configs.configurations).to.deep.equal(DEFAULT_MOCK_PLANS.map((p) => ({ id: p.id, descr: p.name })));
        const t0 = Date.now();
        const { task_id: id } = await ok(['order', '1']);
        expect(id).to.match(/^ord-[0-9a-f]{12}$/);
        expect(api.orders.has(String(id))).to.equal(true);
        const first = await ok(['order_status', String(id)]);
        if (Date.now() - t0 < 500) expect(first).to.deep.equal({ task_id: id, status: 'in_progress' });
        await sleep(650);
        const order = api.orders.get(String(id))!;
        const done = await ok(['order_status', String(id)]);
        expect(done).to.deep.equal({ task_id: id, status: 'finished', server: order.ip, server_password: order.rootPassword });
      });

      it('reports a failed order as status error with the API message', async () => {
        const { task_id: id } = await ok(['order', '3']);
        await sleep(650);
        const st = await ok(['order_status', String(id)]);
        expect(st).to.deep.equal({ task_id: id, status: 'error', message: 'no capacity left for plan 3' });
      });

      it('turns unknown plans, unknown tasks, a bad token, a dead port and a silent API into error answers', async () => {
        expect(await bad(['order', '77'])).to.match(/unknown configuration "77".*unknown plan 77/);
        expect(await bad(['order_status', 'ord-000000000000'])).to.match(/unknown task "ord-000000000000"/);
        await setConf(conf, { api_token: 'wrong' });
        expect(await bad(['configs'])).to.match(/invalid API token/);
        await setConf(conf, { api_token: 'sesame-42', api_url: 'http://127.0.0.1:1' });
        expect(await bad(['configs'])).to.match(/cannot reach the API/);
        await setConf(conf, { api_url: `http://127.0.0.1:${silentPort}`, api_timeout: '1' });
        const started = Date.now();
        expect(await bad(['configs'])).to.match(/did not answer within 1 s|timed out|cannot reach/);
        expect(Date.now() - started, 'api_timeout is honoured').to.be.below(8000);
        await setConf(conf, { api_url: api.url, api_timeout: '5' });
        await ok(['configs']);
      });

      it('gives up on an API that trickles its answer, within about api_timeout', async () => {
        await setConf(conf, { api_url: `http://127.0.0.1:${dripPort}`, api_timeout: '1' });
        try {
          const started = Date.now();
          expect(await bad(['configs'], { timeoutMs: 30_000 })).to.match(/did not answer within 1 s/);
          expect(Date.now() - started, 'the whole request is bounded, not each read').to.be.below(8000);
        } finally {
          await setConf(conf, { api_url: api.url, api_timeout: '5' });
        }
      });
    });
  });
}

describe('templates: what every template ships', () => {
  let root: string;
  before(async () => {
    root = await tempDir();
  });
  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('provider.json, conformance.json, README.md, .gitignore, etc/NAME.conf and an executable bin/NAME with a stock shebang', async () => {
    const shebangs: Record<TemplateName, string> = {
      bash: '#!/bin/bash',
      php: '#!/usr/bin/php',
      python: '#!/usr/bin/env python3',
      perl: '#!/usr/bin/perl',
    };
    for (const template of TEMPLATES) {
      const name = `ship-${template}`;
      const { dir, files } = await createProvider({ name, template, dir: path.join(root, name), description: 'Ships "quoted" ВПС' });
      for (const f of ['provider.json', 'conformance.json', 'README.md', '.gitignore', `etc/${name}.conf`, `bin/${name}`]) {
        expect(files, `${template}: ${f}`).to.include(f);
      }
      expect(files.some((f) => f.startsWith('lib/')), `${template}: lib/`).to.equal(true);
      const manifest = JSON.parse(await fs.readFile(path.join(dir, 'provider.json'), 'utf8'));
      expect(manifest).to.deep.equal({ name, version: '0.1.0', description: 'Ships "quoted" ВПС' });
      const conformance = JSON.parse(await fs.readFile(path.join(dir, 'conformance.json'), 'utf8'));
      expect(conformance).to.include({ allowOrder: true, configId: '1' });
      expect(validate('conformance', conformance).problems).to.deep.equal([]);
      expect(validate('provider', manifest).problems).to.deep.equal([]);
      const bin = await fs.readFile(path.join(dir, 'bin', name), 'utf8');
      expect(bin.split('\n')[0]).to.equal(shebangs[template]);
      for (const f of files) {
        const text = await fs.readFile(path.join(dir, f), 'utf8');
        expect(text, `${template}/${f} has no placeholder left`).not.to.match(/\{\{[A-Za-z]+\}\}/);
        expect(text.includes('\r'), `${template}/${f} has LF line ends`).to.equal(false);
        const mode = (await fs.stat(path.join(dir, f))).mode & 0o777;
        expect(mode, `${template}/${f} mode`).to.equal(f === `bin/${name}` ? 0o755 : 0o644);
      }
      const readme = await fs.readFile(path.join(dir, 'README.md'), 'utf8');
      for (const word of ['bx-provider-kit test', 'bx-provider-kit pack', 'bx-provider-kit verify', `bx-provider -a install --provider ${name}`, 'GET  /plans', 'POST /orders', 'GET  /orders/ID']) {
        expect(readme, `${template} README mentions ${word}`).to.include(word);
      }
      expect(await fs.readFile(path.join(dir, '.gitignore'), 'utf8')).to.match(/^var\/$/m);
    }
  });
});

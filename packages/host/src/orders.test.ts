/** host-observed g (task ids), h (order_status and order_to_host), i (slow plugins), X1 (shell), X2 (arguments). */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Host, readPool } from './index.js';
import { GOOD, GOOD_HELP, callsLog, listing, placeProbe, setAnswers, type ProbeSpec } from './testkit.js';
import { cleanup, env, expectJson, expectPlain, probeFiles, type Env } from './expect.js';

after(cleanup);

const orderSpec = (order: string, status?: string | string[]): ProbeSpec => ({
  answers: { help: GOOD_HELP, order, ...(status !== undefined ? { order_status: status } : {}) },
});
const tasksOf = (e: Env, n: string) => probeFiles(listing(path.join(e.root, 'providers', n))).filter((l) => l.includes('tasks'));
const mtimeOf = (e: Env, n: string, t: string) => Math.floor(fs.statSync(path.join(e.root, 'providers', n, 'tasks', t)).mtimeMs / 1000);
const cwdOf = (e: Env) => fs.realpathSync(e.cwd);

describe('host emulator: orders', function () {
  this.timeout(60000);

  describe('g – task ids from order', () => {
    it('g1: a slash fails "Cannot save" after ordering; orders_list null; order_status still calls the plugin', async () => {
      const e = env();
      placeProbe(e.root, 'slashtask', orderSpec('{"task_id":"eu/42"}', '{"status":"in_progress"}'));
      expectJson(e, await e.run({ action: 'order', provider: 'slashtask', configId: '1', output: 'json' }), '{"message":"bxProvider::order2Provider: Cannot save /opt/webdir/providers/slashtask/tasks/eu/42: No such file or directory","error":1}', 1);
      expect(tasksOf(e, 'slashtask')).to.deep.equal(['drwxr-x--- slashtask/tasks'.replace('slashtask/', '')]);
      expectJson(e, await e.run({ action: 'orders_list', provider: 'slashtask', output: 'json' }), '{"params":{"provider_order_list":null}}');
      expectJson(e, await e.run({ action: 'order_status', provider: 'slashtask', taskId: 'eu/42', output: 'json' }), '{"params":{"provider_order":{"slashtask":{"status":"in_progress"}}}}');
    });

    it('g2: a space is stored fine but reaches the plugin as two arguments', async () => {
      const e = env();
      placeProbe(e.root, 'spacetask', orderSpec('{"task_id":"task 42"}', '{"status":"in_progress"}'));
      expectJson(e, await e.run({ action: 'order', provider: 'spacetask', configId: '1', output: 'json' }), '{"params":{"provider_order":{"spacetask":{"task_id":"task 42"}}}}');
      expectPlain(e, await e.run({ action: 'order', provider: 'spacetask', configId: '1', output: 'plain' }), 'provider:order:spacetask:task 42');
      expect(tasksOf(e, 'spacetask')).to.deep.equal(['drwxr-x--- tasks', '-rw-r--r-- tasks/task 42']);
      expectJson(e, await e.run({ action: 'order_status', provider: 'spacetask', taskId: 'task 42', output: 'json' }), '{"params":{"provider_order":{"spacetask":{"status":"in_progress"}}}}');
      const m = mtimeOf(e, 'spacetask', 'task 42');
      expectJson(e, await e.run({ action: 'orders_list', provider: 'spacetask', output: 'json' }), `{"params":{"provider_order_list":{"spacetask":{"task 42":{"message":"","error":0,"mtime":${m},"status":"in_progress"}}}}}`);
      expectPlain(e, await e.run({ action: 'orders_list', provider: 'spacetask', output: 'plain' }), `provider:orders:spacetask:task 42:in_progress:${m}::\n`);
      const c = cwdOf(e);
      expect(callsLog(e.root, 'spacetask')).to.deep.equal(
        ['1 [help]', '2 [order 1]', '1 [help]', '2 [order 1]', '1 [help]', '3 [order_status task 42]', '1 [help]', '3 [order_status task 42]', '1 [help]', '3 [order_status task 42]'].map((x) => {
          const [n, a] = [x.slice(0, 1), x.slice(2)];
          return `argc=${n} argv=${a} cwd=${c}`;
        }),
      );
    });

    it('g3: no task_id and an empty one are errors (tasks/ created first); a number works and stays a number', async () => {
      const e = env();
      placeProbe(e.root, 'notask', orderSpec('{"id":"42"}'));
      placeProbe(e.root, 'emptytask', orderSpec('{"task_id":""}'));
      placeProbe(e.root, 'numtask', orderSpec('{"task_id":42}', '{"status":"in_progress"}'));
      let r = await e.run({ action: 'order', provider: 'notask', configId: '1', output: 'json' });
      expectJson(e, r, '{"message":"bxProvider::order2Provider: Provider notask doesn\'t return task_id","error":1}', 1);
      expect(r.stderr).to.equal(e.sub('Use of uninitialized value $task_id in pattern match (m//) at /opt/webdir/lib/bxProvider.pm line 425.\n'));
      r = await e.run({ action: 'order', provider: 'notask', configId: '1', output: 'plain' });
      expectPlain(e, r, "message:bxProvider::order2Provider: Provider notask doesn't return task_id\nerror:1\n", 1);
      expect(tasksOf(e, 'notask')).to.deep.equal(['drwxr-x--- tasks']);
      expectJson(e, await e.run({ action: 'orders_list', provider: 'notask', output: 'json' }), '{"params":{"provider_order_list":null}}');
      r = await e.run({ action: 'order', provider: 'emptytask', configId: '1', output: 'json' });
      expectJson(e, r, '{"message":"bxProvider::order2Provider: Provider emptytask doesn\'t return task_id","error":1}', 1);
      expect(r.stderr).to.equal('');
      expectJson(e, await e.run({ action: 'order', provider: 'numtask', configId: '1', output: 'json' }), '{"params":{"provider_order":{"numtask":{"task_id":42}}}}');
      expectPlain(e, await e.run({ action: 'order', provider: 'numtask', configId: '1', output: 'plain' }), 'provider:order:numtask:42');
      expect(tasksOf(e, 'numtask')).to.deep.equal(['drwxr-x--- tasks', '-rw-r--r-- tasks/42']);
      const m = mtimeOf(e, 'numtask', '42');
      expectJson(e, await e.run({ action: 'orders_list', provider: 'numtask', output: 'json' }), `{"params":{"provider_order_list":{"numtask":{"42":{"message":"","error":0,"mtime":${m},"status":"in_progress"}}}}}`);
    });

    it('a task id escaping tasks/ is refused, nothing written outside', async () => {
      const e = env();
      placeProbe(e.root, 'escape', orderSpec('{"task_id":"../../../../escaped"}'));
      const r = await e.run({ action: 'order', provider: 'escape', configId: '1', output: 'json' });
      expect(r.exitCode).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.match(/^bx-provider-kit host: refused: /);
      expect(fs.existsSync(path.join(path.dirname(e.root), 'escaped'))).to.equal(false);
    });
  });

  describe('h – order_status variants and order_to_host', () => {
    const numWarn = (s: string) => `Argument "${s}" isn't numeric in numeric eq (==) at /opt/webdir/lib/bxProvider.pm line 654.`;

    it('h1/h2: status error or pending: order_status exit 0; order_to_host passes the data through with warnings', async () => {
      for (const [name, answer, expected, status] of [
        ['sterror', '{"status":"error","message":"provisioning failed"}', '{"message":"provisioning failed","status":"error"}', 'error'],
        ['stpending', '{"status":"pending"}', '{"status":"pending"}', 'pending'],
      ]) {
        const e = env();
        placeProbe(e.root, name, orderSpec('{"task_id":"77"}', answer));
        await e.run({ action: 'order', provider: name, configId: '1', output: 'json' });
        expectJson(e, await e.run({ action: 'order_status', provider: name, taskId: '77', output: 'json' }), `{"params":{"provider_order":{"${name}":${expected}}}}`);
        let r = await e.run({ action: 'order_to_host', provider: name, taskId: '77', output: 'json' });
        expectJson(e, r, `{"params":{"provider_order":{"${name}":${expected}}}}`);
        expect(r.stderr).to.equal(e.sub(`${numWarn('in_progress')}\n${numWarn(status)}\n`));
        r = await e.run({ action: 'order_to_host', provider: name, taskId: '77', output: 'plain' });
        expectPlain(e, r, `provider:order:${name}:`);
        expect(r.stderr).to.equal(
          e.sub(`${numWarn('in_progress')}\n${numWarn(status)}\nUse of uninitialized value $provider_task in concatenation (.) or string at /opt/webdir/lib/Output.pm line 677.\n`),
        );
        const m = mtimeOf(e, name, '77');
        const msg = name === 'sterror' ? 'provisioning failed' : '';
        expectJson(e, await e.run({ action: 'orders_list', provider: name, output: 'json' }), `{"params":{"provider_order_list":{"${name}":{"77":{"message":"${msg}","error":0,"mtime":${m},"status":"${status}"}}}}}`);
      }
    });

    it('h3: a numeric status is "Unknown status"; a missing status is an error everywhere', async () => {
      const e = env();
      placeProbe(e.root, 'stnumeric', orderSpec('{"task_id":"77"}', '{"status":"5"}'));
      placeProbe(e.root, 'stnostatus', orderSpec('{"task_id":"77"}', '{"state":"finished"}'));
      for (const n of ['stnumeric', 'stnostatus']) await e.run({ action: 'order', provider: n, configId: '1', output: 'json' });
      expectJson(e, await e.run({ action: 'order_status', provider: 'stnumeric', taskId: '77', output: 'json' }), '{"params":{"provider_order":{"stnumeric":{"status":"5"}}}}');
      let r = await e.run({ action: 'order_to_host', provider: 'stnumeric', taskId: '77', output: 'json' });
      expectJson(e, r, '{"message":"Unknown status=5 for stnumeric","error":1}', 1);
      expect(r.stderr).to.equal(e.sub(numWarn('in_progress') + '\n'));
      let m = mtimeOf(e, 'stnumeric', '77');
      expectJson(e, await e.run({ action: 'orders_list', provider: 'stnumeric', output: 'json' }), `{"params":{"provider_order_list":{"stnumeric":{"77":{"message":"","error":0,"mtime":${m},"status":"5"}}}}}`);
      r = await e.run({ action: 'order_status', provider: 'stnostatus', taskId: '77', output: 'json' });
      expectJson(e, r, '{"message":"bxProvider::order_status2Provider: Provider stnostatus doesn\'t return status for task_id=77","error":1}', 1);
      expect(r.stderr).to.equal(e.sub('Use of uninitialized value $status in pattern match (m//) at /opt/webdir/lib/bxProvider.pm line 488.\n'));
      r = await e.run({ action: 'order_to_host', provider: 'stnostatus', taskId: '77', output: 'json' });
      expectJson(e, r, '{"message":"bxProvider::order_to_hostProvider: Provider stnostatus doesn\'t return status for task_id=77","error":1}', 1);
      expect(r.stderr).to.equal(e.sub('Use of uninitialized value $status in pattern match (m//) at /opt/webdir/lib/bxProvider.pm line 568.\n'));
      m = mtimeOf(e, 'stnostatus', '77');
      r = await e.run({ action: 'orders_list', provider: 'stnostatus', output: 'json' });
      expectJson(e, r, `{"params":{"provider_order_list":{"stnostatus":{"77":{"message":"bxProvider::order_status2Provider: Provider stnostatus doesn't return status for task_id=77","error":1,"mtime":${m}}}}}}`);
      expect(r.stderr).to.equal(e.sub('Use of uninitialized value $status in pattern match (m//) at /opt/webdir/lib/bxProvider.pm line 488.\n'));
    });

    it('h4: finished with a password on a host without a pool: the ansible.cfg error, kept in the task file', async () => {
      const e = env(false);
      placeProbe(e.root, 'stfinished', orderSpec('{"task_id":"77"}', '{"status":"finished","server":"192.0.2.10","server_password":"s3cret"}'));
      expectJson(e, await e.run({ action: 'order', provider: 'stfinished', configId: '1', output: 'json' }), '{"params":{"provider_order":{"stfinished":{"task_id":"77"}}}}');
      expectJson(e, await e.run({ action: 'order_status', provider: 'stfinished', taskId: '77', output: 'json' }), '{"params":{"provider_order":{"stfinished":{"server":"192.0.2.10","server_password":"s3cret","status":"finished"}}}}');
      const ansible = 'BX_KEY_VIEW: Cannot open main config /etc/ansible/ansible.cfg: No such file or directory';
      expectJson(e, await e.run({ action: 'order_to_host', provider: 'stfinished', taskId: '77', output: 'json' }), `{"message":"${ansible}","error":1}`, 1);
      expect(fs.readFileSync(path.join(e.root, 'providers/stfinished/tasks/77'), 'utf8')).to.equal(`error: ${ansible}`);
      expectJson(e, await e.run({ action: 'order_to_host', provider: 'stfinished', taskId: '77', output: 'json' }), `{"message":"bxProvider::order_to_hostProvider: task_id=77 already error: ${ansible}","error":1}`, 1);
      expectJson(e, await e.run({ action: 'order_status', provider: 'stfinished', taskId: '77', output: 'json' }), `{"params":{"provider_order":{"stfinished":{"message":"${ansible}","server":"192.0.2.10","server_password":"s3cret","error":1,"status":"error"}}}}`);
      const m = mtimeOf(e, 'stfinished', '77');
      expectJson(e, await e.run({ action: 'orders_list', provider: 'stfinished', output: 'json' }), `{"params":{"provider_order_list":{"stfinished":{"77":{"message":"${ansible}","error":1,"mtime":${m},"status":"error"}}}}}`);
      expectPlain(e, await e.run({ action: 'orders_list', provider: 'stfinished', output: 'plain' }), `provider:orders:stfinished:77:error:${m}:1:${ansible}\n`);
      expect(fs.readFileSync(path.join(e.root, 'logs/wrapper.log'), 'utf8')).to.include(`CODE_01 "${ansible}"`);
    });

    it('h5: finished without a password on a host without a pool: pool_not_created', async () => {
      const e = env(false);
      placeProbe(e.root, 'stfinnopass', orderSpec('{"task_id":"77"}', '{"status":"finished","server":"192.0.2.11"}'));
      await e.run({ action: 'order', provider: 'stfinnopass', configId: '1', output: 'json' });
      expectJson(e, await e.run({ action: 'order_to_host', provider: 'stfinnopass', taskId: '77', output: 'json' }), '{"message":"pool_not_created","error":1}', 1);
      expect(fs.readFileSync(path.join(e.root, 'providers/stfinnopass/tasks/77'), 'utf8')).to.equal('error: pool_not_created');
      expectJson(e, await e.run({ action: 'order_to_host', provider: 'stfinnopass', taskId: '77', output: 'json' }), '{"message":"bxProvider::order_to_hostProvider: task_id=77 already error: pool_not_created","error":1}', 1);
      expectJson(e, await e.run({ action: 'order_status', provider: 'stfinnopass', taskId: '77', output: 'json' }), '{"params":{"provider_order":{"stfinnopass":{"message":"pool_not_created","server":"192.0.2.11","error":1,"status":"error"}}}}');
      const m = mtimeOf(e, 'stfinnopass', '77');
      expectJson(e, await e.run({ action: 'orders_list', provider: 'stfinnopass', output: 'json' }), `{"params":{"provider_order_list":{"stfinnopass":{"77":{"message":"pool_not_created","error":1,"mtime":${m},"status":"error"}}}}}`);
    });

    it('h6: a task never ordered here is "Not found saved task_id"', async () => {
      const e = env();
      placeProbe(e.root, 'stfinished', orderSpec('{"task_id":"77"}', '{"status":"finished","server":"192.0.2.10","server_password":"s3cret"}'));
      expectJson(e, await e.run({ action: 'order_to_host', provider: 'stfinished', taskId: '555', output: 'json' }), '{"message":"bxProvider::order_to_hostProvider: Not found saved task_id=555 on this server","error":1}', 1);
      expectJson(e, await e.run({ action: 'orders_list', provider: 'stfinished', output: 'json' }), '{"message":"bxProvider: Cannot open dircetory /opt/webdir/providers/stfinished/tasks: No such file or directory","error":1}', 1);
    });

    it('h7: in_progress through order_to_host; a complete task file; re-ordering truncates it', async () => {
      const e = env();
      placeProbe(e.root, 'good', { answers: { ...GOOD.answers, order_status: '{"task_id":"999","status":"in_progress"}' } });
      let r = await e.run({ action: 'order_to_host', provider: 'good', taskId: '999', output: 'json' });
      expectJson(e, r, '{"params":{"provider_order":{"good":{"status":"in_progress","task_id":"999"}}}}');
      expect(r.stderr).to.equal(e.sub(`${numWarn('in_progress')}\n${numWarn('in_progress')}\n`));
      setAnswers(path.join(e.root, 'providers/good'), { answers: { ...GOOD.answers, order_status: '{"task_id":"24","status":"finished","server":"192.0.2.10"}' } });
      await e.run({ action: 'order', provider: 'good', configId: '1', output: 'json' });
      fs.writeFileSync(path.join(e.root, 'providers/good/tasks/24'), 'complete: Server=192.0.2.10 is added to the pool\n');
      expectJson(e, await e.run({ action: 'order_status', provider: 'good', taskId: '24', output: 'json' }), '{"params":{"provider_order":{"good":{"status":"complete","server":"192.0.2.10","task_id":"24"}}}}');
      expectJson(e, await e.run({ action: 'order_to_host', provider: 'good', taskId: '24', output: 'json' }), '{"message":"bxProvider::order_to_hostProvider: task_id=24 already complete: Server=192.0.2.10 is added to the pool\\n","error":1}', 1);
      const m = mtimeOf(e, 'good', '24');
      expectJson(e, await e.run({ action: 'orders_list', provider: 'good', output: 'json' }), `{"params":{"provider_order_list":{"good":{"24":{"message":"","error":0,"mtime":${m},"status":"complete"}}}}}`);
      expectPlain(e, await e.run({ action: 'orders_list', provider: 'good', output: 'plain' }), `provider:orders:good:24:complete:${m}::\n`);
      expectPlain(e, await e.run({ action: 'order', provider: 'good', configId: '1', output: 'plain' }), 'provider:order:good:24');
      expect(fs.readFileSync(path.join(e.root, 'providers/good/tasks/24'), 'utf8')).to.equal('');
    });

    it('with a pool: finished adds the server (complete task file), a second server with the same address is refused', async () => {
      const e = env();
      expect(e.host.hasPool()).to.equal(false); // created on the first run
      placeProbe(e.root, 'good');
      expectJson(e, await e.run({ action: 'order', provider: 'good', configId: '1', output: 'json' }), '{"params":{"provider_order":{"good":{"task_id":"24"}}}}');
      expect(e.host.hasPool()).to.equal(true);
      let r = await e.run({ action: 'order_to_host', provider: 'good', taskId: '24', output: 'json' });
      expectJson(e, r, '{"params":{"provider_order":{"good":{"status":"in_progress","task_id":"24"}}}}');
      r = await e.run({ action: 'order_to_host', provider: 'good', taskId: '24', output: 'json' });
      expectJson(e, r, '{"message":"Server=192.0.2.10 is added to the pool"}');
      expect(r.stderr).to.match(/^bx-provider-kit host: emulated: .*SSH key.*root@192\.0\.2\.10.*skipped/);
      expectPlain(e, await e.run({ action: 'order_to_host', provider: 'good', taskId: '24', output: 'plain' }), 'message:bxProvider::order_to_hostProvider: task_id=24 already complete: Server=192.0.2.10 is added to the pool\nerror:1\n', 1);
      expect(fs.readFileSync(path.join(e.root, 'providers/good/tasks/24'), 'utf8')).to.equal('complete: Server=192.0.2.10 is added to the pool');
      expect(readPool(e.root).hosts).to.have.length(1);
      expect(readPool(e.root).hosts[0]).to.include({ host: '192.0.2.10', provider: 'good', taskId: '24' });
      // the same server again (another task): a pool refuses a duplicate host
      setAnswers(path.join(e.root, 'providers/good'), { answers: { ...GOOD.answers, order: '{"task_id":"25"}', order_status: '{"task_id":"25","status":"finished","server":"192.0.2.10","server_password":"x"}' } });
      await e.run({ action: 'order', provider: 'good', configId: '1', output: 'json' });
      expectJson(e, await e.run({ action: 'order_to_host', provider: 'good', taskId: '25', output: 'json' }), '{"message":"Host: server=192.0.2.10 already exists in the pool","error":1}', 1);
      expect(fs.readFileSync(path.join(e.root, 'providers/good/tasks/25'), 'utf8')).to.equal('error: Host: server=192.0.2.10 already exists in the pool');
      expect(readPool(e.root).hosts).to.have.length(1);
    });

    it('with a pool: a bad server address is refused; no password is added with a warning; IPv6 and host names work', async () => {
      const e = env();
      const cases: [string, string, string | null][] = [
        ['30', '"server":"not an address!","server_password":"p"', 'Host: server=not an address! is not an IPv4/IPv6 address or a host name'],
        ['31', '"server":"999.1.1.1","server_password":"p"', 'Host: server=999.1.1.1 is not an IPv4/IPv6 address or a host name'],
        ['32', '"server_password":"p"', 'Host: the order_status answer has no server address'],
        ['33', '"server":"2001:db8::5"', null],
        ['34', '"server":"vps-34.example.net","server_password":"p"', null],
      ];
      placeProbe(e.root, 'p', orderSpec('{"task_id":"0"}'));
      for (const [task, fields, err] of cases) {
        setAnswers(path.join(e.root, 'providers/p'), orderSpec(`{"task_id":"${task}"}`, `{"status":"finished",${fields}}`));
        await e.run({ action: 'order', provider: 'p', configId: '1', output: 'json' });
        const r = await e.run({ action: 'order_to_host', provider: 'p', taskId: task, output: 'json' });
        if (err) expectJson(e, r, JSON.stringify({ message: err, error: 1 }), 1);
        else {
          const server = /"server":"([^"]+)"/.exec(fields)![1];
          expectJson(e, r, JSON.stringify({ message: `Server=${server} is added to the pool` }));
          if (!fields.includes('password')) expect(r.stderr).to.match(/no server_password/);
        }
      }
      expect(readPool(e.root).hosts.map((h) => h.host)).to.deep.equal(['2001:db8::5', 'vps-34.example.net']);
    });
  });

  describe('i – slow plugins', () => {
    it('waits for the plugin however long it takes (no timeout), like the real host', async () => {
      const e = env();
      placeProbe(e.root, 'sleepy', { answers: GOOD.answers, sleep: { configs: 1.2 } });
      const t = Date.now();
      const r = await e.run({ action: 'configs', provider: 'sleepy', output: 'json' });
      expect(Date.now() - t).to.be.at.least(1100);
      expectJson(e, r, '{"params":{"provider_configs":{"sleepy":{"status":"enabled","configurations":[{"descr":"VPS 1CPU/1GB","id":1}]}}}}');
      expect(r.calls[1].durationMs).to.be.at.least(1100);
    });

    it('callTimeoutMs kills the whole process group and says so: nothing on stdout, exit 2 (not an answer the plugin never gave)', async () => {
      const e = env();
      placeProbe(e.root, 'sleepy', { answers: GOOD.answers, sleep: { configs: 30 } });
      const t = Date.now();
      const r = await e.run({ action: 'configs', provider: 'sleepy', output: 'json', callTimeoutMs: 500 });
      expect(Date.now() - t).to.be.below(15000);
      expect(r.calls[1]).to.include({ timedOut: true, signal: 'SIGKILL' });
      expect(r).to.deep.include({ exitCode: 2, stdout: '' });
      expect(r.timedOut).to.deep.equal({ argv: [path.join(e.root, 'providers/sleepy/bin/sleepy'), 'configs'], limitMs: 500 });
      expect(r.stderr).to.equal(
        `bx-provider-kit host: the plugin call \`${e.root}/providers/sleepy/bin/sleepy configs\` did not end within the call timeout (500 ms); ` +
          'the emulator killed its process group and answers nothing (exit 2); the real host has no timeout and would still be waiting\n',
      );
      expectJson(e, await e.run({ action: 'list', output: 'json', callTimeoutMs: 5000 }), '{"params":{"providers":{"sleepy":{"status":"enabled"}}}}');
    });
  });

  describe('X1 – shell expansion and injection are refused', () => {
    it('"1; echo INJECTED >&2" and "$(id -un)" are never run; stderr says what the real host would have run', async () => {
      const e = env();
      placeProbe(e.root, 'good');
      for (const configId of ['1; echo INJECTED-VIA-CONFIG_ID >&2', '$(id -un)', '`id -un`', '1 | cat', '1 && x', "'1'", '1 > /tmp/x', '*', '1\n2']) {
        const r = await e.run({ action: 'order', provider: 'good', configId, output: 'json' });
        expect(r.exitCode, configId).to.equal(2);
        expect(r.stdout).to.equal('');
        expect(r.stderr.split('\n')).to.not.include('INJECTED-VIA-CONFIG_ID');
        expect(r.stderr).to.include(`bx-provider-kit host: refused: the real bx-provider would run \`${e.root}/providers/good/bin/good order ${configId}\``);
        expect(r.refused?.line).to.equal(`${e.root}/providers/good/bin/good order ${configId}`);
        expect(r.calls.map((c) => c.argv.slice(1))).to.deep.equal([['help']]);
      }
      expect(callsLog(e.root, 'good').some((l) => l.includes('order'))).to.equal(false);
      expect(fs.existsSync(path.join(e.root, 'providers/good/tasks'))).to.equal(false);
    });

    it('plain words split as the shell would: "1  2" gives order 1 2', async () => {
      const e = env();
      placeProbe(e.root, 'good');
      await e.run({ action: 'order', provider: 'good', configId: '1  2', output: 'json' });
      expect(callsLog(e.root, 'good').pop()).to.equal(`argc=3 argv=[order 1 2] cwd=${cwdOf(e)}`);
    });

    it('a root path with blanks or shell characters is never split (it stands for /opt/webdir)', async () => {
      const e = env();
      const root = path.join(path.dirname(e.root), 'my web$dir (1)');
      const host = new Host({ root });
      placeProbe(root, 'good');
      const r = await host.run({ action: 'configs', provider: 'good', output: 'plain', cwd: e.cwd });
      expect(r.stdout).to.equal('provider:configs:good:enabled:1:VPS 1CPU/1GB\n');
    });

    it('a provider name leaving ROOT/providers is refused', async () => {
      const e = env();
      const r = e.run({ action: 'install', provider: '../../evil', output: 'json' });
      await r.then(
        () => expect.fail('should throw'),
        (err: Error) => expect(err.message).to.match(/leaves/),
      );
    });
  });

  describe('X2 – missing arguments, unimplemented and unknown actions', () => {
    it('orders_list before any order, missing config_id/task_id, status without --provider, pool', async () => {
      const e = env();
      placeProbe(e.root, 'good');
      expectJson(e, await e.run({ action: 'orders_list', provider: 'good', output: 'json' }), '{"message":"bxProvider: Cannot open dircetory /opt/webdir/providers/good/tasks: No such file or directory","error":1}', 1);
      expectJson(e, await e.run({ action: 'orders_list', output: 'json' }), '{"params":{"provider_order_list":{}}}');
      let r = await e.run({ action: 'order', provider: 'good', output: 'json' });
      expectJson(e, r, '{"message":"bxProvider::order2Provider: You must provide config_id for order","error":1}', 1);
      expect(r.calls).to.have.length(0);
      expectJson(e, await e.run({ action: 'order_status', provider: 'good', output: 'json' }), '{"message":"bxProvider::order_status2Provider: You must provide task_id for status request","error":1}', 1);
      expectJson(e, await e.run({ action: 'order_to_host', provider: 'good', output: 'json' }), '{"message":"bxProvider::order_to_hostProvider: You must provide task_id for status request","error":1}', 1);
      r = await e.run({ action: 'status', output: 'json' });
      expectJson(e, r, '{"message":"bxProvider::optionsProvider: Provider  not exist on the host","error":1}', 1);
      expect(r.stderr).to.equal(
        e.sub(
          [
            'Use of uninitialized value in subroutine entry at /opt/webdir/lib/bxProvider.pm line 106.',
            'Use of uninitialized value in subroutine entry at /opt/webdir/lib/bxProvider.pm line 126.',
            'Use of uninitialized value $provider_name in concatenation (.) or string at /opt/webdir/lib/bxProvider.pm line 127.',
            'Use of uninitialized value $provider_name in concatenation (.) or string at /opt/webdir/lib/bxProvider.pm line 324.',
            '',
          ].join('\n'),
        ),
      );
      expectJson(e, await e.run({ action: 'pool', provider: 'good', output: 'json' }), '{"message":"Unknown action=pool","error":1}', 1);
      expectPlain(e, await e.run({ action: 'pool', provider: 'good', output: 'plain' }), 'message:Unknown action=pool\nerror:1\n', 1);
    });
  });
});

describe('host emulator: odd provider names', () => {
  it('an empty --provider is not a kit error: it behaves as the real host (all providers for orders_list)', async () => {
    const e = env();
    placeProbe(e.root, 'good');
    expectJson(e, await e.run({ action: 'status', provider: '', output: 'json' }), '{"message":"bxProvider::optionsProvider: Provider  not exist on the host","error":1}', 1);
    expectJson(e, await e.run({ action: 'orders_list', provider: '', output: 'json' }), '{"params":{"provider_order_list":{}}}');
  });
});

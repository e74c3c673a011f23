/**
 * The emulator against the recorded host runs (packages/schemas/fixtures/host-9.0.9): one `describe` per transcript section, real probe
 * plugins (bash), real archives, comparing parsed JSON, exact plain text, exit codes and files.
 * "/opt/webdir" in the transcripts stands for the emulator's root.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { GOOD, GOOD_CONFIGS, GOOD_HELP, callsLog, listing, placeProbe, setAnswers, tarCzf, writeProbe } from './testkit.js';
import { ALL_OPTS, NO_OPTS, cleanup, env, expectDie, expectJson, expectPlain, probeFiles, statusJson, withConfigs } from './expect.js';

after(cleanup);

describe('host emulator (the recorded host runs)', function () {
  this.timeout(60000);

  describe('G – general behaviour', () => {
    it('G3/G4: runs help before every action, in the caller cwd, arguments split like plain shell words', async () => {
      const e = env();
      const src = writeProbe(path.join(path.dirname(e.root), 'src'), 'good');
      const archive = tarCzf(path.join(path.dirname(e.root), 'good.tar.gz'), src);
      expect((await e.run({ action: 'install', provider: 'good', archive, output: 'json' })).exitCode).to.equal(0);
      for (const o of [
        { action: 'list' },
        { action: 'status', provider: 'good' },
        { action: 'configs', provider: 'good' },
        { action: 'order', provider: 'good', configId: '1' },
        { action: 'order_status', provider: 'good', taskId: '24' },
        { action: 'orders_list', provider: 'good' },
        { action: 'uninstall', provider: 'good' },
      ])
        await e.run({ ...o, output: 'json' });
      const cwd = fs.realpathSync(e.cwd);
      expect(callsLog(e.root, 'good')).to.deep.equal(
        ['[help]', '[help]', '[help]', '[configs]', '[help]', '[order 1]', '[help]', '[order_status 24]', '[help]', '[order_status 24]', '[help]'].map(
          (a) => `argc=${a.split(' ').length} argv=${a} cwd=${cwd}`,
        ),
      );
    });

    it('G1/G2: compact JSON without trailing newline; exit code = error; the calls are reported', async () => {
      const e = env();
      placeProbe(e.root, 'good');
      const r = await e.run({ action: 'configs', provider: 'good', output: 'json' });
      expect(r.stdout).to.not.match(/\s$/);
      expect(r.stdout).to.not.include('\n');
      expect(r.calls.map((c) => c.argv)).to.deep.equal([[path.join(e.root, 'providers/good/bin/good'), 'help'], [path.join(e.root, 'providers/good/bin/good'), 'configs']]);
      expect(r.calls[1]).to.include({ exitCode: 0, signal: null, timedOut: false });
      expect(r.calls[1].stdout).to.equal(GOOD_CONFIGS);
      expect(r.calls[1].durationMs).to.be.a('number');
    });

    it('G6: an unknown -a or -o prints the usage on stdout, exit 0; text/txt are plain', async () => {
      const e = env();
      placeProbe(e.root, 'good');
      for (const o of [{ action: 'bogus', output: 'json' }, { action: 'list', output: 'xml' }, { action: '' }]) {
        const r = await e.run(o);
        expect(r.exitCode).to.equal(0);
        expect(r.stdout.split('\n')[0]).to.equal(
          'Usage: bx-provider [-vh] [-a status|list|install|uninstall|pool|configs|order|orders_list|order_status|order_to_host] [--provider provider_name] ',
        );
        expect(r.stdout.split('\n')[1]).to.equal('   [--config_id configuration_id] [--task_id configuration_task_id] [--archive /path/to/archive.tar.gz ] ');
        expect(r.stdout.split('\n')[2]).to.equal('Options:');
        expect(r.calls).to.have.length(0);
      }
      for (const output of ['text', 'txt', 'plain', undefined]) expectPlain(e, await e.run({ action: 'list', output }), 'provider:status:good:enabled\n');
      expectPlain(e, await e.run({}), 'provider:status:good:enabled\n');
    });
  });

  describe('a – well-behaved plugin, the whole flow in json and plain', () => {
    it('install, list, status, configs, order, order_status x2, orders_list, uninstall, status, and the files', async () => {
      const e = env(false);
      const src = writeProbe(path.join(path.dirname(e.root), 'src'), 'good');
      const archive = tarCzf(path.join(path.dirname(e.root), 'good.tar.gz'), src);
      let r = await e.run({ action: 'install', provider: 'good', archive, output: 'json' });
      expectJson(e, r, '{"message":"bxProvider: Provider data created, you can found it in /opt/webdir/providers/good"}');
      expect(r.stderr).to.equal('');
      expectJson(e, await e.run({ action: 'list', output: 'json' }), '{"params":{"providers":{"good":{"status":"enabled"}}}}');
      expectJson(e, await e.run({ action: 'status', provider: 'good', output: 'json' }), statusJson('good', ALL_OPTS));
      expectJson(
        e,
        await e.run({ action: 'configs', provider: 'good', output: 'json' }),
        '{"params":{"provider_configs":{"good":{"status":"enabled","configurations":[{"descr":"VPS 1CPU/1GB","id":1}]}}}}',
      );
      expectJson(e, await e.run({ action: 'order', provider: 'good', configId: '1', output: 'json' }), '{"params":{"provider_order":{"good":{"task_id":"24"}}}}');
      expectJson(
        e,
        await e.run({ action: 'order_status', provider: 'good', taskId: '24', output: 'json' }),
        '{"params":{"provider_order":{"good":{"status":"in_progress","task_id":"24"}}}}',
      );
      expectJson(
        e,
        await e.run({ action: 'order_status', provider: 'good', taskId: '24', output: 'json' }),
        '{"params":{"provider_order":{"good":{"server":"192.0.2.10","server_password":"s3cret","status":"finished","task_id":"24"}}}}',
      );
      const before = Math.floor(Date.now() / 1000);
      r = await e.run({ action: 'orders_list', provider: 'good', output: 'json' });
      const mtime = (r.json as { params: { provider_order_list: { good: { '24': { mtime: number } } } } }).params.provider_order_list.good['24'].mtime;
      expect(mtime).to.be.a('number').and.satisfy(Number.isInteger).and.within(before - 120, before + 5);
      expect(mtime).to.equal(Math.floor(fs.statSync(path.join(e.root, 'providers/good/tasks/24')).mtimeMs / 1000));
      expectJson(e, r, `{"params":{"provider_order_list":{"good":{"24":{"message":"","error":0,"mtime":${mtime},"status":"finished"}}}}}`);
      expectJson(e, await e.run({ action: 'orders_list', output: 'json' }), `{"params":{"provider_order_list":{"good":{"24":{"message":"","error":0,"mtime":${mtime},"status":"finished"}}}}}`);
      expectPlain(e, await e.run({ action: 'list', output: 'plain' }), 'provider:status:good:enabled\n');
      expectPlain(e, await e.run({ action: 'status', provider: 'good', output: 'plain' }), 'provider:options:good:enabled:configs,help,order,order_status\n');
      expectPlain(e, await e.run({ action: 'configs', provider: 'good', output: 'plain' }), 'provider:configs:good:enabled:1:VPS 1CPU/1GB\n');
      expectPlain(e, await e.run({ action: 'order_status', provider: 'good', taskId: '24', output: 'plain' }), 'provider:order:good:24');
      expectPlain(e, await e.run({ action: 'orders_list', provider: 'good', output: 'plain' }), `provider:orders:good:24:finished:${mtime}::\n`);
      expectJson(e, await e.run({ action: 'uninstall', provider: 'good', output: 'json' }), '{"message":"bxProvider: Provider data deleted from /opt/webdir/providers/good"}');
      expectJson(e, await e.run({ action: 'status', provider: 'good', output: 'json' }), statusJson('good', ALL_OPTS));
      expect(probeFiles(listing(path.join(e.root, 'providers')))).to.deep.equal([
        'drwxr-xr-x .',
        'drwxr-xr-x good',
        'drwxr-xr-x good/bin',
        '-rwxr-xr-x good/bin/good',
        'drwxr-xr-x good/etc',
        '-rw-r--r-- good/etc/good.conf',
        'drwxr-x--- good/tasks',
        '-rw-r--r-- good/tasks/24',
      ]);
      expect(fs.readFileSync(path.join(e.root, 'providers/good/tasks/24'), 'utf8')).to.equal('');
    });
  });

  describe('b – malformed plugin output', () => {
    const cases: [string, string, string][] = [
      ['b1 invalid JSON', '{"configurations": [ {"id":1,"descr":"x"} \n', ', or ] expected while parsing array, at character offset 43 (before "(end of string)") at /opt/webdir/lib/bxProvider.pm line 57.'],
      ['b3 two newlines', '\n\n', 'malformed JSON string, neither array, object, number, string or atom, at character offset 2 (before "(end of string)") at /opt/webdir/lib/bxProvider.pm line 57.'],
      ['b4 an array', '[{"id":1,"descr":"x"}]', 'Not a HASH reference at /opt/webdir/lib/bxProvider.pm line 58.'],
      ['b5 a debug line first', 'DEBUG: contacting API\n{"status":"enabled"}\n', 'malformed JSON string, neither array, object, number, string or atom, at character offset 0 (before "DEBUG: contacting AP...") at /opt/webdir/lib/bxProvider.pm line 57.'],
      ['b6 a BOM', '\xef\xbb\xbf{"status":"enabled"}', 'malformed JSON string, neither array, object, number, string or atom, at character offset 0 (before "\\x{c3}\\x{af}\\x{c2}\\x{bb}...") at /opt/webdir/lib/bxProvider.pm line 57.'],
      ['b7 two objects', '{"status":"enabled"}\n{"configurations":[{"id":1,"descr":"x"}]}', 'garbage after JSON object, at character offset 22 (before ""configurations":[{"...") at /opt/webdir/lib/bxProvider.pm line 57.'],
    ];
    for (const [title, out, die] of cases) {
      it(`${title}: dies in json and plain`, async () => {
        const e = env();
        placeProbe(e.root, 'p', withConfigs(''));
        setAnswers(path.join(e.root, 'providers/p'), { answers: { help: GOOD_HELP, configs: Buffer.from(out, 'latin1') } });
        for (const output of ['json', 'plain']) expectDie(e, await e.run({ action: 'configs', provider: 'p', output }), die);
      });
    }

    it('b2: empty output and a single newline are a clean "return empty string" error', async () => {
      const e = env();
      placeProbe(e.root, 'emptyout', withConfigs(''));
      placeProbe(e.root, 'newline', withConfigs('\n'));
      expectJson(
        e,
        await e.run({ action: 'configs', provider: 'emptyout', output: 'json' }),
        '{"message":"bxProvider::executeProviderCmd: Command `/opt/webdir/providers/emptyout/bin/emptyout configs` return empty string","error":1}',
        1,
      );
      expectPlain(
        e,
        await e.run({ action: 'configs', provider: 'emptyout', output: 'plain' }),
        'message:bxProvider::executeProviderCmd: Command `/opt/webdir/providers/emptyout/bin/emptyout configs` return empty string\nerror:1\n',
        1,
      );
      expectJson(
        e,
        await e.run({ action: 'configs', provider: 'newline', output: 'json' }),
        '{"message":"bxProvider::executeProviderCmd: Command `/opt/webdir/providers/newline/bin/newline configs` return empty string","error":1}',
        1,
      );
    });

    it('b8: non-ASCII UTF-8 passes through unchanged in json and plain', async () => {
      const e = env();
      placeProbe(e.root, 'utf8descr', withConfigs('{"status":"enabled","configurations":[{"id":1,"descr":"ВПС 1 ядро"}]}'));
      const r = await e.run({ action: 'configs', provider: 'utf8descr', output: 'json' });
      expectJson(e, r, '{"params":{"provider_configs":{"utf8descr":{"status":"enabled","configurations":[{"descr":"ВПС 1 ядро","id":1}]}}}}');
      expect(r.stdoutBytes.includes(Buffer.from('ВПС 1 ядро', 'utf8'))).to.equal(true);
      expectPlain(e, await e.run({ action: 'configs', provider: 'utf8descr', output: 'plain' }), 'provider:configs:utf8descr:enabled:1:ВПС 1 ядро\n');
    });

    it('b9: stderr is forwarded in order, the exit status is ignored', async () => {
      const e = env();
      placeProbe(e.root, 'stderrexit', { answers: { help: GOOD_HELP, configs: GOOD_CONFIGS }, stderr: { configs: 'DEBUG to stderr\n' }, exit: 3 });
      const chunks: string[] = [];
      const r = await e.run({ action: 'configs', provider: 'stderrexit', output: 'json', onStderr: (c) => chunks.push(c.toString()) });
      expectJson(e, r, '{"params":{"provider_configs":{"stderrexit":{"status":"enabled","configurations":[{"descr":"VPS 1CPU/1GB","id":1}]}}}}');
      expect(r.stderr).to.equal('DEBUG to stderr\n');
      expect(chunks.join('')).to.equal('DEBUG to stderr\n');
      expect(r.calls[1].exitCode).to.equal(3);
      expectPlain(e, await e.run({ action: 'configs', provider: 'stderrexit', output: 'plain' }), 'provider:configs:stderrexit:enabled:1:VPS 1CPU/1GB\n');
    });

    it('b10/k2: broken help kills status, configs and list (for every provider)', async () => {
      const e = env();
      placeProbe(e.root, 'good');
      placeProbe(e.root, 'badhelp', { answers: { help: 'this is not json\n' } });
      const die = `'true' expected, at character offset 0 (before "this is not json\\n") at /opt/webdir/lib/bxProvider.pm line 57.`;
      expectDie(e, await e.run({ action: 'status', provider: 'badhelp', output: 'json' }), die);
      expectDie(e, await e.run({ action: 'configs', provider: 'badhelp', output: 'json' }), die);
      expectDie(e, await e.run({ action: 'list', output: 'json' }), die);
      expectDie(e, await e.run({ action: 'list', output: 'plain' }), die);
      expectDie(e, await e.run({ action: 'orders_list', output: 'json' }), die);
      expectJson(e, await e.run({ action: 'status', provider: 'good', output: 'json' }), statusJson('good', ALL_OPTS));
    });

    it('b11: help printing nothing: status exists, every option 0, actions refused', async () => {
      const e = env();
      placeProbe(e.root, 'emptyhelp', { answers: { help: '', configs: GOOD_CONFIGS } });
      expectJson(e, await e.run({ action: 'status', provider: 'emptyhelp', output: 'json' }), statusJson('emptyhelp', NO_OPTS, 'exists'));
      expectJson(e, await e.run({ action: 'list', output: 'json' }), '{"params":{"providers":{"emptyhelp":{"status":"exists"}}}}');
      expectJson(e, await e.run({ action: 'configs', provider: 'emptyhelp', output: 'json' }), '{"message":"bxProvider::configsProvider: Provider emptyhelp doesn\'t support configs option","error":1}', 1);
      expectPlain(e, await e.run({ action: 'list', output: 'plain' }), 'provider:status:emptyhelp:exists\n');
    });

    it('bin/NAME that is a directory passes -x; the shell cannot run it: help error swallowed', async () => {
      const e = env();
      fs.mkdirSync(path.join(e.root, 'providers/dirbin/bin/dirbin'), { recursive: true });
      const r = await e.run({ action: 'status', provider: 'dirbin', output: 'json' });
      expectJson(e, r, statusJson('dirbin', NO_OPTS, 'exists', 'not_exists'));
      expect(r.stderr).to.equal(e.sub('sh: 1: /opt/webdir/providers/dirbin/bin/dirbin: Permission denied\n'));
    });

    it('b12: options as a string dies and breaks list', async () => {
      const e = env();
      placeProbe(e.root, 'stringopts', { answers: { help: '{"options":"help,configs,order,order_status","status":"enabled"}' } });
      const die = `Can't use string ("help,configs,order,order_status") as an ARRAY ref while "strict refs" in use at /opt/webdir/lib/bxProvider.pm line 145.`;
      expectDie(e, await e.run({ action: 'status', provider: 'stringopts', output: 'json' }), die);
      expectDie(e, await e.run({ action: 'list', output: 'json' }), die);
    });
  });

  describe('c – "error": 0 in a success answer', () => {
    it('errzero: status fine, configs/order/order_status die (stale errno 2 on the first order), orders_list null', async () => {
      const e = env();
      placeProbe(e.root, 'errzero', {
        answers: {
          help: GOOD_HELP,
          configs: '{"error":0,"status":"enabled","configurations":[{"id":1,"descr":"x"}]}',
          order: '{"error":0,"task_id":"5"}',
          order_status: '{"error":0,"status":"in_progress"}',
        },
      });
      const warn = 'Use of uninitialized value in concatenation (.) or string at /opt/webdir/lib/bxProvider.pm line 61.';
      expectJson(e, await e.run({ action: 'status', provider: 'errzero', output: 'json' }), statusJson('errzero', ALL_OPTS));
      for (const output of ['json', 'plain']) {
        const r = await e.run({ action: 'configs', provider: 'errzero', output });
        expectDie(e, r, warn);
        expect(r.stderr.split('\n')[1]).to.equal(e.sub("Can't use an undefined value as an ARRAY reference at /opt/webdir/lib/bxProvider.pm line 371."));
      }
      let r = await e.run({ action: 'order', provider: 'errzero', configId: '1', output: 'json' });
      expectDie(e, r, warn, 2);
      expect(r.stderr.split('\n')[1]).to.equal(e.sub("Can't use an undefined value as an ARRAY reference at /opt/webdir/lib/bxProvider.pm line 423."));
      expectDie(e, await e.run({ action: 'order', provider: 'errzero', configId: '1', output: 'plain' }), warn, 255);
      r = await e.run({ action: 'order_status', provider: 'errzero', taskId: '5', output: 'json' });
      expectDie(e, r, warn);
      expect(r.stderr.split('\n')[1]).to.equal(e.sub("Can't use an undefined value as an ARRAY reference at /opt/webdir/lib/bxProvider.pm line 486."));
      expectJson(e, await e.run({ action: 'orders_list', provider: 'errzero', output: 'json' }), '{"params":{"provider_order_list":null}}');
      expect(listing(path.join(e.root, 'providers/errzero'))).to.include('drwxr-x--- tasks');
      // without --provider: `get_data->[1]->{NAME}` of an undef list autovivifies to undef
      expectJson(e, await e.run({ action: 'orders_list', output: 'json' }), '{"params":{"provider_order_list":{"errzero":null}}}');
      expectPlain(e, await e.run({ action: 'orders_list', output: 'plain' }), '');
    });

    it('errzerohelp: status and list die at line 143', async () => {
      const e = env();
      placeProbe(e.root, 'errzerohelp', { answers: { help: '{"error":0,"options":["help","configs","order","order_status"],"status":"enabled"}' } });
      for (const o of [{ action: 'status', provider: 'errzerohelp' }, { action: 'list' }]) {
        const r = await e.run({ ...o, output: 'json' });
        expectDie(e, r, 'Use of uninitialized value in concatenation (.) or string at /opt/webdir/lib/bxProvider.pm line 61.');
        expect(r.stderr.split('\n')[1]).to.equal(e.sub("Can't use an undefined value as an ARRAY reference at /opt/webdir/lib/bxProvider.pm line 143."));
      }
    });
  });

  describe('d – plugin error answers', () => {
    it('d1: error + error_message: cmd=`...` return MSG, exit = the plugin error; orders_list before any order', async () => {
      const e = env();
      placeProbe(e.root, 'errmsg', {
        answers: {
          help: GOOD_HELP,
          configs: '{"error":1,"error_message":"API quota exceeded"}',
          order: '{"error":2,"error_message":"no such config"}',
          order_status: '{"error":1,"error_message":"task lost"}',
        },
      });
      expectJson(e, await e.run({ action: 'configs', provider: 'errmsg', output: 'json' }), '{"message":"cmd=`/opt/webdir/providers/errmsg/bin/errmsg configs` return API quota exceeded","error":1}', 1);
      expectPlain(e, await e.run({ action: 'configs', provider: 'errmsg', output: 'plain' }), 'message:cmd=`/opt/webdir/providers/errmsg/bin/errmsg configs` return API quota exceeded\nerror:1\n', 1);
      expectJson(e, await e.run({ action: 'order', provider: 'errmsg', configId: '1', output: 'json' }), '{"message":"cmd=`/opt/webdir/providers/errmsg/bin/errmsg order 1` return no such config","error":2}', 2);
      expectPlain(e, await e.run({ action: 'order', provider: 'errmsg', configId: '1', output: 'plain' }), 'message:cmd=`/opt/webdir/providers/errmsg/bin/errmsg order 1` return no such config\nerror:2\n', 2);
      expectJson(e, await e.run({ action: 'order_status', provider: 'errmsg', taskId: '9', output: 'json' }), '{"message":"cmd=`/opt/webdir/providers/errmsg/bin/errmsg order_status 9` return task lost","error":1}', 1);
      expectPlain(e, await e.run({ action: 'order_status', provider: 'errmsg', taskId: '9', output: 'plain' }), 'message:cmd=`/opt/webdir/providers/errmsg/bin/errmsg order_status 9` return task lost\nerror:1\n', 1);
      expectJson(e, await e.run({ action: 'orders_list', provider: 'errmsg', output: 'json' }), '{"message":"bxProvider: Cannot open dircetory /opt/webdir/providers/errmsg/tasks: No such file or directory","error":1}', 1);
    });

    it('d2: "message" instead of "error_message": the text is lost, plus a Perl warning', async () => {
      const e = env();
      placeProbe(e.root, 'errnomsg', withConfigs('{"error":1,"message":"API quota exceeded"}'));
      let r = await e.run({ action: 'configs', provider: 'errnomsg', output: 'json' });
      expectJson(e, r, '{"message":"cmd=`/opt/webdir/providers/errnomsg/bin/errnomsg configs` return ","error":1}', 1);
      expect(r.stderr).to.equal(e.sub('Use of uninitialized value in concatenation (.) or string at /opt/webdir/lib/bxProvider.pm line 61.\n'));
      r = await e.run({ action: 'configs', provider: 'errnomsg', output: 'plain' });
      expectPlain(e, r, 'message:cmd=`/opt/webdir/providers/errnomsg/bin/errnomsg configs` return \nerror:1\n', 1);
    });

    it('d3: error true / "yes" die on the Moose Int constraint (exit 2)', async () => {
      const e = env();
      placeProbe(e.root, 'errtrue', withConfigs('{"error":true,"error_message":"x"}', { order: '{"error":"yes","error_message":"x"}' }));
      let r = await e.run({ action: 'configs', provider: 'errtrue', output: 'json' });
      expect(r.stdout).to.equal('');
      expect(r.exitCode).to.equal(2);
      expect(r.stderr).to.match(/^Attribute \(error\) does not pass the type constraint because: Validation failed for 'Int' with value JSON::PP::Boolean=SCALAR\(0x[0-9a-f]+\) at \/usr\/lib\/x86_64-linux-gnu\/perl5\/5\.36\/Moose\/Object\.pm line 24\n/);
      r = await e.run({ action: 'order', provider: 'errtrue', configId: '1', output: 'json' });
      expectDie(e, r, "Attribute (error) does not pass the type constraint because: Validation failed for 'Int' with value yes at /usr/lib/x86_64-linux-gnu/perl5/5.36/Moose/Object.pm line 24", 2);
    });

    it('d4: an error from help is swallowed (exists, options 0, actions refused)', async () => {
      const e = env();
      placeProbe(e.root, 'errhelp', { answers: { help: '{"error":1,"error_message":"bad credentials"}', configs: GOOD_CONFIGS } });
      expectJson(e, await e.run({ action: 'status', provider: 'errhelp', output: 'json' }), statusJson('errhelp', NO_OPTS, 'exists'));
      expectJson(e, await e.run({ action: 'list', output: 'json' }), '{"params":{"providers":{"errhelp":{"status":"exists"}}}}');
      expectJson(e, await e.run({ action: 'configs', provider: 'errhelp', output: 'json' }), '{"message":"bxProvider::configsProvider: Provider errhelp doesn\'t support configs option","error":1}', 1);
    });
  });

  describe('e – help variants', () => {
    it('e1: disabled is shown but every action refused; orders_list without --provider skips it', async () => {
      const e = env();
      placeProbe(e.root, 'disabled', { answers: { ...GOOD.answers, help: '{"options":["help","configs","order","order_status"],"status":"disabled"}' } });
      expectJson(e, await e.run({ action: 'status', provider: 'disabled', output: 'json' }), statusJson('disabled', ALL_OPTS, 'disabled'));
      expectPlain(e, await e.run({ action: 'status', provider: 'disabled', output: 'plain' }), 'provider:options:disabled:disabled:configs,help,order,order_status\n');
      expectJson(e, await e.run({ action: 'list', output: 'json' }), '{"params":{"providers":{"disabled":{"status":"disabled"}}}}');
      expectPlain(e, await e.run({ action: 'list', output: 'plain' }), 'provider:status:disabled:disabled\n');
      const refused = (sub: string) => `{"message":"bxProvider::${sub}: Provider disabled disabled on the host","error":1}`;
      expectJson(e, await e.run({ action: 'configs', provider: 'disabled', output: 'json' }), refused('configsProvider'), 1);
      expectJson(e, await e.run({ action: 'order', provider: 'disabled', configId: '1', output: 'json' }), refused('order2Provider'), 1);
      expectJson(e, await e.run({ action: 'order_status', provider: 'disabled', taskId: '1', output: 'json' }), refused('order_status2Provider'), 1);
      expectJson(e, await e.run({ action: 'orders_list', provider: 'disabled', output: 'json' }), refused('listOrders4Provider'), 1);
      expectJson(e, await e.run({ action: 'orders_list', output: 'json' }), '{"params":{"provider_order_list":{}}}');
      expectJson(e, await e.run({ action: 'order_to_host', provider: 'disabled', taskId: '1', output: 'json' }), refused('order_to_hostProvider'), 1);
      expectJson(e, await e.run({ action: 'uninstall', provider: 'disabled', output: 'json' }), '{"message":"bxProvider: Provider data deleted from /opt/webdir/providers/disabled"}');
      expect(callsLog(e.root, 'disabled').every((l) => l.includes('argv=[help]'))).to.equal(true);
    });

    it('e2: an action missing from options is refused without calling the plugin', async () => {
      const e = env();
      placeProbe(e.root, 'noorder', { answers: { help: '{"options":["help","configs","order_status"],"status":"enabled"}', configs: GOOD_CONFIGS, order_status: '{"status":"in_progress"}' } });
      expectJson(e, await e.run({ action: 'status', provider: 'noorder', output: 'json' }), statusJson('noorder', '{"order":0,"configs":1,"order_status":1,"help":1,"init":0}'));
      expectPlain(e, await e.run({ action: 'status', provider: 'noorder', output: 'plain' }), 'provider:options:noorder:enabled:configs,help,order_status\n');
      let r = await e.run({ action: 'order', provider: 'noorder', configId: '1', output: 'json' });
      expectJson(e, r, '{"message":"bxProvider::order2Provider: Provider noorder doesn\'t support order option","error":1}', 1);
      expect(r.calls.map((c) => c.argv[1])).to.deep.equal(['help']);
      r = await e.run({ action: 'order', provider: 'noorder', configId: '1', output: 'plain' });
      expectPlain(e, r, "message:bxProvider::order2Provider: Provider noorder doesn't support order option\nerror:1\n", 1);
      expectJson(e, await e.run({ action: 'configs', provider: 'noorder', output: 'json' }), '{"params":{"provider_configs":{"noorder":{"status":"enabled","configurations":[{"descr":"VPS 1CPU/1GB","id":1}]}}}}');
      expectJson(e, await e.run({ action: 'order_status', provider: 'noorder', taskId: '1', output: 'json' }), '{"params":{"provider_order":{"noorder":{"status":"in_progress"}}}}');
    });

    it('e3: init is recognised, unknown names ignored', async () => {
      const e = env();
      placeProbe(e.root, 'unknownopt', { answers: { help: '{"options":["help","configs","order","order_status","init","frobnicate"],"status":"enabled"}' } });
      expectJson(e, await e.run({ action: 'status', provider: 'unknownopt', output: 'json' }), statusJson('unknownopt', '{"order":1,"configs":1,"order_status":1,"help":1,"init":1}'));
      expectPlain(e, await e.run({ action: 'status', provider: 'unknownopt', output: 'plain' }), 'provider:options:unknownopt:enabled:configs,help,init,order,order_status\n');
    });

    it('e4/e5: no status gives exists; any other status passes through and works', async () => {
      const e = env();
      placeProbe(e.root, 'nostatus', { answers: { help: '{"options":["help","configs"]}', configs: GOOD_CONFIGS } });
      placeProbe(e.root, 'weirdstatus', { answers: { help: '{"options":["help","configs"],"status":"maintenance"}', configs: GOOD_CONFIGS } });
      const opts = '{"order":0,"configs":1,"order_status":0,"help":1,"init":0}';
      expectJson(e, await e.run({ action: 'status', provider: 'nostatus', output: 'json' }), statusJson('nostatus', opts, 'exists'));
      expectJson(e, await e.run({ action: 'status', provider: 'weirdstatus', output: 'json' }), statusJson('weirdstatus', opts, 'maintenance'));
      expectJson(e, await e.run({ action: 'list', output: 'json' }), '{"params":{"providers":{"nostatus":{"status":"exists"},"weirdstatus":{"status":"maintenance"}}}}');
      for (const n of ['nostatus', 'weirdstatus'])
        expectJson(e, await e.run({ action: 'configs', provider: n, output: 'json' }), `{"params":{"provider_configs":{"${n}":{"status":"enabled","configurations":[{"descr":"VPS 1CPU/1GB","id":1}]}}}}`);
      expectJson(e, await e.run({ action: 'order', provider: 'nostatus', configId: '1', output: 'json' }), '{"message":"bxProvider::order2Provider: Provider nostatus doesn\'t support order option","error":1}', 1);
    });
  });
});

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KitError, checkSchemas, compileAll, getSchema, isRuleId, listKinds, setAheadOfTime, validate, validatorSource } from './index.js';
import type { PluginConfigs, PluginError, PluginHelp, PluginOrder, PluginOrderStatus, HostOrdersList } from './index.js';
import { hostContract, hostKindOf, hostTranscripts, observedHostOutputs, seedBlocks } from './fixtures.test-util.js';

const MINE = (k: string) => k.startsWith('plugin/') || k.startsWith('host/');
const EXPECTED_KINDS = [
  'plugin/help', 'plugin/configs', 'plugin/order', 'plugin/order_status', 'plugin/error',
  'host/list', 'host/status', 'host/configs', 'host/order', 'host/order_status', 'host/orders_list',
  'host/order_to_host', 'host/message', 'host/error',
];

/** Calls fn on every schema node (object) of a document, with its JSON Pointer. */
function walk(node: unknown, at: string, fn: (n: Record<string, unknown>, at: string) => void): void {
  if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${at}/${i}`, fn));
  else if (node && typeof node === 'object') {
    fn(node as Record<string, unknown>, at);
    for (const [k, v] of Object.entries(node)) if (k !== 'examples' && k !== 'enum' && k !== 'const') walk(v, `${at}/${k}`, fn);
  }
}

describe('schemas/', () => {
  it('has every plugin and host document kind', () => {
    expect(listKinds()).to.include.members(EXPECTED_KINDS);
  });

  it('compiles every schema (ajv 2020, strict)', () => {
    expect(compileAll()).to.deep.equal(listKinds());
  });

  it('every schema is sound JSON Schema 2020-12 (meta-schema check)', () => {
    expect(checkSchemas()).to.deep.equal([]);
  });

  for (const kind of EXPECTED_KINDS) {
    describe(kind, () => {
      const schema = getSchema(kind);
      it('has $id, title, description and examples', () => {
        expect(schema.$schema).to.equal('https://json-schema.org/draft/2020-12/schema');
        expect(schema.$id).to.equal(`https://bx-provider-kit.dev/schemas/${kind}.schema.json`);
        expect(schema.title).to.be.a('string').and.not.empty;
        expect(schema.description).to.be.a('string').and.not.empty;
        expect(schema.examples).to.be.an('array').and.not.empty;
      });
      it('describes every property for a hoster', () => {
        const missing: string[] = [];
        walk(schema, '#', (n, at) => {
          if (/\/if(\/|$)/.test(at)) return; // conditions, not properties
          for (const [name, p] of Object.entries((n.properties as Record<string, unknown>) ?? {})) {
            if (p === false) continue; // a key that must be absent
            const d = (p as { description?: unknown }).description;
            if (!(typeof d === 'string' && d.length > 10)) missing.push(`${at}/properties/${name}`);
          }
        });
        expect(missing, 'properties without a description').to.deep.equal([]);
      });
      it('names only catalogue rules in x-rule / x-error-answer', () => {
        walk(schema, '#', (n, at) => {
          const r = n['x-rule'];
          const ids = typeof r === 'string' ? [r] : r && typeof r === 'object' ? Object.values(r as Record<string, string>) : [];
          for (const id of ids) expect(isRuleId(id), `${kind} ${at}: x-rule ${id}`).to.equal(true);
          const ea = n['x-error-answer'];
          if (ea !== undefined) expect(isRuleId(String(ea)) || listKinds().includes(String(ea)), `${kind}: x-error-answer ${String(ea)}`).to.equal(true);
        });
      });
      it('accepts every one of its examples', () => {
        for (const ex of schema.examples as unknown[]) {
          const r = validate(kind, ex);
          expect(r.problems, JSON.stringify(ex)).to.deep.equal([]);
          expect(r.ok).to.equal(true);
        }
      });
    });
  }

  it('every kind: validate() accepts its examples (other engineers\' schemas too)', () => {
    for (const kind of listKinds().filter((k) => !MINE(k))) {
      for (const ex of (getSchema(kind).examples as unknown[] | undefined) ?? []) {
        expect(validate(kind, ex).problems, `${kind} ${JSON.stringify(ex)}`).to.deep.equal([]);
      }
    }
  });

  it('unknown kind: a KitError listing the kinds', () => {
    expect(() => validate('plugin/nope', {})).to.throw(KitError, /^unknown document kind "plugin\/nope": use one of .*host\/orders_list.*plugin\/help/);
    expect(() => getSchema('../etc/passwd')).to.throw(KitError);
  });

  it('getSchema returns a copy (callers cannot corrupt the validator)', () => {
    const s = getSchema('plugin/order');
    (s.properties as Record<string, unknown>).task_id = {};
    expect(validate('plugin/order', { task_id: 'eu/42' }).ok).to.equal(false);
  });
});

describe('real host output (fixtures/host-9.0.9/transcripts.json)', () => {
  const outputs = observedHostOutputs();
  it('the fixture names the host it was recorded on, and holds every run with its exact output', () => {
    const t = hostTranscripts();
    expect(t.host).to.deep.equal({ product: 'bitrix-env', version: '9.0.9', script: '/opt/webdir/bin/bx-provider' });
    expect(t.source).to.match(/bitrix-env 9\.0\.9/);
    expect(t.runs.length).to.equal(244);
    for (const r of t.runs) {
      expect(r.command, JSON.stringify(r)).to.be.a('string').and.not.empty;
      expect(r.stdout, r.command).to.be.a('string');
      expect(r.stderr, r.command).to.be.a('string');
      expect(r.exitCode, r.command).to.be.a('number');
      if (r.section !== null) expect(t.sections.map((s) => s.id), r.command).to.include(r.section);
    }
    // JSON answers are compact without a trailing newline (G1); plain lines end in one
    const good = t.runs.filter((r) => r.section === 'a');
    expect(good[0]).to.deep.include({ command: 'bx-provider -a install --provider good --archive /srv/archives/good.tar.gz -o json', exitCode: 0 });
    expect(good[0]!.stdout).to.equal('{"message":"bxProvider: Provider data created, you can found it in /opt/webdir/providers/good"}');
    expect(good.find((r) => r.command === 'bx-provider -a list -o plain')!.stdout).to.equal('provider:status:good:enabled\n');
  });
  it('finds the transcripts', () => {
    expect(outputs.length).to.equal(152);
    const kinds = new Set(outputs.map(hostKindOf));
    for (const k of ['host/list', 'host/status', 'host/configs', 'host/order', 'host/order_status', 'host/orders_list', 'host/order_to_host', 'host/message', 'host/error']) {
      expect(kinds.has(k), k).to.equal(true);
    }
  });
  it('every `stdout: {...}` line validates against the host schema of its action', () => {
    const bad = outputs
      .map((o) => ({ o, kind: hostKindOf(o), r: validate(hostKindOf(o), o.value) }))
      .filter((x) => !x.r.ok)
      .map((x) => `runs[${x.o.index}] ${x.o.section} (${x.kind}): ${x.o.stdout} -> ${x.r.problems.map((p) => p.message).join('; ')}`);
    expect(bad).to.deep.equal([]);
  });
  it('order_to_host answers (passthrough, error envelope) validate as host/order_to_host', () => {
    const o2h = outputs.filter((o) => o.action === 'order_to_host');
    expect(o2h.length).to.be.greaterThan(5);
    for (const o of o2h) expect(validate('host/order_to_host', o.value).problems, o.stdout).to.deep.equal([]);
    expect(validate('host/order_to_host', { message: 'Server=192.0.2.10 is added to the pool' }).ok).to.equal(true);
  });
  it('`{"params":{"provider_order_list":null}}` is real orders_list output', () => {
    expect(outputs.some((o) => o.stdout === '{"params":{"provider_order_list":null}}')).to.equal(true);
    expect(validate('host/orders_list', { params: { provider_order_list: null } }).ok).to.equal(true);
  });
});

describe('documented examples (fixtures/docs: the two documentation pages, the host contract)', () => {
  it('each documentation fixture names its source', () => {
    for (const page of ['bx-provider-script-en', 'provider-plugins-ru']) {
      const f = JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/docs/${page}.json`, import.meta.url)), 'utf8')) as { source: string };
      expect(f.source, page).to.match(/BitrixVM documentation/);
    }
    expect(hostContract().source).to.match(/host contract/);
  });
  it('the English page (host output): every example validates; order_status only once its missing comma is fixed', () => {
    const blocks = seedBlocks('bx-provider-script-en');
    expect(blocks.map((b) => b.action)).to.deep.equal(['list', 'list', 'status', 'configs', 'order', 'order_status', 'orders_list']);
    for (const b of blocks) {
      let text = b.text;
      if (b.action === 'order_status') {
        expect(() => JSON.parse(text), 'the seed page example is broken JSON').to.throw(SyntaxError);
        text = text.replace('"server": "xxx.xxx.xxx.xxx"\n', '"server": "xxx.xxx.xxx.xxx",\n');
      }
      const value = JSON.parse(text) as unknown;
      expect(validate(`host/${b.action}`, value).problems, `${b.file}:${b.line}`).to.deep.equal([]);
    }
  });
  it('the Russian page (plugin answers): help, configs, order, order_status and the error answer validate', () => {
    const blocks = seedBlocks('provider-plugins-ru');
    const seen: string[] = [];
    for (const b of blocks) {
      const value = JSON.parse(b.text) as Record<string, unknown>;
      const kind = 'error' in value ? 'plugin/error' : `plugin/${b.action}`;
      seen.push(kind);
      expect(validate(kind, value).problems, `${b.file}:${b.line}`).to.deep.equal([]);
      // an action's schema accepts its error answer too (configs, order, order_status)
      if (kind === 'plugin/error') for (const k of ['plugin/configs', 'plugin/order', 'plugin/order_status']) expect(validate(k, value).ok, k).to.equal(true);
    }
    expect(seen).to.deep.equal(['plugin/help', 'plugin/configs', 'plugin/order', 'plugin/order_status', 'plugin/error']);
  });
  it('host contract §4 answers validate', () => {
    const rows: [string, string][] = hostContract().section4Answers.map((r) => [
      r.action,
      // the help row abbreviates the names: `[..names..]`
      r.answer.replace('[..names..]', '["help", "configs", "order", "order_status"]'),
    ]);
    expect(rows.length).to.equal(5);
    for (const [action, json] of rows) expect(validate(`plugin/${action}`, JSON.parse(json)).problems, json).to.deep.equal([]);
  });
  it('the good plugin of the transcripts (section a) answers validate', () => {
    const answers: [string, unknown][] = [
      ['plugin/help', { options: ['help', 'configs', 'order', 'order_status'], status: 'enabled' }],
      ['plugin/configs', { status: 'enabled', configurations: [{ id: 1, descr: 'VPS 1CPU/1GB' }] }],
      ['plugin/configs', { status: 'enabled', configurations: [{ id: 1, descr: 'ВПС 1 ядро' }] }],
      ['plugin/order', { task_id: '24' }],
      ['plugin/order', { task_id: 42 }],
      ['plugin/order_status', { task_id: '24', status: 'in_progress' }],
      ['plugin/order_status', { task_id: '24', status: 'finished', server: '192.0.2.10', server_password: 's3cret' }],
      ['plugin/order_status', { status: 'error', message: 'provisioning failed' }],
      ['plugin/help', { options: ['help', 'init', 'configs', 'order', 'order_status', 'frobnicate'], status: 'enabled' }],
      ['plugin/help', { options: ['help', 'configs', 'order', 'order_status'] }], // HELP-STATUS: a warning, for the runner
      ['plugin/help', { options: ['help', 'configs', 'order', 'order_status'], status: 'maintenance' }],
      ['plugin/configs', { configurations: [], status: 'enabled' }], // CFG-EMPTY: a warning
      ['plugin/order_status', { status: 'finished', server: '2001:db8::10' }], // STAT-FINISHED password: a warning
      ['plugin/order_status', { status: 'finished', server: 'vps-42.example.com', task_id: '7' }],
    ];
    for (const [kind, v] of answers) expect(validate(kind, v).problems, `${kind} ${JSON.stringify(v)}`).to.deep.equal([]);
  });
});

/** [kind, document, the rule ids it must fail with (exactly these, in any order)] */
const BROKEN: [string, unknown, string[]][] = [
  // plugin/error
  ['plugin/error', { error: 0, error_message: 'x' }, ['ERR-TYPE']],
  ['plugin/error', { error: true, error_message: 'API quota exceeded' }, ['ERR-TYPE']],
  ['plugin/error', { error: 'yes', error_message: 'x' }, ['ERR-TYPE']],
  ['plugin/error', { error: 1.5, error_message: 'x' }, ['ERR-TYPE']],
  ['plugin/error', { error: -1, error_message: 'x' }, ['ERR-TYPE']],
  ['plugin/error', { error: 1, message: 'API quota exceeded' }, ['ERR-MESSAGE']],
  ['plugin/error', { error: 1, error_message: '' }, ['ERR-MESSAGE']],
  ['plugin/error', { error: 1, error_message: ' \n' }, ['ERR-MESSAGE']],
  ['plugin/error', { error: 1, error_message: 42 }, ['ERR-MESSAGE']],
  ['plugin/error', { error: 0 }, ['ERR-TYPE', 'ERR-MESSAGE']],
  ['plugin/error', ['error', 1], ['OUT-OBJECT']],
  // plugin/help
  ['plugin/help', { options: 'help,configs,order,order_status', status: 'enabled' }, ['HELP-SCHEMA']],
  ['plugin/help', { options: ['help', 'configs', 'order', 1], status: 'enabled' }, ['HELP-SCHEMA', 'HELP-REQUIRED']],
  ['plugin/help', { status: 'enabled' }, ['HELP-SCHEMA']],
  ['plugin/help', { options: ['help', 'configs'] }, ['HELP-REQUIRED', 'HELP-REQUIRED']],
  ['plugin/help', { options: ['help', 'configs', 'order_status'], status: 'enabled' }, ['HELP-REQUIRED']],
  ['plugin/help', { error: 0, options: ['help', 'configs', 'order', 'order_status'], status: 'enabled' }, ['ERR-SUCCESS-KEY']],
  ['plugin/help', { error: 1, error_message: 'bad credentials' }, ['HELP-ERROR']],
  ['plugin/help', { error: 1, message: 'bad credentials' }, ['HELP-ERROR', 'ERR-MESSAGE']],
  ['plugin/help', { error: 0 }, ['ERR-TYPE', 'ERR-MESSAGE']],
  ['plugin/help', { error: true, error_message: 'x' }, ['ERR-TYPE']],
  ['plugin/help', { options: ['help', 'configs', 'order', 'order_status'], status: 1 }, ['HELP-STATUS']],
  ['plugin/help', 'help', ['OUT-OBJECT']],
  // plugin/configs
  ['plugin/configs', { error: 0, status: 'enabled', configurations: [{ id: '1', descr: 'x' }] }, ['ERR-SUCCESS-KEY']],
  ['plugin/configs', { error: false, status: 'enabled', configurations: [{ id: '1', descr: 'x' }] }, ['ERR-SUCCESS-KEY']],
  ['plugin/configs', { error: 1, message: 'API quota exceeded' }, ['ERR-MESSAGE']],
  ['plugin/configs', { error: true, error_message: 'x' }, ['ERR-TYPE']],
  ['plugin/configs', { status: 'enabled' }, ['CFG-SCHEMA']],
  ['plugin/configs', { configurations: { id: '1', descr: 'x' } }, ['CFG-SCHEMA']],
  ['plugin/configs', { configurations: [{ id: '1' }] }, ['CFG-SCHEMA']],
  ['plugin/configs', { configurations: [{ descr: 'x' }] }, ['CFG-SCHEMA']],
  ['plugin/configs', { configurations: [{ id: '1', descr: 7 }] }, ['CFG-SCHEMA']],
  ['plugin/configs', { configurations: [{ id: true, descr: 'x' }] }, ['CFG-SCHEMA']],
  ['plugin/configs', { configurations: [{ id: '1; rm -rf /', descr: 'x' }] }, ['CFG-ID-SAFE']],
  ['plugin/configs', { configurations: [{ id: '$(id -un)', descr: 'x' }] }, ['CFG-ID-SAFE']],
  ['plugin/configs', { configurations: [{ id: 'vps 1', descr: 'x' }] }, ['CFG-ID-SAFE']],
  ['plugin/configs', { configurations: [{ id: '-rf', descr: 'x' }] }, ['CFG-ID-SAFE']],
  ['plugin/configs', { configurations: [{ id: '', descr: 'x' }] }, ['CFG-ID-SAFE']],
  ['plugin/configs', { configurations: [{ id: -1, descr: 'x' }] }, ['CFG-ID-SAFE']],
  ['plugin/configs', [{ id: 1, descr: 'x' }], ['OUT-OBJECT']],
  // plugin/order
  ['plugin/order', { error: 0, task_id: '5' }, ['ERR-SUCCESS-KEY']],
  ['plugin/order', { error: 'yes', error_message: 'x' }, ['ERR-TYPE']],
  ['plugin/order', { id: '42' }, ['ORD-TASK-ID']],
  ['plugin/order', { task_id: '' }, ['ORD-TASK-ID']],
  ['plugin/order', { task_id: null }, ['ORD-TASK-ID']],
  ['plugin/order', { task_id: ['24'] }, ['ORD-TASK-ID']],
  ['plugin/order', { task_id: 'eu/42' }, ['ORD-TASK-SAFE']],
  ['plugin/order', { task_id: 'task 42' }, ['ORD-TASK-SAFE']],
  ['plugin/order', { task_id: '../42' }, ['ORD-TASK-SAFE']],
  ['plugin/order', { task_id: '.' }, ['ORD-TASK-SAFE']],
  ['plugin/order', { task_id: '..' }, ['ORD-TASK-SAFE']],
  ['plugin/order', { task_id: '-42' }, ['ORD-TASK-SAFE']],
  ['plugin/order', { task_id: 'x'.repeat(65) }, ['ORD-TASK-SAFE']],
  ['plugin/order', { task_id: 'a;reboot' }, ['ORD-TASK-SAFE']],
  ['plugin/order', { task_id: 'zadanie-ё' }, ['ORD-TASK-SAFE']],
  ['plugin/order', { task_id: -3 }, ['ORD-TASK-SAFE']],
  // plugin/order_status
  ['plugin/order_status', { error: 0, status: 'in_progress' }, ['ERR-SUCCESS-KEY']],
  ['plugin/order_status', { error: 1, message: 'task lost' }, ['ERR-MESSAGE']],
  ['plugin/order_status', { state: 'finished' }, ['STAT-SCHEMA']],
  ['plugin/order_status', { status: 'pending' }, ['STAT-SCHEMA']],
  ['plugin/order_status', { status: '5' }, ['STAT-SCHEMA']],
  ['plugin/order_status', { status: '' }, ['STAT-SCHEMA']],
  ['plugin/order_status', { status: 'complete' }, ['STAT-SCHEMA']],
  ['plugin/order_status', { task_id: '24', status: 'finished', server_password: 's3cret' }, ['STAT-FINISHED']],
  ['plugin/order_status', { task_id: '24', status: 'finished', server: '999.0.2.10' }, ['STAT-FINISHED']],
  ['plugin/order_status', { task_id: '24', status: 'finished', server: '192.0.2.10; reboot' }, ['STAT-FINISHED']],
  ['plugin/order_status', { task_id: '24', status: 'finished', server: '' }, ['STAT-FINISHED']],
  ['plugin/order_status', { task_id: '24', status: 'finished', server: 3232235530 }, ['STAT-FINISHED']],
  // host/*
  ['host/list', { params: { providers: { good: { error: 1 } } } }, ['HOST-LIST']],
  ['host/list', { params: { providers: { good: {} } } }, ['HOST-LIST']],
  ['host/list', { providers: { good: { status: 'enabled' } } }, ['HOST-LIST', 'HOST-LIST']],
  ['host/list', { params: { providers: { good: 'enabled' } } }, ['HOST-LIST']],
  ['host/status', { params: { provider_options: { good: { options: { order: 1 }, status: 'enabled', files: {}, name: 'good', config: 'exists' } } } }, ['HOST-STATUS', 'HOST-STATUS', 'HOST-STATUS', 'HOST-STATUS', 'HOST-STATUS', 'HOST-STATUS', 'HOST-STATUS']],
  ['host/status', { params: { provider_options: { good: { options: { order: 1, configs: 1, order_status: 1, help: 1, init: 2 }, status: 'enabled', files: { config: 'c', execute: 'e', holder: 'h' }, config: 'yes', name: 'good' } } } }, ['HOST-STATUS', 'HOST-STATUS']],
  ['host/status', { params: { provider_options: { good: { status: 'enabled' } } } }, ['HOST-STATUS', 'HOST-STATUS', 'HOST-STATUS', 'HOST-STATUS']],
  ['host/configs', { params: { provider_configs: { good: { status: 'enabled' } } } }, ['HOST-CONFIGS']],
  ['host/configs', { params: { provider_configs: { good: { configurations: [{ id: 1 }] } } } }, ['HOST-CONFIGS']],
  ['host/configs', { params: { provider_options: {} } }, ['HOST-CONFIGS', 'HOST-CONFIGS']],
  ['host/order', { params: { provider_order: { good: {} } } }, ['HOST-ORDER']],
  ['host/order', { params: { provider_order: { good: { task_id: '' } } } }, ['HOST-ORDER']],
  ['host/order', { params: { provider_order: { good: { task_id: null } } } }, ['HOST-ORDER']],
  ['host/order_status', { params: { provider_order: { good: { task_id: '24' } } } }, ['HOST-ORDER-STATUS']],
  ['host/order_status', { params: { provider_order: { good: { status: '' } } } }, ['HOST-ORDER-STATUS']],
  ['host/order_status', { params: { provider_order: { good: { status: 'error', error: 'x' } } } }, ['HOST-ORDER-STATUS']],
  ['host/orders_list', { params: { provider_order_list: { good: { 24: { message: '', error: 0, mtime: 1 } } } } }, ['HOST-ORDERS-LIST']],
  ['host/orders_list', { params: { provider_order_list: { good: { 24: { status: 'finished', error: 0, mtime: '1795358339', message: '' } } } } }, ['HOST-ORDERS-LIST']],
  ['host/orders_list', { params: { provider_order_list: [] } }, ['HOST-ORDERS-LIST']],
  ['host/orders_list', { params: {} }, ['HOST-ORDERS-LIST']],
  ['host/order_to_host', { message: 'x', params: { provider_order: { good: { status: 'in_progress' } } } }, ['HOST-ORDER-TO-HOST']],
  ['host/order_to_host', { error: 1 }, ['HOST-ORDER-TO-HOST']],
  ['host/order_to_host', { message: 'pool_not_created', error: 0 }, ['HOST-ORDER-TO-HOST']],
  ['host/order_to_host', { params: { provider_order: { good: {} } } }, ['HOST-ORDER-TO-HOST']],
  ['host/message', { message: 'x', error: 1 }, ['HOST-INSTALL']],
  ['host/message', { message: '' }, ['HOST-INSTALL']],
  ['host/message', {}, ['HOST-INSTALL']],
  ['host/error', { message: 'x', error: 0 }, ['SCHEMA']],
  ['host/error', { message: 'x' }, ['SCHEMA']],
  ['host/error', { error: 1 }, ['SCHEMA']],
  ['host/error', { message: 'x', error: 1, params: {} }, ['SCHEMA']],
];

describe('broken documents: each fails with the right rule ids, in words for a hoster', () => {
  for (const [kind, doc, rules] of BROKEN) {
    it(`${kind} ${JSON.stringify(doc).slice(0, 90)} -> ${rules.join(', ')}`, () => {
      const r = validate(kind, doc);
      expect(r.ok).to.equal(false);
      expect(r.problems.map((p) => p.rule).sort()).to.deep.equal([...rules].sort());
      for (const p of r.problems) {
        expect(p.message.endsWith(`(${p.rule})`), p.message).to.equal(true);
        expect(p.message.startsWith(`${p.path || '/'}: `), p.message).to.equal(true);
        // no raw ajv wording ("must have required property", "must NOT have", "must match")
        expect(p.message, p.message).not.to.match(/\bmust\b|\bshould\b|schema"|\bNOT\b|passingSchemas|allowedValue/);
      }
    });
  }

  it('validators generated ahead of time and compiled at run time give the same problems', () => {
    for (const kind of EXPECTED_KINDS) expect(validatorSource(kind), kind).to.equal('standalone');
    const ahead = BROKEN.map(([k, d]) => validate(k, d));
    setAheadOfTime(false);
    try {
      expect(validatorSource('plugin/order')).to.equal('compiled');
      const runtime = BROKEN.map(([k, d]) => validate(k, d));
      expect(runtime).to.deep.equal(ahead);
    } finally {
      setAheadOfTime(true);
    }
  });

  it('at least three broken documents per plugin and host kind', () => {
    for (const kind of EXPECTED_KINDS) expect(BROKEN.filter((b) => b[0] === kind).length, kind).to.be.at.least(3);
  });

  it('the messages of the issue', () => {
    expect(validate('plugin/order', { task_id: 'eu/42' }).problems).to.deep.equal([
      {
        rule: 'ORD-TASK-SAFE',
        severity: 'error',
        path: '/task_id',
        message: '/task_id: "eu/42" has a "/" (only A-Z a-z 0-9 . _ - are safe): the host saves each task as a file named after its id and passes the id to a shell unquoted (ORD-TASK-SAFE)',
      },
    ]);
    const [e0] = validate('plugin/order', { error: 0, task_id: '1' }).problems;
    expect(e0).to.include({ rule: 'ERR-SUCCESS-KEY', path: '/error' });
    expect(e0!.message).to.match(/^\/error: is present \(0\) in a success answer/);
    const [m] = validate('plugin/error', { error: 1, message: 'x' }).problems;
    expect(m).to.include({ rule: 'ERR-MESSAGE', path: '/error_message' });
    expect(m!.message).to.contain('"message" is there, but it does not count');
  });

  it('a missing key points at the key; the whole document is "/"', () => {
    expect(validate('plugin/order', {}).problems[0]).to.include({ path: '/task_id', rule: 'ORD-TASK-ID' });
    const [p] = validate('plugin/order', [1]).problems;
    expect(p).to.include({ path: '', rule: 'OUT-OBJECT' });
    expect(p!.message).to.match(/^\/: the document is an array, not an object/);
  });

  it('describes the offending character of an unsafe id', () => {
    const msg = (id: string) => validate('plugin/order', { task_id: id }).problems[0]!.message;
    expect(msg('task 42')).to.contain('"task 42" has a space');
    expect(msg('-x')).to.contain('starts with "-"');
    expect(msg('a\tb')).to.contain('control character (U+0009)');
    expect(msg('a$b')).to.contain('has a "$"');
    expect(msg('..')).to.contain('names a folder');
  });

  it('validate() never throws on odd values', () => {
    for (const v of [undefined, null, 0, '', [], {}, { error: {} }, { options: [null] }, Object.create(null)]) {
      for (const kind of EXPECTED_KINDS) {
        const r = validate(kind, v);
        expect(r.ok, kind).to.be.a('boolean');
      }
    }
  });
});

describe('generated TypeScript types', () => {
  it('src/types.generated.ts is what scripts/gen-types.mjs generates now', async function () {
    this.timeout(60000);
    const script = new URL('../scripts/gen-types.mjs', import.meta.url);
    const { generate } = (await import(pathToFileURL(fileURLToPath(script)).href)) as { generate: () => Promise<string> };
    const committed = readFileSync(fileURLToPath(new URL('../src/types.generated.ts', import.meta.url)), 'utf8');
    const fresh = await generate();
    const sections = (t: string) => new Map(t.split(/^\/\/ ---- /m).slice(1).map((x) => [x.slice(0, x.indexOf(' ')), x]));
    const [a, b] = [sections(committed), sections(fresh)];
    const stale = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
    expect(committed === fresh, `src/types.generated.ts is stale (${stale.join(', ') || 'header'}): run node packages/schemas/scripts/gen-types.mjs`).to.equal(true);
  });
  it('generated/validators.cjs is what scripts/gen-types.mjs generates now', async function () {
    this.timeout(60000);
    const script = new URL('../scripts/gen-types.mjs', import.meta.url);
    const { generateValidators } = (await import(pathToFileURL(fileURLToPath(script)).href)) as { generateValidators: () => Promise<string> };
    const committed = readFileSync(fileURLToPath(new URL('../generated/validators.cjs', import.meta.url)), 'utf8');
    const fresh = await generateValidators();
    const stale = listKinds().filter((k) => validatorSource(k) !== 'standalone');
    expect(committed === fresh, `generated/validators.cjs is stale (${stale.join(', ') || 'code'}): run node packages/schemas/scripts/gen-types.mjs`).to.equal(true);
  });
  it('has a type per kind', () => {
    const text = readFileSync(fileURLToPath(new URL('../src/types.generated.ts', import.meta.url)), 'utf8');
    for (const name of ['PluginHelp', 'PluginConfigs', 'PluginOrder', 'PluginOrderStatus', 'PluginError', 'HostList', 'HostStatus', 'HostConfigs', 'HostOrder', 'HostOrderStatus', 'HostOrdersList', 'HostOrderToHost', 'HostMessage', 'HostError']) {
      expect(text).to.match(new RegExp(`export (interface|type) ${name}\\b`));
    }
  });
  it('the types describe the documents (compile-time check)', () => {
    const help: PluginHelp = { options: ['help', 'configs', 'order', 'order_status'], status: 'enabled' };
    const configs: PluginConfigs = { configurations: [{ id: '1', descr: 'VPS' }], status: 'enabled' };
    const order: PluginOrder = { task_id: 24 };
    const st: PluginOrderStatus = { status: 'finished', server: '192.0.2.1' };
    const err: PluginError = { error: 1, error_message: 'x' };
    const list: HostOrdersList = { params: { provider_order_list: null } };
    // @ts-expect-error a success answer has no error key
    const bad: PluginOrder = { task_id: '1', error: 0 };
    for (const [k, v] of [['plugin/help', help], ['plugin/configs', configs], ['plugin/order', order], ['plugin/order_status', st], ['plugin/error', err], ['host/orders_list', list]] as const) {
      expect(validate(k, v).ok, k).to.equal(true);
    }
    expect(validate('plugin/order', bad).ok).to.equal(false);
  });
});

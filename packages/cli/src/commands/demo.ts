import type { CommandModule } from 'yargs';
import { mkdtemp, mkdir, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_TEMPLATE, TEMPLATES, type TemplateName } from 'create-provider/templates';
import { KitError } from '../errors.js';
import { paint, useColor } from '../tty.js';

interface Args {
  dir?: string;
  template: TemplateName;
}

/**
 * The whole journey on a demo plugin, with no network: scaffold, test with the order
 * lifecycle, pack, verify, install into an emulated host, order through the host, poll until
 * finished, add the server to the pool, and a summary. `npm start` runs this.
 */
export const demoCommand: CommandModule<object, Args> = {
  command: 'demo',
  describe: 'Walk the whole journey on a demo plugin (what `npm start` runs)',
  builder: (y) =>
    y
      .option('dir', { type: 'string', describe: 'Work folder (must be empty or absent; default: a new temp folder)' })
      .option('template', { choices: TEMPLATES, default: DEFAULT_TEMPLATE, describe: 'Plugin language' })
      .example('$0 demo', 'Scaffold, test, pack, verify, install and order in a temp folder')
      .example('$0 demo --template python --dir /tmp/demo', 'The same with the Python template'),
  handler: async (argv) => {
    const color = useColor(process.stderr);
    const step = (n: number, text: string) => process.stderr.write(`${paint.bold(color, `[${n}/7]`)} ${text}\n`);
    const t0 = performance.now();

    const work = argv.dir ? path.resolve(argv.dir) : await mkdtemp(path.join(os.tmpdir(), 'bx-provider-kit-demo-'));
    if (argv.dir) {
      if (existsSync(work) && (await readdir(work)).length) throw new KitError(`${work} is not empty: give an empty or new folder to --dir, or leave it out for a temp folder`);
      await mkdir(work, { recursive: true });
    }
    const name = 'demo-hoster';
    const pluginDir = path.join(work, name);
    const distDir = path.join(work, 'dist');
    const hostRoot = path.join(work, 'host');

    const { createProvider } = await import('create-provider');
    const { runConformance } = await import('@bx-provider-kit/conformance');
    const { pack, verifyArchive } = await import('@bx-provider-kit/packer');
    const { Host } = await import('@bx-provider-kit/host');

    step(1, `scaffold ${name} (${argv.template} template) in ${pluginDir}`);
    await createProvider({ name, template: argv.template, dir: pluginDir, description: 'Demo provider made by bx-provider-kit demo', force: false });

    step(2, 'run the conformance suite with the order lifecycle');
    const report = await runConformance(pluginDir, { allowOrder: true });
    const s = report.summary;
    process.stderr.write(`      ${s.passed} passed, ${s.failed} failed, ${s.warned} warned, ${s.skipped} skipped\n`);
    if (s.failed) throw new KitError(`the demo plugin failed ${s.failed} rule(s): run bx-provider-kit test ${pluginDir} to see them`, 1);

    step(3, `pack it into ${distDir}`);
    const packed = await pack(pluginDir, { outDir: distDir });

    step(4, `verify ${path.basename(packed.archive)}`);
    const verified = await verifyArchive(packed.archive, { name });
    if (!verified.ok) throw new KitError(`verify found errors in ${packed.archive}: run bx-provider-kit verify ${packed.archive}`, 1);

    step(5, `install it into an emulated host at ${hostRoot}`);
    const host = new Host({ root: hostRoot });
    const call = async (action: string, extra: { configId?: string; taskId?: string; archive?: string } = {}) => {
      const r = await host.run({ action, provider: name, output: 'json', ...extra });
      if (r.exitCode !== 0) throw new KitError(`bx-provider -a ${action} failed (exit ${r.exitCode}): ${r.stdout || r.stderr.split('\n')[0]}`, 1);
      return r.json as Record<string, unknown>;
    };
    const installed = await call('install', { archive: packed.archive });
    const configs = (await call('configs')) as { params: { provider_configs: Record<string, { configurations: { id: string; descr: string }[] }> } };
    const config = configs.params.provider_configs[name].configurations[0];

    step(6, `order configuration ${config.id} (${config.descr}) and poll until it is finished`);
    const ordered = (await call('order', { configId: String(config.id) })) as { params: { provider_order: Record<string, { task_id: string }> } };
    const taskId = String(ordered.params.provider_order[name].task_id);
    let status: Record<string, unknown> = {};
    const deadline = Date.now() + 60_000;
    for (;;) {
      const st = (await call('order_status', { taskId })) as { params: { provider_order: Record<string, Record<string, unknown>> } };
      status = st.params.provider_order[name];
      process.stderr.write(`      task ${taskId}: ${String(status.status)}\n`);
      if (status.status !== 'in_progress') break;
      if (Date.now() > deadline) throw new KitError(`task ${taskId} did not finish within 60 s`, 1);
      await new Promise((r) => setTimeout(r, 500));
    }
    if (status.status !== 'finished') throw new KitError(`task ${taskId} ended as ${String(status.status)}, not finished`, 1);

    step(7, `add ${String(status.server)} to the pool (order_to_host)`);
    const added = await call('order_to_host', { taskId });
    const list = await call('orders_list');

    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    const out = [
      '',
      paint.bold(useColor(), 'bx-provider-kit demo: done') + ` in ${seconds} s`,
      `  plugin       ${pluginDir}`,
      `  verdict      ${s.passed} passed, ${s.failed} failed, ${s.warned} warned, ${s.skipped} skipped`,
      `  archive      ${packed.archive}`,
      `  sha256       ${packed.sha256}`,
      `  host root    ${hostRoot}`,
      `  install      ${JSON.stringify(installed)}`,
      `  order        ${JSON.stringify(ordered)}`,
      `  order_status ${JSON.stringify({ params: { provider_order: { [name]: status } } })}`,
      `  order_to_host ${JSON.stringify(added)}`,
      `  orders_list  ${JSON.stringify(list)}`,
      `  pool         ${path.join(hostRoot, 'pool', 'hosts.json')}`,
      '',
      'Next: bx-provider-kit new my-hoster, then test, pack and verify it (see README.md).',
      '',
    ];
    process.stdout.write(out.join('\n'));
  },
};

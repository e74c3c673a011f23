/**
 * Issue 12's three answers, end to end: a real plugin prints each; `bx-provider-kit validate`
 * (validate() on the plugin's own stdout) and `bx-provider-kit test` (runConformance) give the
 * same verdict, with the same problem text.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readPluginStdout, validate, type RuleId } from '@bx-provider-kit/schemas';
import { runConformance } from '../runner.js';

const HELP = '{"options": ["help", "configs", "order", "order_status"], "status": "enabled"}';
const CONFIGS = '{"configurations": [{"id": "1", "descr": "VPS"}], "status": "enabled"}';

const cases: [name: string, action: string, args: string[], answers: Record<string, string>, rule: RuleId][] = [
  ['configs id 1.5, status 5', 'configs', [], { configs: '{"configurations":[{"id":1.5,"descr":"x"}],"status":5}' }, 'CFG-SCHEMA'],
  ['finished on srv.123', 'order_status', ['7'], { order_status: '{"task_id":"7","status":"finished","server":"srv.123","server_password":"pw"}' }, 'STAT-FINISHED'],
  ['task_id 1.5', 'order', ['1'], { order: '{"task_id":1.5}' }, 'ORD-TASK-ID'],
];

describe('issue 12: validate and test agree on a real plugin', function () {
  this.timeout(120_000);
  let tmp = '';
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-i12-'));
  });
  after(async () => {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  cases.forEach(([what, action, args, answers, rule], i) => {
    it(`${what}: ${rule} from both`, async () => {
      const name = `issue${i}`;
      const dir = path.join(tmp, name);
      await fs.mkdir(path.join(dir, 'bin'), { recursive: true });
      const a = { help: HELP, configs: CONFIGS, order: '{"task_id": "7"}', order_status: '{"task_id": "7", "status": "in_progress"}', ...answers };
      const exe = path.join(dir, 'bin', name);
      const arm = (k: string, v: string) => `  ${k}) printf '%s\\n' '${v}' ;;`;
      await fs.writeFile(exe, `#!/bin/bash\ncase "$1" in\n${Object.entries(a).map(([k, v]) => arm(k, v)).join('\n')}\n  *) echo '{"error": 1, "error_message": "no"}'; exit 1 ;;\nesac\n`);
      await fs.chmod(exe, 0o755);
      // validate: the plugin's own stdout, read as the host reads it
      const out = readPluginStdout(execFileSync(exe, [action, ...args]));
      if (!out.ok) throw new Error(out.message);
      const v = validate(`plugin/${action}`, out.value);
      expect(v.ok).to.equal(false);
      const mine = v.problems.filter((p) => p.rule === rule);
      expect(mine, JSON.stringify(v.problems)).to.not.be.empty;
      // test: the same rule fails, saying what validate says
      const r = await runConformance(dir, { only: [rule], allowOrder: true, configId: '1', pollIntervalMs: 50, lifecycleTimeoutMs: 2000 });
      const res = r.rules.find((x) => x.id === rule)!;
      expect(res.status, res.message).to.equal('failed');
      for (const p of mine) expect(res.findings.some((f) => f.message.endsWith(p.message)), `${p.message} in ${JSON.stringify(res.findings)}`).to.equal(true);
    });
  });
});

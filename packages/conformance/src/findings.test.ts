/**
 * One finding shape across the kit (issue 12): what `validate` calls a problem, what `verify`
 * and `pack` report, and what `test` puts in a report are one type, defined once by the report
 * schema's `$defs/finding`. Held here by putting each of them into a real report and validating
 * that report with the published schema.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate, type Finding } from '@bx-provider-kit/schemas';
import { checkPluginFolder, verifyArchive } from '@bx-provider-kit/packer';
import { runConformance } from './runner.js';
import type { Report } from './report.js';

const CORPUS = fileURLToPath(new URL('../../../conformance/plugins/', import.meta.url));

describe('one finding shape: validate, verify, pack and test', function () {
  this.timeout(120_000);
  let tmp = '';
  let report: Report;
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-findings-'));
    const plugin = path.join(tmp, 'out-utf8');
    await fs.cp(path.join(CORPUS, 'out-utf8'), plugin, { recursive: true, filter: (p) => !p.split(path.sep).includes('state') });
    report = await runConformance(plugin);
  });
  after(async () => {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  /** The report with `findings` in place of its first failed rule's: valid against report.schema.json? */
  const asReport = (findings: Finding[]) => {
    const r: Report = structuredClone(report);
    const failed = r.rules.find((x) => x.status === 'failed')!;
    failed.findings = findings;
    return validate('report', r);
  };

  it("test: every finding in a report names its rule and the report is valid", () => {
    const all = report.rules.flatMap((r) => r.findings.map((f) => [r.id, f] as const));
    expect(all.length).to.be.greaterThan(0);
    for (const [id, f] of all) expect(f.rule, id).to.equal(id);
    expect(validate('report', report).problems).to.deep.equal([]);
  });

  it('validate: problems of broken documents are findings', () => {
    const problems = [
      ...validate('plugin/order', { task_id: 'eu/42' }).problems,
      ...validate('plugin/configs', { configurations: [{ id: 1.5, descr: 'x' }], status: 5 }).problems,
      ...validate('plugin/order_status', { task_id: '1', status: 'finished', server: 'srv.123', server_password: 'p' }).problems,
      ...validate('conformance', { pollIntervalMs: 'soon' }).problems,
    ];
    expect(problems.length).to.be.at.least(4);
    for (const p of problems) expect(p).to.include({ severity: 'error' }).and.to.have.property('path');
    expect(asReport(problems).problems).to.deep.equal([]);
  });

  it('verify and pack: findings on an archive and a plugin folder are findings', async () => {
    const notGzip = path.join(tmp, 'broken-v1.tar.gz');
    await fs.writeFile(notGzip, 'this is not gzip\n');
    const verified = await verifyArchive(notGzip);
    const folder = path.join(tmp, 'Bad Name');
    await fs.mkdir(path.join(folder, 'bin'), { recursive: true });
    await fs.writeFile(path.join(folder, 'bin', 'other'), 'echo hi\n');
    const checked = await checkPluginFolder(folder);
    const findings = [...verified.findings, ...checked];
    expect(findings.map((f) => f.rule)).to.include('ARCH-FORMAT');
    expect(checked.length).to.be.greaterThan(0);
    for (const f of findings) expect(f.fix, f.rule).to.be.a('string').and.not.equal('');
    expect(asReport(findings).problems).to.deep.equal([]);
  });

  it('the report schema refuses a finding without its rule or with an id not of the catalogue', () => {
    const f = report.rules.find((r) => r.findings.length)!.findings[0]!;
    const { rule: _rule, ...norule } = f;
    expect(asReport([norule as Finding]).problems.map((p) => p.path)).to.satisfy((ps: string[]) => ps.some((p) => p.endsWith('/rule')));
    expect(asReport([{ ...f, rule: 'NOPE' as Finding['rule'] }]).ok).to.equal(false);
  });
});

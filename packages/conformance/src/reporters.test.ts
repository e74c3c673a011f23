import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from '@bx-provider-kit/schemas';
import { runConformance } from './runner.js';
import { renderGithub, renderGithubSummary, renderGitlab, renderJson, renderJunit, renderTap, renderText, ruleTimeMs } from './reporters.js';
import type { Report } from './report.js';

const CORPUS = fileURLToPath(new URL('../../../conformance/plugins/', import.meta.url));
export const JUNIT_XSD = fileURLToPath(new URL('../xsd/junit-10.xsd', import.meta.url));

/** Validates a JUnit file against the project's junit-10.xsd with xmllint (libxml2-utils); returns xmllint's complaints. */
export function xsdProblems(file: string): string {
  const r = spawnSync('xmllint', ['--noout', '--schema', JUNIT_XSD, file], { encoding: 'utf8' });
  if (r.error) throw new Error(`xmllint is needed to check JUnit reports against the XSD (apt-get install libxml2-utils): ${r.error.message}`);
  return r.status === 0 ? '' : r.stderr;
}

export interface TapPoint {
  ok: boolean;
  id: number;
  description: string;
  directive?: { kind: 'SKIP' | 'TODO'; reason: string };
  yaml?: string[];
}

/**
 * A strict TAP 14 parser (testanything.org/tap-version-14-specification), for one flat
 * document: `TAP version 14` first; one plan `1..N` (before or after the points); test points
 * `ok|not ok N - description` numbered 1..N in order, `#` and `\\` escaped in descriptions;
 * `# SKIP|TODO reason` directives; YAML diagnostics only right after a point, indented two
 * spaces between `  ---` and `  ...`, whose every line is indented at least two spaces;
 * comments `# ...` and nothing else. Throws on the first line that breaks the grammar.
 */
export function parseTap14(src: string): { plan: number; points: TapPoint[] } {
  if (!src.endsWith('\n')) throw new Error('the document does not end with a newline');
  const lines = src.slice(0, -1).split('\n');
  if (lines[0] !== 'TAP version 14') throw new Error(`line 1 is ${JSON.stringify(lines[0])}, not "TAP version 14"`);
  let plan = -1;
  const points: TapPoint[] = [];
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    const at = `line ${i + 1}`;
    let m: RegExpExecArray | null;
    if ((m = /^1\.\.(\d+)(?: # .*)?$/.exec(l))) {
      if (plan !== -1) throw new Error(`${at}: a second plan`);
      if (points.length && i !== lines.length - 1 && !lines.slice(i + 1).every((x) => x.startsWith('#'))) throw new Error(`${at}: a plan after test points must come last`);
      plan = Number(m[1]);
    } else if ((m = /^(not ok|ok)(?: (\d+))?(?: - ((?:[^#\\]|\\[#\\])*?))?(?: # (SKIP|TODO)\b ?(.*))?$/i.exec(l))) {
      const id = m[2] === undefined ? points.length + 1 : Number(m[2]);
      if (id !== points.length + 1) throw new Error(`${at}: test point ${id} out of order (expected ${points.length + 1})`);
      if (m[4] && m[4] !== m[4].toUpperCase()) throw new Error(`${at}: directive ${m[4]} not in capitals`);
      const p: TapPoint = { ok: m[1] === 'ok', id, description: (m[3] ?? '').replace(/\\([#\\])/g, '$1') };
      if (m[4]) p.directive = { kind: m[4] as 'SKIP' | 'TODO', reason: m[5] ?? '' };
      points.push(p);
      if (lines[i + 1] === '  ---') {
        const yaml: string[] = [];
        let j = i + 2;
        for (; j < lines.length && lines[j] !== '  ...'; j++) {
          if (!lines[j]!.startsWith('  ') || lines[j]!.trim() === '') throw new Error(`line ${j + 1}: YAML diagnostics must be indented two spaces`);
          if (lines[j]!.includes('\t')) throw new Error(`line ${j + 1}: a tab in YAML`);
          yaml.push(lines[j]!.slice(2));
        }
        if (j === lines.length) throw new Error(`${at}: YAML block not closed by "  ..."`);
        p.yaml = yaml;
        i = j;
      }
    } else if (/^#/.test(l)) {
      // a comment
    } else if (l === '  ---') {
      throw new Error(`${at}: a YAML block not right after a test point`);
    } else {
      throw new Error(`${at}: not TAP 14: ${JSON.stringify(l.slice(0, 80))}`);
    }
  }
  if (plan === -1) throw new Error('no plan');
  if (points.length !== plan) throw new Error(`plan 1..${plan} but ${points.length} test points`);
  return { plan, points };
}

/** A GitHub workflow command line, parsed strictly (docs.github.com: Workflow commands for GitHub Actions). */
export function parseWorkflowCommand(line: string): { command: string; props: Record<string, string>; message: string } {
  const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
  if (!m) throw new Error(`not a workflow command: ${JSON.stringify(line)}`);
  const unData = (s: string) => {
    if (/[\r\n]/.test(s) || /%(?!25|0D|0A|3A|2C)/.test(s)) throw new Error(`unescaped data in ${JSON.stringify(line)}`);
    return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
  };
  const props: Record<string, string> = {};
  for (const kv of m[2] ? m[2].split(',') : []) {
    const eq = kv.indexOf('=');
    if (eq < 1) throw new Error(`bad property ${JSON.stringify(kv)}`);
    const k = kv.slice(0, eq);
    if (!['file', 'line', 'endLine', 'col', 'endColumn', 'title'].includes(k)) throw new Error(`unknown property ${k}`);
    props[k] = unData(kv.slice(eq + 1));
  }
  if (props.line !== undefined && !/^[1-9]\d*$/.test(props.line)) throw new Error(`line=${props.line}`);
  return { command: m[1]!, props, message: unData(m[3]!) };
}

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** A small, strict XML parser: throws on anything not well-formed (enough for JUnit files). */
export function parseXml(src: string): XmlNode {
  let s = src.replace(/^\uFEFF/, '');
  const decl = /^<\?xml[^?]*\?>\s*/.exec(s);
  if (decl) s = s.slice(decl[0].length);
  const ENTITY = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
  const checkText = (t: string, where: string) => {
    if (t.includes('<')) throw new Error(`"<" in ${where}`);
    if (t.replace(ENTITY, '').includes('&')) throw new Error(`bad "&" in ${where}: ${t.slice(0, 60)}`);
    if (/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(t)) throw new Error(`control character in ${where}`);
  };
  const decode = (t: string) =>
    t.replace(ENTITY, (_m, e: string) =>
      e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
    );
  const root: XmlNode = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  let i = 0;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const text = s.slice(i, lt === -1 ? s.length : lt);
    if (text) {
      checkText(text, `text of <${stack.at(-1)!.name}>`);
      if (stack.length === 1 && text.trim()) throw new Error('text outside the root element');
      stack.at(-1)!.text += decode(text);
    }
    if (lt === -1) break;
    if (s.startsWith('<!--', lt)) {
      const end = s.indexOf('-->', lt);
      if (end === -1) throw new Error('unclosed comment');
      i = end + 3;
      continue;
    }
    const gt = s.indexOf('>', lt);
    if (gt === -1) throw new Error('unclosed tag');
    const tag = s.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (!open || open.name !== name || stack.length === 0) throw new Error(`</${name}> closes <${open?.name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const m = /^([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*="[^"]*")*)\s*$/.exec(body);
    if (!m) throw new Error(`malformed tag <${tag.slice(0, 80)}>`);
    const node: XmlNode = { name: m[1]!, attrs: {}, children: [], text: '' };
    for (const a of m[2]!.matchAll(/([A-Za-z_][\w.:-]*)="([^"]*)"/g)) {
      if (a[1]! in node.attrs) throw new Error(`duplicate attribute ${a[1]}`);
      checkText(a[2]!, `attribute ${a[1]}`);
      node.attrs[a[1]!] = decode(a[2]!);
    }
    if (stack.length === 1 && root.children.length) throw new Error('more than one root element');
    stack.at(-1)!.children.push(node);
    if (!selfClosing) stack.push(node);
  }
  if (stack.length !== 1) throw new Error(`<${stack.at(-1)!.name}> is not closed`);
  if (root.children.length !== 1) throw new Error('no root element');
  return root.children[0]!;
}

const all = (n: XmlNode, name: string): XmlNode[] => [...(n.name === name ? [n] : []), ...n.children.flatMap((c) => all(c, name))];

describe('reporters', function () {
  this.timeout(120_000);
  let tmp = '';
  let failing: Report;
  let good: Report;

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-'));
    const copy = async (name: string) => {
      const dst = path.join(tmp, name);
      await fs.cp(path.join(CORPUS, name), dst, { recursive: true, filter: (p) => !p.split(path.sep).includes('state') });
      return dst;
    };
    // A plugin whose output has invalid UTF-8, a BOM-like mess and XML-hostile text.
    [failing, good] = await Promise.all([runConformance(await copy('out-utf8')), runConformance(await copy('good-bash'))]);
  });
  after(async () => {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('json: validates against schemas/report.schema.json and round-trips', () => {
    for (const r of [failing, good]) {
      const parsed = JSON.parse(renderJson(r));
      const v = validate('report', parsed);
      expect(v.problems, JSON.stringify(v.problems.slice(0, 3))).to.deep.equal([]);
      expect(parsed.summary).to.deep.equal(r.summary);
    }
  });

  it('junit: well-formed XML with one testcase per rule and one failure per failed rule', () => {
    for (const r of [failing, good]) {
      const doc = parseXml(renderJunit(r));
      expect(doc.name).to.equal('testsuites');
      const cases = all(doc, 'testcase');
      expect(cases).to.have.length(r.rules.length);
      const failed = cases.filter((c) => c.children.some((x) => x.name === 'failure'));
      expect(failed.map((c) => c.attrs.name!.split(':')[0])).to.deep.equal(r.rules.filter((x) => x.status === 'failed').map((x) => x.id));
      const skipped = cases.filter((c) => c.children.some((x) => x.name === 'skipped'));
      expect(skipped).to.have.length(r.summary.skipped);
      expect(Number(doc.attrs.failures)).to.equal(r.summary.failed);
      expect(Number(doc.attrs.tests)).to.equal(r.rules.length);
      for (const c of cases) expect(c.attrs.classname).to.match(/^bx-provider-kit\.[a-z_]+$/);
    }
    // The failure carries the message and the excerpt of what the plugin printed.
    const doc = parseXml(renderJunit(failing));
    const utf8 = all(doc, 'testcase').find((c) => c.attrs.name!.startsWith('OUT-UTF8'))!;
    const f = utf8.children.find((x) => x.name === 'failure')!;
    expect(f.attrs.message).to.match(/not valid UTF-8/);
    expect(f.text).to.match(/\\x[0-9a-f]{2}/);
    expect(f.text).to.contain('fix:');
  });

  it('junit: survives hostile text (control characters, quotes, ]]>, invalid XML characters)', () => {
    const r: Report = JSON.parse(JSON.stringify(failing));
    const bad = r.rules.find((x) => x.status === 'failed')!;
    bad.message = 'a "quoted" <tag> & ]]> \u0001\u0008 \uFFFF end';
    bad.findings[0]!.excerpt = '<![CDATA[ x ]]> \u001b[31m red';
    const doc = parseXml(renderJunit(r));
    const tc = all(doc, 'testcase').find((c) => c.attrs.name!.startsWith(bad.id))!;
    expect(tc.children[0]!.attrs.message).to.contain('"quoted" <tag> & ]]>');
  });

  it('junit: valid against the junit-10.xsd (xmllint), testcase times from the calls that judged each rule', async () => {
    for (const r of [failing, good]) {
      const file = path.join(tmp, `${r.target.name}.xml`);
      const text = renderJunit(r);
      await fs.writeFile(file, text);
      expect(xsdProblems(file)).to.equal('');
      const doc = parseXml(text);
      expect(doc.attrs).not.to.have.property('skipped');
      expect(Number(doc.attrs.time)).to.equal(r.durationMs / 1000);
      const cases = all(doc, 'testcase');
      r.rules.forEach((x, i) => expect(Number(cases[i]!.attrs.time), x.id).to.equal(ruleTimeMs(r, x) / 1000));
      // a rule judged on calls took time; a skipped one took none
      const judged = r.rules.filter((x) => x.calls.length);
      expect(judged.length).to.be.above(0);
      expect(judged.every((x) => ruleTimeMs(r, x) > 0 || r.calls.every((c) => c.durationMs === 0))).to.equal(true);
      for (const x of r.rules.filter((y) => y.status === 'skipped')) expect(ruleTimeMs(r, x)).to.equal(0);
    }
    // and the XSD is strict enough to catch what CI importers reject
    const bad = path.join(tmp, 'bad.xml');
    await fs.writeFile(bad, renderJunit(good).replace('<testsuites ', '<testsuites skipped="1" '));
    expect(xsdProblems(bad)).to.match(/skipped/);
    await fs.writeFile(bad, renderJunit(good).replace(/<testcase (classname="[^"]*") name="[^"]*"/, '<testcase $1'));
    expect(xsdProblems(bad)).to.match(/name/);
  });

  it('tap: TAP 14, clean under a strict parser; a plan, one test point per rule, not ok for failures, # SKIP for skipped', () => {
    for (const r of [failing, good]) {
      const doc = parseTap14(renderTap(r));
      expect(doc.points.map((p) => p.description.split(':')[0])).to.deep.equal(r.rules.map((x) => x.id));
      expect(doc.points.filter((p) => !p.ok)).to.have.length(r.summary.failed);
      expect(doc.points.filter((p) => p.directive?.kind === 'SKIP')).to.have.length(r.summary.skipped);
    }
    // hostile text stays one line, escaped
    const r: Report = JSON.parse(JSON.stringify(failing));
    const bad = r.rules.find((x) => x.status === 'failed')!;
    bad.title = 'has # a hash \\ and\na newline';
    const skip = r.rules.find((x) => x.status === 'skipped')!;
    skip.message = 'because # of \\ this';
    const doc = parseTap14(renderTap(r));
    expect(doc.points.find((p) => p.description.startsWith(bad.id))!.description).to.equal(`${bad.id}: has # a hash \\ and a newline`);
    expect(doc.points.find((p) => p.description.startsWith(skip.id))!.directive!.reason).to.equal('because \\# of \\\\ this');
    // the parser is strict
    expect(() => parseTap14('TAP version 13\n1..0\n')).to.throw(/TAP version 14/);
    expect(() => parseTap14('TAP version 14\n1..2\nok 1 - a\nok 3 - b\n')).to.throw(/out of order/);
    expect(() => parseTap14('TAP version 14\n1..1\nnot ok 1 - a\n  ---\n  x: 1\n')).to.throw(/not closed/);
    expect(() => parseTap14('TAP version 14\n1..1\nok 1 - a # b\n')).to.throw(/not TAP 14/);
  });

  it('tap: a plan, one test point per rule, not ok for failures, # SKIP for skipped', () => {
    const out = renderTap(failing).split('\n');
    expect(out[0]).to.equal('TAP version 14');
    expect(out[1]).to.equal(`1..${failing.rules.length}`);
    const points = out.filter((l) => /^(not )?ok \d+ - /.test(l));
    expect(points).to.have.length(failing.rules.length);
    expect(points.filter((l) => l.startsWith('not ok'))).to.have.length(failing.summary.failed);
    expect(points.filter((l) => / # SKIP /.test(l))).to.have.length(failing.summary.skipped);
    points.forEach((l, i) => expect(l).to.match(new RegExp(`^(not )?ok ${i + 1} - `)));
  });

  it('text: grouped by area, details under failures, a timing table, and the summary as the last line', () => {
    const t = renderText(failing);
    const lines = t.trimEnd().split('\n');
    const s = failing.summary;
    expect(lines.at(-1)).to.equal(`${s.passed} passed, ${s.failed} failed, ${s.warned} warned, ${s.skipped} skipped`);
    expect(t).to.match(/\n {2}FAIL {2}OUT-UTF8 /);
    expect(t).to.contain('host: ');
    expect(t).to.contain('fix: ');
    expect(t).to.match(/\ncalls\n/);
    expect(t).not.to.match(/\u001b\[/); // no colour unless asked
    const colored = renderText(failing, { color: true, paint: { red: (on, x) => (on ? `<r>${x}</r>` : x), green: (_o, x) => x, yellow: (_o, x) => x, dim: (_o, x) => x, bold: (_o, x) => x } });
    expect(colored).to.contain('<r>FAIL</r>');
  });

  it('github: one ::error per failed and one ::warning per warned rule, titled by rule, with file and line; a ::notice last', () => {
    const lines = renderGithub(failing, { cwd: tmp }).trimEnd().split('\n');
    const cmds = lines.map(parseWorkflowCommand);
    const flagged = failing.rules.filter((x) => x.status === 'failed' || x.status === 'warned');
    expect(cmds.slice(0, -1).map((c) => [c.command, c.props.title])).to.deep.equal(
      flagged.map((x) => [x.status === 'failed' ? 'error' : 'warning', `${x.id}: ${x.title}`]),
    );
    for (const [i, x] of flagged.entries()) {
      expect(cmds[i]!.message).to.contain(`fix: ${x.fix}`);
      expect(cmds[i]!.message).to.contain(x.findings[0]?.message ?? x.message);
    }
    // a rule judged on the plugin's calls points at bin/NAME, relative to the repository root
    const utf8 = cmds.find((c) => c.props.title?.startsWith('OUT-UTF8'))!;
    expect(utf8.props.file).to.equal(`out-utf8/bin/${failing.target.name}`);
    expect(cmds.at(-1)!.command).to.equal('notice');
    expect(cmds.at(-1)!.message).to.contain(`${failing.summary.failed} failed`);
    // hostile text: newlines, %, : and , escaped so a message stays one command
    const r: Report = JSON.parse(JSON.stringify(failing));
    const bad = r.rules.find((x) => x.status === 'failed')!;
    bad.title = 'a: b, c 100%';
    bad.findings = [{ rule: bad.id, severity: 'error', message: 'two\nlines\r and ::error::x', entry: 'bin/x,y:z' }];
    const hostile = renderGithub(r, { cwd: tmp }).trimEnd().split('\n').map(parseWorkflowCommand);
    const h = hostile.find((c) => c.props.title === `${bad.id}: a: b, c 100%`)!;
    expect(h.message.split('\n').slice(0, 2)).to.deep.equal(['two', 'lines\r and ::error::x']);
    expect(h.props.file).to.equal('out-utf8/bin/x,y:z');
  });

  it('github: file and line for package rules, archive entries and conformance.json budgets', () => {
    const r: Report = JSON.parse(JSON.stringify(good));
    const shebang = r.rules.find((x) => x.id === 'PKG-SHEBANG')!;
    Object.assign(shebang, { status: 'failed', findings: [{ severity: 'error', message: 'bin/good-bash: no #! line', entry: `bin/${r.target.name}` }] });
    const slow = r.rules.find((x) => x.id === 'RUN-SLOW')!;
    Object.assign(slow, { status: 'warned', findings: [{ severity: 'warning', message: 'help took 900 ms', call: 'help' }] });
    r.settings.configFile = path.join(tmp, 'good-bash', 'conformance.json');
    const configText = '{\n  "configId": "1",\n  "slowMs": 500\n}\n';
    const cmds = renderGithub(r, { cwd: tmp, configText }).trimEnd().split('\n').map(parseWorkflowCommand);
    const s = cmds.find((c) => c.props.title?.startsWith('PKG-SHEBANG'))!;
    expect([s.command, s.props.file, s.props.line]).to.deep.equal(['error', 'good-bash/bin/good-bash', '1']);
    const w = cmds.find((c) => c.props.title?.startsWith('RUN-SLOW'))!;
    expect([w.command, w.props.file, w.props.line]).to.deep.equal(['warning', 'good-bash/conformance.json', '3']);
    // an archive's entries are reported on the archive
    r.target = { ...r.target, kind: 'archive', path: path.join(tmp, 'x-v1.tar.gz') };
    const arch = r.rules.find((x) => x.id === 'ARCH-EXTRA')!;
    Object.assign(arch, { status: 'warned', findings: [{ severity: 'warning', message: 'README.md: not shipped', entry: 'README.md' }] });
    const a = renderGithub(r, { cwd: tmp }).trimEnd().split('\n').map(parseWorkflowCommand).find((c) => c.props.title?.startsWith('ARCH-EXTRA'))!;
    expect(a.props.file).to.equal('x-v1.tar.gz');
    expect(a.message).to.contain('README.md');
  });

  it('github: the job summary (Markdown) has the verdict, a table of failed and warned rules with their fix, and the calls\' time', () => {
    const md = renderGithubSummary(failing);
    expect(md.split('\n')[0]).to.match(/^### ❌ bx-provider-kit test: provider `out-utf8` failed$/);
    expect(md).to.contain(`${failing.summary.failed} failed`);
    const rows = md.split('\n').filter((l) => /^\| (❌|⚠️) \|/.test(l));
    const flagged = failing.rules.filter((x) => x.status === 'failed' || x.status === 'warned');
    expect(rows).to.have.length(flagged.length);
    for (const [i, x] of flagged.entries()) {
      // four cells, the fix in the last one; no cell breaks the table
      const cells = rows[i]!.replace(/\\\|/g, '').split('|');
      expect(cells, rows[i]).to.have.length(6);
      expect(rows[i]).to.contain(`\`${x.id}\``);
      expect(cells[4]!.trim()).to.equal(x.fix.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    }
    expect(md).to.match(/<summary>\d+ calls, [\d.]+ s in all/);
    const okMd = renderGithubSummary(good);
    expect(okMd.split('\n')[0]).to.contain('✅');
  });

  it('gitlab: a Code Quality report (description, check_name, fingerprint, severity, location) with stable fingerprints', () => {
    const issues = JSON.parse(renderGitlab(failing, { cwd: tmp })) as Record<string, unknown>[];
    const flagged = failing.rules.filter((x) => x.status === 'failed' || x.status === 'warned');
    expect(issues).to.have.length(flagged.length);
    const SEVERITIES = ['info', 'minor', 'major', 'critical', 'blocker'];
    const seen = new Set<string>();
    for (const [i, x] of flagged.entries()) {
      const it = issues[i] as { description: string; check_name: string; fingerprint: string; severity: string; location: { path: string; lines: { begin: number } } };
      expect(Object.keys(it).sort()).to.deep.equal(['check_name', 'description', 'fingerprint', 'location', 'severity']);
      expect(it.check_name).to.equal(x.id);
      expect(it.description).to.be.a('string').and.contain(x.id);
      expect(it.fingerprint).to.match(/^[0-9a-f]{64}$/);
      expect(seen.has(it.fingerprint)).to.equal(false);
      seen.add(it.fingerprint);
      expect(SEVERITIES).to.include(it.severity);
      expect(it.severity).to.equal(x.status === 'failed' ? 'major' : 'minor');
      expect(it.location.path).to.be.a('string').and.not.match(/^\//);
      expect(Number.isInteger(it.location.lines.begin) && it.location.lines.begin >= 1).to.equal(true);
    }
    expect(renderGitlab(failing, { cwd: tmp })).to.equal(renderGitlab(JSON.parse(JSON.stringify(failing)), { cwd: tmp }));
    expect(JSON.parse(renderGitlab(good, { cwd: tmp }))).to.have.length(good.summary.failed + good.summary.warned);
  });

  it('never reports a rule passed that was not checked', () => {
    for (const r of [failing, good]) {
      for (const x of r.rules) if (x.status === 'passed') expect(x.calls.length + (x.area === 'package' || x.area === 'archive' || x.area === 'host' ? 1 : 0), x.id).to.be.above(0);
    }
  });
});

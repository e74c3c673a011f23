import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from '@bx-provider-kit/schemas';
import { runConformance } from './runner.js';
import { renderJson, renderJunit, renderTap, renderText } from './reporters.js';
import type { Report } from './report.js';

const CORPUS = fileURLToPath(new URL('../../../conformance/plugins/', import.meta.url));

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

  it('tap: a plan, one test point per rule, not ok for failures, # SKIP for skipped', () => {
    const out = renderTap(failing).split('\n');
    expect(out[0]).to.equal('TAP version 13');
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

  it('never reports a rule passed that was not checked', () => {
    for (const r of [failing, good]) {
      for (const x of r.rules) if (x.status === 'passed') expect(x.calls.length + (x.area === 'package' || x.area === 'archive' || x.area === 'host' ? 1 : 0), x.id).to.be.above(0);
    }
  });
});

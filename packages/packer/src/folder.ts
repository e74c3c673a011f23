import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { KitError, SAFE_NAME } from '@bx-provider-kit/schemas';
import { finding, type Finding } from '@bx-provider-kit/schemas';
import { isIgnoredName } from './ignore.js';
import { peekManifestName } from './manifest.js';
import { HEAD_BYTES, shebangProblem } from './shebang.js';

const SCRIPT_EXT = /\.(sh|bash|php|py|pl|pm|cgi)$/;
const octal = (m: number) => `0${(m & 0o777).toString(8).padStart(3, '0')}`;

async function lstatOrNull(p: string): Promise<fs.Stats | null> {
  try {
    return await fsp.lstat(p);
  } catch {
    return null;
  }
}

async function readStart(file: string, n: number): Promise<{ head: Buffer; size: number }> {
  const fh = await fsp.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(Math.min(n, size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return { head: buf.subarray(0, bytesRead), size };
  } finally {
    await fh.close();
  }
}

/** A folder X whose X/bin/NAME exists: the plugin is wrapped one level too deep. */
async function findWrapped(dir: string, name: string | undefined): Promise<string | undefined> {
  let list: fs.Dirent[];
  try {
    list = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const d of list.filter((x) => x.isDirectory() && !isIgnoredName(x.name)).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (d.name === 'bin') continue;
    const bins = await fsp.readdir(path.join(dir, d.name, 'bin')).catch(() => [] as string[]);
    const hit = name !== undefined ? bins.find((b) => b === name) : bins.length === 1 ? bins[0] : undefined;
    if (hit) return `${d.name}/bin/${hit}`;
  }
  return undefined;
}

/** Scripts under bin/ and lib/ (a #! line or a script suffix), for the LF check. */
async function scripts(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string, depth: number) => {
    if (depth > 32) return;
    let list: fs.Dirent[];
    try {
      list = await fsp.readdir(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of list) {
      if (isIgnoredName(d.name)) continue;
      const r = `${rel}/${d.name}`;
      if (d.isDirectory()) await walk(r, depth + 1);
      else if (d.isFile()) out.push(r);
    }
  };
  await walk('bin', 0);
  await walk('lib', 0);
  return out.sort();
}

/**
 * The PKG-* checks of a plugin folder: bin/NAME present, executable, with a sound #! line and
 * LF line ends in every script; NAME safe. NAME comes from provider.json, else opts.name, else
 * the single file in bin/. Throws KitError (exit 2) when DIR is not a readable folder.
 */
export async function checkPluginFolder(dir: string, opts: { name?: string } = {}): Promise<Finding[]> {
  return checkFolder(dir, opts, true);
}

/** Whether pack/check treat a file as a script that needs LF line ends. */
export function isScript(rel: string, head: Uint8Array): boolean {
  return (head[0] === 0x23 && head[1] === 0x21) || SCRIPT_EXT.test(rel) || rel.startsWith('bin/');
}

/** The PKG-SHEBANG finding for a script with CRLF line ends at byte `at` (`before`: the bytes before it). */
export function crlfFinding(rel: string, line: number): Finding {
  return finding('PKG-SHEBANG', 'error', rel, `${rel} has CRLF line ends (first at line ${line}): the interpreter reads the "\\r" as part of each line`,
    `Convert ${rel} to LF line ends (dos2unix ${rel}; set git core.autocrlf=false or a .gitattributes "* text eol=lf").`);
}

/** Line number (1-based) of byte offset `at`. */
export function lineAt(buf: Uint8Array, at: number, startLine = 1): number {
  let line = startLine;
  const b = Buffer.from(buf.buffer, buf.byteOffset, Math.min(at, buf.byteLength));
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) line++;
  return line;
}

/** `scanScripts: false` leaves the LF check of every script to the caller (pack does it while streaming). */
export async function checkFolder(dir: string, opts: { name?: string }, scanScripts: boolean): Promise<Finding[]> {
  const st = await fsp.stat(dir).catch((e: NodeJS.ErrnoException) => {
    throw new KitError(`cannot read the plugin folder ${dir}: ${e.code === 'ENOENT' ? 'no such folder' : e.message}`);
  });
  if (!st.isDirectory()) throw new KitError(`${dir} is not a folder: point at the plugin folder (the one holding provider.json and bin/)`);
  try {
    await fsp.access(dir, fs.constants.R_OK | fs.constants.X_OK);
  } catch {
    throw new KitError(`cannot read the plugin folder ${dir}: permission denied`);
  }
  const findings: Finding[] = [];
  const manifestName = await peekManifestName(dir);
  const binDir = path.join(dir, 'bin');
  const binList = (await fsp.readdir(binDir, { withFileTypes: true }).catch(() => [] as fs.Dirent[])).filter((d) => !d.isDirectory() && !isIgnoredName(d.name)).map((d) => d.name).sort();
  let name = manifestName ?? opts.name;
  if (manifestName !== undefined && opts.name !== undefined && manifestName !== opts.name) {
    findings.push(finding('PKG-NAME', 'error', 'provider.json', `provider.json names ${JSON.stringify(manifestName)} but the plugin is checked as ${JSON.stringify(opts.name)}`, 'Make provider.json "name", bin/NAME and --provider agree.'));
  }
  if (name === undefined && binList.length === 1) name = binList[0];
  if (name === undefined) {
    const wrapped = await findWrapped(dir, undefined);
    findings.push(finding('PKG-LAYOUT', 'error', 'bin/',
      wrapped ? `no bin/NAME here, but ${wrapped} exists: the plugin is wrapped in a folder one level down`
      : binList.length > 1 ? `bin/ holds ${binList.join(', ')} and no provider.json says which one is the plugin`
      : 'no bin/NAME: the folder has no plugin executable',
      wrapped ? `Point at ${path.join(dir, wrapped.split('/')[0]!)} instead (the folder holding bin/).` : binList.length > 1 ? 'Add provider.json with {"name": "NAME", ...} naming bin/NAME.' : undefined));
    return findings;
  }
  if (!SAFE_NAME.test(name)) {
    findings.push(finding('PKG-NAME', 'error', manifestName !== undefined ? 'provider.json' : `bin/${name}`, `${JSON.stringify(name)} is not a safe provider name: the host puts NAME unquoted on shell command lines`));
  }
  const rel = `bin/${name}`;
  const exe = path.join(dir, 'bin', name);
  const lst = await lstatOrNull(exe);
  let exeOk = false;
  if (!lst) {
    const wrapped = await findWrapped(dir, name);
    findings.push(finding('PKG-LAYOUT', 'error', rel,
      wrapped ? `no ${rel}, but ${wrapped} exists: the plugin is wrapped in a folder one level down`
      : binList.length ? `no ${rel} (bin/ holds ${binList.join(', ')}): the host looks for providers/${name}/bin/${name}`
      : `no ${rel}: the host looks for providers/${name}/bin/${name}`,
      wrapped ? `Move ${wrapped.split('/')[0]}/* up into the plugin folder, or point at ${wrapped.split('/')[0]}.` : `Put the plugin at ${rel} (the name must equal provider.json "name"), chmod 0755.`));
  } else {
    let real = exe;
    if (lst.isSymbolicLink()) {
      const r = await fsp.realpath(exe).catch(() => '');
      const rootReal = await fsp.realpath(dir);
      if (!r) findings.push(finding('PKG-LAYOUT', 'error', rel, `${rel} is a dangling symlink`, `Put the plugin itself at ${rel}.`));
      else if (!r.startsWith(rootReal + path.sep)) findings.push(finding('PKG-LAYOUT', 'error', rel, `${rel} is a symlink out of the plugin folder (to ${r}): it is not shipped`, `Put the plugin itself at ${rel}.`));
      else real = r;
    }
    const s = real === exe && lst.isSymbolicLink() ? null : await fsp.stat(real).catch(() => null);
    if (s && s.isDirectory()) findings.push(finding('PKG-LAYOUT', 'error', rel, `${rel} is a folder, not the plugin executable`, `Put the plugin itself at ${rel}.`));
    else if (s && !s.isFile()) findings.push(finding('PKG-LAYOUT', 'error', rel, `${rel} is not a regular file`, `Put the plugin itself at ${rel}.`));
    else if (s) {
      if ((s.mode & 0o111) === 0) findings.push(finding('PKG-LAYOUT', 'error', rel, `${rel} is not executable (mode ${octal(s.mode)}): the host's -x test fails and the provider does not exist`, `chmod 0755 ${rel}`));
      const { head, size } = await readStart(real, HEAD_BYTES);
      const problem = shebangProblem(head, size);
      if (problem) findings.push(finding('PKG-SHEBANG', 'error', rel, `${rel} ${problem}`));
      exeOk = !problem;
    }
  }
  // LF line ends in every script (read a few at a time)
  if (scanScripts) {
    const list = (await scripts(dir)).filter((r) => !(r === rel && !exeOk));
    const found: (Finding | null)[] = new Array(list.length).fill(null);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < list.length; i = next++) {
        const r = list[i]!;
        const abs = path.join(dir, r);
        const s = await fsp.stat(abs).catch(() => null);
        if (!s || s.size > 8 * 1024 * 1024) continue;
        const text = await fsp.readFile(abs);
        if (!isScript(r, text)) continue;
        const at = text.indexOf('\r\n');
        if (at >= 0) found[i] = crlfFinding(r, lineAt(text, at));
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    for (const f of found) if (f) findings.push(f);
  }
  return findings;
}

import path from 'node:path';
import { SAFE_NAME, SAFE_WORD } from '@bx-provider-kit/schemas';
import { capFindings, finding, hasErrors, type Finding } from '@bx-provider-kit/schemas';
import { HEAD_BYTES, shebangProblem } from './shebang.js';
import { isIgnoredName } from './ignore.js';
import { fileNameAgrees, lengthProblem, LinkTree, nameFromFileName, normEntryPath, resolveInside, type NormPath } from './paths.js';
import { DEFAULT_LIMITS, readHead, sniff, walkArchive, type EntryType, type RawEntry, type WalkResult } from './walk.js';

export interface VerifyOptions {
  /** The provider NAME the archive will be installed as (`--provider`). */
  name?: string;
  /** Stop after this many entries (default 10 000). */
  maxEntries?: number;
  /** Stop after this many uncompressed bytes (default 256 MiB). */
  maxBytes?: number;
}

export interface ArchiveEntry {
  path: string;
  size: number;
  mode: number;
  type: string;
}

export interface VerifyResult {
  archive: string;
  name?: string;
  format: 'tar.gz' | 'zip' | 'unknown';
  /** What the first bytes are, whatever the name says: gzip, zip, bzip2, xz, zstd, tar, empty or unknown (not an archive). */
  detected: string;
  ok: boolean;
  entries: ArchiveEntry[];
  findings: Finding[];
  /** Facts that are no finding, e.g. a zip entry whose directory claims another size than it inflates to. */
  notes: string[];
}

interface Seen {
  raw: RawEntry;
  n: NormPath;
  head?: Buffer;
  /** Bytes actually read. */
  read: number;
  /** bin/ files: the first line ending in CRLF, if any. */
  crlfLine?: number;
}

/** Folders and files the host expects at the archive root. */
export const ROOT_ALLOWED = new Set(['bin', 'etc', 'lib', 'provider.json']);
const KIND: Record<string, string> = { 'char-device': 'character device', 'block-device': 'block device', fifo: 'fifo', socket: 'socket' };
const SPECIAL: EntryType[] = ['char-device', 'block-device', 'fifo', 'socket'];

/** A link that looks inside on paper but leaves through the archive's other links. */
const chainMessage = (target: string) =>
  `a symlink to ${JSON.stringify(target)}: followed through the links the archive places (tar and unzip create them as they come), it leads outside the provider folder; anything written or deleted through it lands anywhere, as root`;

/** An entry path fit for a one-line message: a 1 MB path is shown by its start and length. */
const shortEntry = (p: string) => (p.length > 200 ? `${p.slice(0, 120)}... (${Buffer.byteLength(p)} bytes)` : p);

const octal = (m: number) => `0${(m & 0o7777).toString(8).padStart(3, '0')}`;

/**
 * Judges an archive as the host would treat it: suffix and file name, container format, layout,
 * NAME, modes, shebang, hostile entries and size limits. Streams the archive once; never
 * extracts. Throws KitError (exit 2) only when the file cannot be read at all.
 */
export async function verifyArchive(file: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const limits = { maxEntries: opts.maxEntries ?? DEFAULT_LIMITS.maxEntries, maxBytes: opts.maxBytes ?? DEFAULT_LIMITS.maxBytes };
  const base = path.basename(file);
  const findings: Finding[] = [];
  const magic = await sniff(file);
  const result: VerifyResult = { archive: file, format: 'unknown', detected: magic, ok: false, entries: [], findings, notes: [] };

  // ---- the file name and suffix: what the host does with it
  if (!SAFE_WORD.test(base)) {
    findings.push(finding('ARCH-FILENAME', 'error', base, `the file name ${JSON.stringify(base)} has characters an unquoted shell word breaks on (the host runs \`tar xzf PATH ...\` unquoted)`,
      `Rename it to letters, digits, ".", "_" and "-" only, e.g. ${nameFromFileName(base).replace(/[^A-Za-z0-9._-]+/g, '-') || 'NAME'}-v1.0.0.tar.gz.`));
  }
  let expected: 'tar.gz' | 'zip' | undefined;
  if (base.endsWith('.tar.gz')) expected = 'tar.gz';
  else if (base.endsWith('.zip')) expected = 'zip';
  else if (base.endsWith('.tar.bz2')) {
    findings.push(finding('ARCH-SUFFIX', 'error', base, magic === 'gzip'
      ? 'the name ends in .tar.bz2 (the host runs `tar xzf` on it, which works only because this is really gzip data: a misleading name)'
      : 'a .tar.bz2 archive never installs: the host runs `tar xzf` (gzip) on it and fails with a stale errno',
      'Repack as gzip: NAME-vVERSION.tar.gz (bx-provider-kit pack DIR does).'));
  } else if (base.endsWith('.tgz')) {
    findings.push(finding('ARCH-SUFFIX', 'error', base, 'the host refuses .tgz (`not supported archive (only support tar.gz, tar.bz2, zip)`)',
      `Rename it to ${base.slice(0, -4)}.tar.gz.`));
  } else {
    findings.push(finding('ARCH-SUFFIX', 'error', base, `the host accepts only names ending in .tar.gz or .zip (got ${JSON.stringify(path.extname(base) || base)})`,
      'Pack as NAME-vVERSION.tar.gz (bx-provider-kit pack DIR does).'));
  }
  let format: 'tar.gz' | 'zip' | undefined;
  if (magic === 'gzip') format = 'tar.gz';
  else if (magic === 'zip') format = 'zip';
  if (expected && format !== expected) {
    const what = magic === 'gzip' ? 'gzip data' : magic === 'zip' ? 'a zip archive' : magic === 'tar' ? 'an uncompressed tar' : magic === 'empty' ? 'an empty file' : magic === 'unknown' ? 'not an archive' : `${magic} data`;
    findings.push(finding('ARCH-FORMAT', 'error', base, `named .${expected} but it is ${what}: the host's \`${expected === 'zip' ? 'unzip' : 'tar xzf'}\` fails on it`,
      expected === 'zip' ? 'Repack it with a zip tool that stores unix modes, or as NAME-vVERSION.tar.gz.' : 'Repack it as gzip-compressed tar: tar czf NAME-vVERSION.tar.gz -C DIR bin etc (or bx-provider-kit pack DIR).'));
    format = undefined; // the host could not read it: nothing more to judge
  }
  if (!format) {
    if (!expected && magic !== 'bzip2' && magic !== 'gzip' && magic !== 'zip') {
      findings.push(finding('ARCH-FORMAT', 'error', base, `not a gzip-compressed tar or a zip archive (${magic === 'empty' ? 'the file is empty' : magic === 'unknown' ? 'unknown content' : magic + ' data'})`));
    }
    result.findings = capFindings(findings);
    result.ok = !hasErrors(result.findings);
    return result;
  }
  result.format = format;

  // ---- one pass over the entries
  const seen: Seen[] = [];
  const walk: WalkResult = await walkArchive(file, format, limits, async (raw, body) => {
    const n = normEntryPath(raw.path, raw.dosPaths);
    const s: Seen = { raw, n, read: 0 };
    seen.push(s);
    const want = raw.type === 'symlink' && raw.linkpath === undefined ? 4096 : n.norm === 'provider.json' ? 64 * 1024 : raw.type === 'file' || raw.type === 'other' ? HEAD_BYTES : 0;
    const { head, size, crlfLine } = await readHead(body, want, /^bin\/[^/]+$/.test(n.norm));
    s.read = size;
    if (crlfLine !== undefined) s.crlfLine = crlfLine;
    if (want) s.head = head;
    if (raw.type === 'symlink' && raw.linkpath === undefined) raw.linkpath = head.toString('utf8');
  });
  for (const msg of walk.formatErrors) findings.push(finding('ARCH-FORMAT', 'error', base, msg));
  for (const c of walk.sizeClaims ?? []) {
    result.notes.push(`${c.entry}: the zip directory claims ${c.declared} bytes, it inflates to ${c.inflated} (unzip goes by the data; only inflated bytes count toward the limits)`);
  }
  if (walk.stopped) {
    findings.push(walk.stopped.reason === 'entries'
      ? finding('ARCH-LIMITS', 'error', base, `more than ${limits.maxEntries} entries (stopped reading at ${walk.stopped.at}): the host would unpack them all`)
      : finding('ARCH-LIMITS', 'error', base, `more than ${mib(limits.maxBytes)} uncompressed (stopped reading at ${mib(walk.stopped.at)}): a bomb, or far more than a plugin needs`));
  }
  result.entries = seen.map((s) => ({ path: s.raw.path, size: s.raw.size, mode: s.raw.mode, type: s.raw.type }));

  // ---- per entry
  const byPath = new Map<string, Seen>();
  const noModes: Seen[] = [];
  const tree = new LinkTree();
  const chained = new Set<string>();
  for (const s of seen) {
    const { raw, n } = s;
    if (n.absolute) findings.push(finding('ARCH-ABSOLUTE', 'error', raw.path, 'an absolute path: older tar and unzip write it outside providers/NAME, as root'));
    if (n.traversal) findings.push(finding('ARCH-TRAVERSAL', 'error', raw.path, 'a ".." in the path writes outside providers/NAME, as root (zip-slip)'));
    const long = lengthProblem(raw.path) ?? (raw.type === 'symlink' || raw.type === 'hardlink' ? lengthProblem(raw.linkpath ?? '', 'the link target') : undefined);
    if (long) findings.push(finding('ARCH-FORMAT', 'error', shortEntry(raw.path), long, 'Use shorter paths and names (a plugin needs no deep or long ones).'));
    if (SPECIAL.includes(raw.type)) findings.push(finding('ARCH-SPECIAL', 'error', raw.path, `a ${KIND[raw.type]}: tar as root creates it on the host`));
    if (raw.type === 'symlink') {
      const at = resolveInside(path.posix.dirname(n.norm) === '.' ? '' : path.posix.dirname(n.norm), raw.linkpath ?? '');
      if (at === null) findings.push(finding('ARCH-LINK', 'error', raw.path, `a symlink to ${JSON.stringify(raw.linkpath)}, outside the provider folder: later writes through it land anywhere, as root`));
      else if (!n.absolute && !n.traversal && tree.landing(n.norm, raw.linkpath ?? '') === null) {
        chained.add(n.norm);
        findings.push(finding('ARCH-LINK', 'error', raw.path, chainMessage(raw.linkpath ?? '')));
      }
    }
    if (!n.absolute && !n.traversal && n.norm !== '') tree.place(n.norm, raw.type, raw.linkpath);
    if (raw.type === 'hardlink') {
      const target = normEntryPath(raw.linkpath ?? '');
      if (target.absolute || target.traversal) findings.push(finding('ARCH-LINK', 'error', raw.path, `a hard link to ${JSON.stringify(raw.linkpath)}, outside the provider folder`));
      else if (!byPath.has(target.norm)) findings.push(finding('ARCH-LINK', 'error', raw.path, `a hard link to ${JSON.stringify(raw.linkpath)}, which the archive does not hold before it: tar fails, or links a file already on the host`));
    }
    if (raw.unixMode && raw.type !== 'symlink' && raw.mode & 0o6000) {
      findings.push(finding('ARCH-SETUID', 'error', raw.path, `mode ${octal(raw.mode)} has the ${raw.mode & 0o4000 ? 'setuid' : 'setgid'} bit: tar as root keeps it`, `chmod u-s,g-s ${n.norm || raw.path} before packing (bx-provider-kit pack normalises modes).`));
    }
    if (raw.unixMode && raw.type !== 'symlink' && raw.type !== 'hardlink' && raw.mode & 0o002) {
      findings.push(finding('ARCH-WORLD-WRITABLE', 'error', raw.path, `mode ${octal(raw.mode)} is world-writable: anyone on the host could change code that runs as root`, `chmod o-w ${n.norm || raw.path} before packing (bx-provider-kit pack normalises modes).`));
    }
    if (!raw.unixMode) noModes.push(s);
    if (n.norm !== '' && !n.absolute && !n.traversal) {
      const prev = byPath.get(n.norm);
      if (prev && !(prev.raw.type === 'directory' && raw.type === 'directory')) {
        findings.push(finding('ARCH-DUPLICATE', 'error', raw.path, `${n.norm} is stored twice (as ${prev.raw.path} before): the last copy wins on extraction, so what was reviewed is not what runs`));
      }
      byPath.set(n.norm, s);
    }
  }
  // a link judged inside when it came can leave once the links after it are in place
  for (const l of tree.leaving()) {
    if (chained.has(l.path) || resolveInside(path.posix.dirname(l.path) === '.' ? '' : path.posix.dirname(l.path), l.target) === null) continue;
    findings.push(finding('ARCH-LINK', 'error', byPath.get(l.path)?.raw.path ?? l.path, chainMessage(l.target)));
  }
  // zip entries without unix modes: fatal when bin/NAME is one of them (judged with the layout
  // below); entries git archive writes without modes (non-executable files) extract 0600, fine for root
  let zipModesReported = false;
  const reportZipModes = (entry: string) => {
    if (zipModesReported) return;
    zipModesReported = true;
    findings.push(finding('ARCH-ZIP-MODES', 'error', entry,
      `${noModes.length === seen.length ? 'no entry carries unix modes' : `${entry} carries no unix modes`}: unzip extracts files as 0600, so bin/NAME is not executable and the provider does not exist`));
  };

  // ---- provider.json in the archive (if any)
  let manifestName: string | undefined;
  const manifestRoots = new Set<string>();
  const mf = byPath.get('provider.json');
  if (mf?.head) {
    try {
      const m = JSON.parse(mf.head.toString('utf8')) as Record<string, unknown>;
      if (typeof m.name === 'string') manifestName = m.name;
      if (Array.isArray(m.files)) for (const f of m.files) if (typeof f === 'string') manifestRoots.add(normEntryPath(f).norm.split('/')[0]!);
    } catch {
      /* a broken provider.json is not the host's business */
    }
  }

  // ---- layout and NAME (only when the whole archive was read)
  let wrapper: string | undefined;
  // (a bomb stopped early or a corrupt archive: what is missing may just be unread)
  if (!walk.stopped && walk.formatErrors.length === 0) {
    const rootBin = seen.filter((s) => /^bin\/[^/]+$/.test(s.n.norm) && s.raw.type !== 'directory' && !s.n.absolute && !s.n.traversal);
    // AppleDouble files (bin/._NAME, from macOS tar) and editor leftovers are not candidates
    const binNames = [...new Set(rootBin.map((s) => s.n.norm.slice(4)))].filter((b) => !isIgnoredName(b) || rootBin.length === 1);
    let name = opts.name;
    let nameFrom = '--name';
    if (name === undefined && manifestName !== undefined && binNames.includes(manifestName)) (name = manifestName), (nameFrom = 'provider.json');
    if (name === undefined && binNames.length === 1) (name = binNames[0]), (nameFrom = 'bin/');
    if (name === undefined && binNames.length > 1) {
      const byFile = binNames.filter((b) => fileNameAgrees(base, b));
      if (byFile.length === 1) (name = byFile[0]), (nameFrom = 'the file name');
    }
    if (name === undefined && manifestName !== undefined) (name = manifestName), (nameFrom = 'provider.json');
    if (name !== undefined) result.name = name;

    if (opts.name !== undefined && !SAFE_NAME.test(opts.name)) {
      findings.push(finding('ARCH-NAME', 'error', undefined, `--name ${JSON.stringify(opts.name)} is not a safe provider name: the host puts NAME unquoted on shell command lines`, 'Use letters, digits, "_" and "-", starting with a letter.'));
    }
    if (name !== undefined && manifestName !== undefined && manifestName !== name) {
      findings.push(finding('ARCH-NAME', 'warning', 'provider.json', `provider.json names ${JSON.stringify(manifestName)} but the plugin is ${JSON.stringify(name)} (from ${nameFrom})`, 'Make the name in provider.json, bin/NAME and --provider agree.'));
    }
    if (name !== undefined && (expected || base.endsWith('.tar.bz2') || base.endsWith('.tgz')) && !fileNameAgrees(base, name)) {
      findings.push(finding('ARCH-NAME', 'warning', base, `the file name says ${JSON.stringify(nameFromFileName(base))} but the plugin is ${JSON.stringify(name)} (from ${nameFrom}): the host installs it as --provider ${name} whatever the file is called`,
        `Name the archive ${name}-vVERSION${format === 'zip' ? '.zip' : '.tar.gz'}.`));
    }

    const binEntry = name !== undefined ? byPath.get(`bin/${name}`) : undefined;
    if (name === undefined && binNames.length > 1) {
      findings.push(finding('ARCH-NAME', 'error', 'bin/', `bin/ holds ${binNames.map((b) => `bin/${b}`).join(', ')}: nothing says which one is the plugin`,
        'Name the archive NAME-vVERSION.tar.gz, add provider.json with the name, or pass --name NAME.'));
    } else if (!binEntry) {
      const wrapped = seen
        .map((s) => ({ s, m: /^(.+)\/bin\/([^/]+)$/.exec(s.n.norm) }))
        .filter((x) => x.m && x.s.raw.type !== 'directory' && (name === undefined || x.m[2] === name))
        .sort((a, b) => a.m![1]!.length - b.m![1]!.length)[0];
      if (rootBin.length && name !== undefined) {
        findings.push(finding('ARCH-NAME', 'error', `bin/${name}`, `no bin/${name} (${nameFrom} says ${name}), but the archive holds ${binNames.map((b) => `bin/${b}`).join(', ')}: the host looks for providers/${name}/bin/${name}`,
          `Name the executable bin/${name}, or install it as --provider ${binNames[0]}.`));
      } else if (wrapped) {
        wrapper = wrapped.m![1]!;
        const inner = wrapped.m![2]!;
        findings.push(finding('ARCH-LAYOUT', 'error', wrapped.s.raw.path, `the plugin is wrapped in a folder: ${wrapper}/bin/${inner} instead of bin/${inner}; the host would install providers/${name ?? inner}/${wrapper}/bin/${inner} and the provider would not exist`,
          `Repack from inside the folder: tar czf ${inner}-vVERSION.tar.gz -C ${wrapper} bin etc (or bx-provider-kit pack ${wrapper}).`));
      } else {
        findings.push(finding('ARCH-LAYOUT', 'error', name !== undefined ? `bin/${name}` : undefined, `no ${name !== undefined ? `bin/${name}` : 'bin/NAME'} at the archive root: the host would install it, but the provider would not exist`));
      }
    } else {
      // follow links inside the archive to the file the host will run
      let target: Seen | undefined = binEntry;
      for (let hops = 0; target && (target.raw.type === 'symlink' || target.raw.type === 'hardlink') && hops < 16; hops++) {
        const dir = path.posix.dirname(target.n.norm);
        const to: string | null = target.raw.type === 'symlink' ? resolveInside(dir === '.' ? '' : dir, target.raw.linkpath ?? '') : normEntryPath(target.raw.linkpath ?? '').norm;
        target = to === null ? undefined : byPath.get(to);
      }
      if (binEntry.raw.type === 'directory') {
        findings.push(finding('ARCH-LAYOUT', 'error', binEntry.raw.path, `bin/${name} is a folder, not the executable`, `Put the plugin itself at bin/${name}.`));
      } else if (!target || (target.raw.type !== 'file' && target.raw.type !== 'other')) {
        findings.push(finding('ARCH-LAYOUT', 'error', binEntry.raw.path, `bin/${name} is a link to ${JSON.stringify(binEntry.raw.linkpath)}, which the archive does not hold as a file`, `Store the plugin itself at bin/${name}.`));
      } else {
        if (!target.raw.unixMode) reportZipModes(binEntry.raw.path);
        else if ((target.raw.mode & 0o111) === 0) {
          findings.push(finding('ARCH-EXEC', 'error', binEntry.raw.path, `bin/${name} is stored with mode ${octal(target.raw.mode)}, without the exec bit: tar keeps it and the installed provider does not exist`, `chmod 0755 bin/${name} and repack.`));
        }
        const problem = shebangProblem(target.head ?? Buffer.alloc(0), target.read);
        if (problem) findings.push(finding('ARCH-SHEBANG', 'error', binEntry.raw.path, `bin/${name} ${problem}`));
        else if (target.crlfLine !== undefined) {
          findings.push(finding('ARCH-SHEBANG', 'error', binEntry.raw.path, `bin/${name} has CRLF line ends (first at line ${target.crlfLine}): the interpreter reads the "\\r" as part of each line`,
            `Convert bin/${name} to LF line ends (dos2unix) and repack.`));
        }
      }
      if (!SAFE_NAME.test(name!)) {
        findings.push(finding('ARCH-NAME', 'error', binEntry.raw.path, `${JSON.stringify(name)} is not a safe provider name: the host puts NAME unquoted on shell command lines`, 'Use letters, digits, "_" and "-", starting with a letter, for bin/NAME and the archive.'));
      }
    }
  }

  if (noModes.length && noModes.length === seen.length) reportZipModes(noModes[0]!.raw.path);

  // ---- what else sits at the root
  const extra = new Map<string, string>();
  for (const s of seen) {
    if (s.n.absolute || s.n.traversal || s.n.norm === '') continue;
    const top = s.n.norm.split('/')[0]!;
    if (ROOT_ALLOWED.has(top) || manifestRoots.has(top) || top === wrapper) continue;
    if (!extra.has(top)) extra.set(top, s.raw.path);
  }
  // VCS, editor, OS and test files deeper down (lib/.git, bin/._NAME, etc/.DS_Store ...)
  const junk = new Map<string, string>();
  for (const s of seen) {
    if (s.n.absolute || s.n.traversal || s.n.norm === '') continue;
    const segs = s.n.norm.split('/');
    if (!ROOT_ALLOWED.has(segs[0]!) && !manifestRoots.has(segs[0]!)) continue; // reported above
    if (segs[0] === wrapper) continue;
    const at = segs.findIndex((x, i) => i > 0 && isIgnoredName(x));
    if (at < 0) continue;
    const p = segs.slice(0, at + 1).join('/');
    if (!junk.has(p)) junk.set(p, s.raw.path);
  }
  for (const [p, raw] of junk) {
    findings.push(finding('ARCH-EXTRA', 'warning', raw, `${p} looks like a VCS, editor, OS or test file: it is shipped into providers/NAME on every host`,
      `Leave ${p} out of the archive (bx-provider-kit pack does).`));
  }
  for (const [top, raw] of extra) {
    findings.push(finding('ARCH-EXTRA', 'warning', raw, `${top} is shipped into providers/NAME/${top} on every host (only bin/, etc/, lib/ and provider.json are the plugin)`,
      `Leave ${top} out of the archive (bx-provider-kit pack does), or list it in provider.json "files" if the plugin needs it.`));
  }

  result.findings = capFindings(findings);
  result.ok = !hasErrors(result.findings);
  return result;
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

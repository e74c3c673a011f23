/** Installing and removing providers: install (folders, then the archive unpacked), uninstall, and the kit's purge. */
import fs from 'node:fs';
import path from 'node:path';
import { KitError, isRealInside, realPathOf } from '@bx-provider-kit/schemas';
import { extractArchive, verifyArchive } from '@bx-provider-kit/packer';
import { perlIs, perlStr, perlTrue } from './perl.js';
import { planShellLine, type Segment } from './shell.js';
import { dirname, isDir, isFile, strerror } from './files.js';
import { Refused, type Out } from './outcome.js';
import { checkProviderName } from './root.js';
import type { HostRun } from './run.js';
import type { Provider } from './provider.js';

/** Kit-only: really removes ROOT/providers/NAME (the real `uninstall` deletes nothing, see host-observed j). */
export function purge(root: string, name: string): { removed: string } {
  const base = path.join(path.resolve(root), 'providers');
  if (!name) throw new KitError('purge needs --provider NAME');
  checkProviderName(base, name);
  const holder = path.join(base, name);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(holder);
  } catch {
    throw new KitError(`no provider folder ${holder} to purge`);
  }
  // never follow a link: a linked provider loses its link, never what it points at
  try {
    if (st.isSymbolicLink()) fs.unlinkSync(holder);
    else {
      if (!isRealInside(base, holder, { allowRoot: false })) throw new KitError(`refusing to purge ${holder}: it resolves to ${realPathOf(holder)}, outside ${base}`);
      fs.rmSync(holder, { recursive: true, force: true });
    }
  } catch (e) {
    if (e instanceof KitError) throw e;
    throw new KitError(`cannot purge ${holder}: ${strerror(e)}`);
  }
  return { removed: holder };
}

/** Rules of archive findings the emulator refuses to unpack: writes outside the holder, devices, and bombs (ARCH-LIMITS). */
const OUTSIDE_RULES = new Set(['ARCH-ABSOLUTE', 'ARCH-TRAVERSAL', 'ARCH-LINK', 'ARCH-SPECIAL', 'ARCH-LIMITS']);

export async function install(run: HostRun, p: Provider, archive: string | undefined): Promise<Out> {
  const o = await p.options();
  if (!perlIs(perlStr(o.status), 'not_exists')) return { error: 1, message: `bxProvider: Provider ${p.nameStr} already exist on the host` };
  for (const d of [run.base, p.holder, dirname(p.execute), dirname(p.config)]) run.guard(d, `mkdir('${d}')`);
  for (const d of [run.base, p.holder, dirname(p.execute), dirname(p.config)]) {
    if (!isDir(d)) {
      try {
        fs.mkdirSync(d);
        fs.chmodSync(d, 0o755);
      } catch {
        /* Perl's mkdir failure is not checked */
      }
      debugLog(run);
    }
  }
  if (perlTrue(archive)) {
    const u = await unpack(run, p.holder, archive!);
    if (run.isError(u)) return u;
    debugLog(run);
  }
  // `chown -R bitrix.bitrix HOLDER` is not reproduced: the emulator runs unprivileged and the
  // Debian warning it prints (host-observed G5) depends on the coreutils version.
  return { error: 0, message: `bxProvider: Provider data created, you can found it in ${p.holder}` };
}

/** `-v` makes the real one open logs/providers.debug for appending, and write nothing. */
function debugLog(run: HostRun): void {
  if (!run.o.verbose) return;
  try {
    fs.appendFileSync(path.join(run.root, 'logs', 'providers.debug'), '');
  } catch {
    /* ignored, as there */
  }
}

async function unpack(run: HostRun, folder: string, archive: string): Promise<Out> {
  const file = path.resolve(run.cwd, archive);
  if (!isFile(file)) return { error: 1, message: `bxProvider: not found ${archive}` };
  run.guard(folder, `tar xzf ${archive} -C ${folder}`);
  let mkdirFailed: unknown;
  try {
    if (!isDir(folder)) fs.mkdirSync(folder);
  } catch (e) {
    mkdirFailed = e; // unchecked there: tar -C then fails
  }
  const m = /\.(tar\.gz|tar\.bz2|zip)\n?$/.exec(archive);
  if (!m) return { error: 1, message: 'bxProvider: not supported archive (only support tar.gz, tar.bz2, zip)' };
  const type = m[1];
  const folderSegs: Segment[] = [{ text: run.base + '/', opaque: true }, { text: folder.slice(run.base.length + 1) }];
  const segs: Segment[] =
    type === 'zip'
      ? [{ text: 'unzip ' }, { text: archive }, { text: ' -d ' }, ...folderSegs]
      : [{ text: 'tar xzf ' }, { text: archive }, { text: ' -C ' }, ...folderSegs];
  const plan = planShellLine(segs);
  if (!plan.ok) throw new Refused(plan.line, plan.reason);
  const line = plan.line;
  const failed: Out = { error: 1, message: `bxProvider: cmd=\`${line}\` return error: No such file or directory` };
  if (mkdirFailed !== undefined) return { error: 1, message: `bxProvider: cmd=\`${line}\` return error: ${strerror(mkdirFailed)}` };
  const expected = type === 'zip' ? ['unzip', archive, '-d', folder] : ['tar', 'xzf', archive, '-C', folder];
  // a blank in the archive path or the provider name splits a word: tar/unzip then fail
  if (plan.words.length !== expected.length || plan.words.some((w, i) => w !== expected[i])) return failed;
  const format = type === 'zip' ? 'zip' : 'tar.gz';
  const refuse = (reason: string, rule: string | undefined): Out => {
    // say what is true: a bomb is unpacked in full (inside the folder), not written outside
    const would =
      rule === 'ARCH-LIMITS'
        ? `the real host would run \`${line}\` as root and unpack all of it into ${folder}, filling the disk; the emulator stops at its limits`
        : `the real host would run \`${line}\` as root and write outside ${folder}, the emulator never does`;
    run.stderr(`bx-provider-kit host: refused to unpack ${archive}: ${reason}; ${would}\n`);
    return { error: 1, message: `bxProvider: cmd=\`${line}\` return error: refused by the emulator: ${reason}` };
  };
  try {
    const v = await verifyArchive(file);
    const bad = v.findings.find((f) => f.severity === 'error' && OUTSIDE_RULES.has(f.rule));
    if (bad) return refuse(`${bad.entry ? `${bad.entry}: ` : ''}${bad.message} (${bad.rule})`, bad.rule);
  } catch {
    /* unreadable archives are tar's problem below */
  }
  try {
    await extractArchive(file, folder, { format });
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    const rule = /\b(ARCH-[A-Z-]+)\b/.exec(msg)?.[1];
    if (e instanceof KitError && rule && OUTSIDE_RULES.has(rule)) return refuse(msg, rule);
    return failed; // not gzip / not a zip / corrupt: tar or unzip exits non-zero
  }
  return { error: 0, message: `bxProvider: unpack ${archive} to ${folder}` };
}

export async function uninstall(run: HostRun, p: Provider): Promise<Out> {
  const o = await p.options();
  if (perlIs(perlStr(o.status), 'not_exists')) return { error: 1, message: `bxProvider: Provider ${p.nameStr} not exist on the host` };
  // remove_tree() is given the options hashref: it stats "HASH(0x...)" in the cwd and deletes nothing
  return { error: 0, message: `bxProvider: Provider data deleted from ${p.holder}` };
}

/**
 * Targets: what `test` was given (a plugin folder, an archive, an executable), the provider NAME
 * (checked once, here, before any path is built from it), and an archive made runnable: installed
 * by the emulated host, or unpacked (or salvaged) by the runner inside the run's folder.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import { KitError, SAFE_NAME, readDocumentFile, removeInside } from '@bx-provider-kit/schemas';
import { extractArchive, verifyArchive } from '@bx-provider-kit/packer';
import { execa } from 'execa';
import type { HostState, ResolvedTarget, Run } from './harness.js';
import { installArchive } from './host-trip.js';
import { judgeArchive } from './rules/package.js';
import { oneLine } from './text.js';

/** NAME from NAME-vVERSION.tar.gz (or NAME.zip); undefined when that is not a safe name. */
export function nameFromArchive(base: string): string | undefined {
  const stem = base.replace(/\.(tar\.gz|tgz|zip|tar\.bz2|tbz2?|tar|tar\.xz)$/i, '');
  const m = /^(.+?)-v?\d[0-9A-Za-z.+_~-]*$/.exec(stem);
  const n = m ? m[1]! : stem;
  return SAFE_NAME.test(n) ? n : undefined;
}

const ARCHIVE_RE = /\.(tar\.gz|tgz|zip|tar\.bz2|tbz2?|tar|tar\.xz)$/i;

async function isExecutable(file: string): Promise<boolean> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return false;
    await fs.access(file, fsc.X_OK);
    return (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

async function readJsonName(file: string): Promise<string | undefined> {
  try {
    // a regular file, bounded: a FIFO or /dev/zero named provider.json must not hang the run
    const v = JSON.parse((await readDocumentFile(file)).toString('utf8'));
    return typeof v?.name === 'string' && v.name ? v.name : undefined;
  } catch {
    return undefined;
  }
}

async function folderName(dir: string, given?: string): Promise<string | undefined> {
  if (given) return given;
  const fromManifest = await readJsonName(path.join(dir, 'provider.json'));
  if (fromManifest) return fromManifest;
  const bin = await fs.readdir(path.join(dir, 'bin'), { withFileTypes: true }).catch(() => []);
  const files = bin.filter((d) => !d.isDirectory() && !d.name.startsWith('.'));
  return files.length === 1 ? files[0]!.name : undefined;
}

/**
 * The provider NAME becomes a path (ROOT/providers/NAME, removed and refilled) and a shell word:
 * every name (--name, provider.json, bin/'s single file, the archive's) is checked here, once,
 * before any path is built from it.
 */
export function checkName(name: string, from: string): string {
  if (!SAFE_NAME.test(name)) {
    throw new KitError(
      `${from} ${JSON.stringify(name.length > 60 ? `${name.slice(0, 57)}...` : name)} is not a provider name: only letters, digits, _ and -, starting with a letter (PKG-NAME); the host puts NAME in paths and unquoted shell command lines`,
    );
  }
  return name;
}

export async function resolveTarget(target: string, name: string | undefined): Promise<ResolvedTarget> {
  if (name !== undefined) checkName(name, '--name');
  const abs = path.resolve(target);
  const st = await fs.stat(abs).catch((e: NodeJS.ErrnoException) => {
    throw new KitError(`cannot read ${target}: ${e.code === 'ENOENT' ? 'no such file or folder' : e.code ?? e.message}; give a plugin folder, a .tar.gz/.zip archive or an executable`);
  });
  if (st.isDirectory()) {
    const n = await folderName(abs, name);
    if (!n) {
      throw new KitError(`${target}: no plugin found (no provider.json and no single file in bin/): give the plugin folder, or name the provider with --name`);
    }
    checkName(n, name ? '--name' : `${target}: the provider name`);
    const exe = path.join(abs, 'bin', n);
    const runnable = await isExecutable(exe);
    return {
      path: target,
      kind: 'folder',
      name: n,
      pluginDir: abs,
      executable: exe,
      cwdDir: abs,
      runnable,
      notRunnableWhy: runnable ? undefined : `bin/${n} is missing or not executable (PKG-LAYOUT): the host cannot run it`,
      configCandidates: [path.join(abs, 'conformance.json')],
    };
  }
  if (!st.isFile()) throw new KitError(`${target} is neither a file nor a folder`);
  if (ARCHIVE_RE.test(abs)) {
    return { path: target, kind: 'archive', name: name ?? '', executable: '', cwdDir: '', runnable: false, archiveFile: abs, configCandidates: [] };
  }
  try {
    await fs.access(abs, fsc.R_OK);
  } catch {
    throw new KitError(`cannot read ${target}: permission denied`);
  }
  if (!(await isExecutable(abs))) {
    throw new KitError(`${target} is not executable and not an archive (.tar.gz or .zip): give a plugin folder, an archive, or chmod +x the executable`);
  }
  const n = checkName(name ?? path.basename(abs), name ? '--name' : `${target}: the executable's name`);
  const parent = path.dirname(abs);
  const pluginDir = path.basename(parent) === 'bin' ? path.dirname(parent) : undefined;
  return {
    path: target,
    kind: 'executable',
    name: n,
    pluginDir,
    executable: abs,
    cwdDir: pluginDir ?? parent,
    runnable: true,
    configCandidates: pluginDir ? [path.join(pluginDir, 'conformance.json')] : [],
  };
}

export async function prepareArchive(run: Run): Promise<HostState> {
  const t = run.target;
  const file = t.archiveFile!;
  const L = run.ledger;
  run.progress(`verifying ${path.basename(file)}`);
  const vr = await verifyArchive(file, t.name ? { name: t.name } : {});
  const name = t.name || vr.name || nameFromArchive(path.basename(file));
  if (!name) {
    throw new KitError(`cannot tell the provider NAME of ${path.basename(file)}: pass --name NAME (the --provider value it will be installed as)`);
  }
  t.name = checkName(name, t.name ? '--name' : `${path.basename(file)}: the provider name in its provider.json`);
  judgeArchive(L, vr.findings, vr.format);
  // Install it into a throw-away emulated host, as `bx-provider -a install` would.
  const root = path.join(run.tmp, 'host');
  const holder = path.join(root, 'providers', name);
  t.pluginDir = holder;
  t.cwdDir = holder;
  t.executable = path.join(holder, 'bin', name);
  t.configCandidates = [path.join(holder, 'conformance.json')];
  const st: HostState = { root, installedByHost: false, installMessage: '' };
  run.hostState = st;
  if (run.wants('HOST')) {
    const r = await installArchive(run, root, name, file);
    st.installedByHost = r.ok;
    st.installMessage = r.message;
  }
  if (!(await isExecutable(t.executable))) {
    // The host could not install it (or HOST-* was not selected): unpack it ourselves to test
    // the plugin anyway, refusing anything that would write outside the folder.
    await removeInside(run.tmp, holder);
    await fs.mkdir(holder, { recursive: true });
    try {
      if (vr.format === 'tar.gz' || vr.format === 'zip') await extractArchive(file, holder, { format: vr.format });
      else if (/\.(tar\.bz2|tbz2?)$/i.test(file)) {
        await execa('tar', ['-xjf', file, '-C', holder, '--no-same-owner'], { reject: true, timeout: 60_000, stdin: 'ignore' });
      } else throw new KitError(`${path.basename(file)} is not a format the runner can unpack`);
      st.extractedByRunner = true;
    } catch (e) {
      st.extractError = (e as Error).message;
      // A hostile entry (.., an absolute path, a link out, a device) makes a safe unpack refuse
      // the whole archive. The plugin is still worth testing: salvage the plain files and
      // folders of a .tar.gz (never links, devices or anything outside), within a size bound.
      const rule = /\((ARCH-[A-Z-]+)\)/.exec(st.extractError)?.[1];
      if (vr.format === 'tar.gz' && rule && ['ARCH-TRAVERSAL', 'ARCH-ABSOLUTE', 'ARCH-LINK', 'ARCH-SPECIAL'].includes(rule)) {
        try {
          await salvageTarGz(file, holder);
          if (await isExecutable(t.executable)) {
            st.salvagedBecause = rule;
            st.extractError = undefined;
          }
        } catch {
          /* keep the first reason */
        }
      }
    }
  }
  t.runnable = await isExecutable(t.executable);
  if (!t.runnable) {
    const refusedBy = st.extractError ? /\((ARCH-[A-Z-]+)\)/.exec(st.extractError)?.[1] : undefined;
    t.notRunnableWhy = st.extractError
      ? `the archive could not be unpacked safely (${refusedBy ?? oneLine(st.extractError, 120)})`
      : `the archive installs no executable bin/${name} (see ARCH-LAYOUT, ARCH-EXEC)`;
  }
  return st;
}

/** Unpacks only the regular files and folders of a .tar.gz whose paths stay inside `dest` (at most 64 MiB). */
async function salvageTarGz(file: string, dest: string): Promise<void> {
  const tarMod = await import('tar');
  let bytes = 0;
  const LIMIT = 64 * 1024 * 1024;
  await tarMod.x({
    file,
    cwd: dest,
    preservePaths: false,
    preserveOwner: false,
    filter: (p: string, entry: unknown) => {
      const e = entry as { type?: string; size?: number };
      const parts = p.split('/');
      if (p.startsWith('/') || parts.includes('..')) return false;
      if (e.type !== 'File' && e.type !== 'OldFile' && e.type !== 'ContiguousFile' && e.type !== 'Directory') return false;
      bytes += e.size ?? 0;
      return bytes <= LIMIT;
    },
  });
  // No setuid/setgid/world-writable bits survive the salvage.
  const walk = async (d: string): Promise<void> => {
    for (const ent of await fs.readdir(d, { withFileTypes: true })) {
      const f = path.join(d, ent.name);
      const st = await fs.lstat(f);
      await fs.chmod(f, st.mode & 0o755);
      if (ent.isDirectory()) await walk(f);
    }
  };
  await walk(dest);
}

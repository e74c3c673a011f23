/**
 * Probe plugins for the emulator's tests: a bash script that logs its argv and cwd to
 * HOLDER/calls.log (as the probes behind the recorded host runs did) and prints the exact bytes stored
 * in HOLDER/answers/ACTION (or ACTION.1, ACTION.2, ... on successive calls).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

export const PROBE_SCRIPT = `#!/bin/bash
here="\${0%/bin/*}"
printf 'argc=%s argv=[%s] cwd=%s\\n' "$#" "$*" "$PWD" >> "$here/calls.log"
a="$1"
d="$here/etc/answers"
[ -f "$d/$a.stderr" ] && cat "$d/$a.stderr" >&2
[ -f "$d/$a.sleep" ] && sleep "$(cat "$d/$a.sleep")"
if [ -f "$d/$a" ]; then
  cat "$d/$a"
elif [ -f "$d/$a.1" ]; then
  n=$(( $(cat "$d/$a.count" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$d/$a.count"
  while [ ! -f "$d/$a.$n" ]; do n=$((n - 1)); done
  cat "$d/$a.$n"
fi
exit "$(cat "$d/exit" 2>/dev/null || echo 0)"
`;

export type Answer = string | Buffer;
export interface ProbeSpec {
  /** action -> stdout bytes; an array gives successive answers (the last one repeats). */
  answers?: Record<string, Answer | Answer[]>;
  stderr?: Record<string, string>;
  sleep?: Record<string, number>;
  exit?: number;
  /** write etc/NAME.conf (default true) */
  conf?: boolean;
  /** bin/NAME mode (default 0o755) */
  mode?: number;
}

export const GOOD_HELP = '{"options":["help","configs","order","order_status"],"status":"enabled"}\n';
export const GOOD_CONFIGS = '{"status":"enabled","configurations":[{"id":1,"descr":"VPS 1CPU/1GB"}]}\n';
export const GOOD: ProbeSpec = {
  answers: {
    help: GOOD_HELP,
    configs: GOOD_CONFIGS,
    order: '{"task_id":"24"}\n',
    order_status: ['{"task_id":"24","status":"in_progress"}\n', '{"task_id":"24","status":"finished","server":"192.0.2.10","server_password":"s3cret"}\n'],
  },
};

/** Writes a probe plugin folder DIR/{bin/NAME, etc/NAME.conf, answers/}. */
export function writeProbe(dir: string, name: string, spec: ProbeSpec = GOOD): string {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
  const bin = path.join(dir, 'bin', name);
  fs.writeFileSync(bin, PROBE_SCRIPT);
  fs.chmodSync(bin, spec.mode ?? 0o755);
  if (spec.conf !== false) fs.writeFileSync(path.join(dir, 'etc', `${name}.conf`), 'sandbox=1\n');
  setAnswers(dir, spec);
  return dir;
}

export function setAnswers(dir: string, spec: ProbeSpec): void {
  const a = path.join(dir, 'etc', 'answers');
  fs.rmSync(a, { recursive: true, force: true });
  fs.mkdirSync(a, { recursive: true });
  for (const [action, ans] of Object.entries(spec.answers ?? {})) {
    if (Array.isArray(ans)) ans.forEach((x, i) => fs.writeFileSync(path.join(a, `${action}.${i + 1}`), x));
    else fs.writeFileSync(path.join(a, action), ans);
  }
  for (const [action, text] of Object.entries(spec.stderr ?? {})) fs.writeFileSync(path.join(a, `${action}.stderr`), text);
  for (const [action, s] of Object.entries(spec.sleep ?? {})) fs.writeFileSync(path.join(a, `${action}.sleep`), String(s));
  if (spec.exit !== undefined) fs.writeFileSync(path.join(a, 'exit'), String(spec.exit));
}

/** Places a probe directly as ROOT/providers/NAME (what `install` would have unpacked). */
export function placeProbe(root: string, name: string, spec: ProbeSpec = GOOD): string {
  return writeProbe(path.join(root, 'providers', name), name, spec);
}

export function callsLog(root: string, name: string): string[] {
  try {
    return fs.readFileSync(path.join(root, 'providers', name, 'calls.log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** `tar czf OUT -C DIR ENTRIES...` with the system tar. */
export function tarCzf(out: string, dir: string, entries: string[] = ['bin', 'etc']): string {
  execFileSync('tar', ['czf', out, '-C', dir, ...entries]);
  return out;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bxk-'));
}

/** `find DIR -printf '%M %p\n'` relative to DIR, sorted. */
export function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    const t = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : '-';
    const bits = (m: number) => ['r', 'w', 'x'].map((c, i) => (m & (4 >> i) ? c : '-')).join('');
    const mode = t + bits((st.mode >> 6) & 7) + bits((st.mode >> 3) & 7) + bits(st.mode & 7);
    out.push(`${mode} ${path.relative(dir, p) || '.'}`);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
  return out.sort((a, b) => a.split(' ')[1].localeCompare(b.split(' ')[1]));
}

/** Writes ROOT/providers/NAME/{bin/NAME (a bash script with BODY), etc/NAME.conf}. */
export function placeScript(root: string, name: string, body: string): string {
  const dir = path.join(root, 'providers', name);
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
  const bin = path.join(dir, 'bin', name);
  fs.writeFileSync(bin, `#!/bin/bash\n${body}\n`);
  fs.chmodSync(bin, 0o755);
  fs.writeFileSync(path.join(dir, 'etc', `${name}.conf`), 'sandbox=1\n');
  return dir;
}

/** Pids of this user's live processes whose environment holds NAME=VALUE (a marker given to plugin calls). */
export function pidsWithEnv(name: string, value: string): number[] {
  const want = `${name}=${value}`;
  const pids: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (!fs.readFileSync(`/proc/${e}/environ`, 'latin1').split('\0').includes(want)) continue;
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue; // a zombie is gone already
      pids.push(Number(e));
    } catch {
      /* gone, or not ours */
    }
  }
  return pids;
}

/** SIGKILLs the processes carrying the marker; returns how many there were. */
export function killWithEnv(name: string, value: string): number {
  const pids = pidsWithEnv(name, value);
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return pids.length;
}

/** Polls until no process carries the marker (true) or `ms` passed (false). */
export async function noneWithEnv(name: string, value: string, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (pidsWithEnv(name, value).length === 0) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The run's temp folders, removed whatever way the run ends: normally (runConformance's
 * finally), by an unexpected error (exit 70), or by a signal (Ctrl-C, a plugin that kills its
 * parent with SIGTERM/SIGHUP). SIGKILL leaves nothing to do.
 */
import { promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeInside } from '@bx-provider-kit/schemas';
import { killAllGroups } from './proc.js';

const LIVE = new Set<string>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;

function removeAllSync(): void {
  for (const d of LIVE) {
    try {
      rmSync(d, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      /* best effort while exiting */
    }
  }
  LIVE.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  // Kill the plugin processes first: they may still write into the folders.
  killAllGroups();
  removeAllSync();
  uninstall();
  // Ours ran first (prependListener). When no one else handles the signal, die of it as the
  // default would; else (proc.ts's handler, a library user's) the next listener decides.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', removeAllSync);
  for (const s of SIGNALS) process.prependListener(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('exit', removeAllSync);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** A new temp folder for a run, removed on exit and on signals until `releaseTemp`. */
export async function makeTemp(prefix = 'bxk-run-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  LIVE.add(dir);
  install();
  return dir;
}

/** Removes a folder made by makeTemp (only inside the system temp folder). */
export async function releaseTemp(dir: string): Promise<void> {
  LIVE.delete(dir);
  if (!LIVE.size) uninstall();
  await removeInside(os.tmpdir(), dir).catch(() => {});
}

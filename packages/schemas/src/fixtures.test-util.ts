// Test helpers: the real host transcripts and the seed pages, read from ../shared beside the
// repository (CI clones main with ../shared next to it).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SHARED = fileURLToPath(new URL('../../../../shared/', import.meta.url));

export interface Observed {
  line: number;
  action: string;
  command: string;
  stdout: string;
  value: Record<string, unknown>;
}

const HOST_KIND: Record<string, string> = {
  list: 'host/list',
  status: 'host/status',
  configs: 'host/configs',
  order: 'host/order',
  order_status: 'host/order_status',
  orders_list: 'host/orders_list',
  order_to_host: 'host/order_to_host',
  install: 'host/message',
  uninstall: 'host/message',
};

/** The kind a host answer belongs to: error envelopes are host/error, install/uninstall host/message. */
export function hostKindOf(o: Observed): string {
  const isEnvelope = !('params' in o.value) && 'error' in o.value;
  if (isEnvelope) return 'host/error';
  const k = HOST_KIND[o.action];
  if (!k) throw new Error(`host-observed.md:${o.line}: no host kind for action ${o.action}`);
  return k;
}

/** Every `stdout: {...}` line of host-observed.md that follows a `$ bx-provider ... -a ACTION` line. */
export function observedHostOutputs(): Observed[] {
  const lines = readFileSync(`${SHARED}host-observed.md`, 'utf8').split('\n');
  const out: Observed[] = [];
  let command = '';
  let action = '';
  lines.forEach((l, i) => {
    const cmd = /^\$ (\S+)(.*)$/.exec(l);
    if (cmd) {
      command = l;
      const a = / -a (\S+)/.exec(cmd[2]!);
      action = cmd[1] === 'bx-provider' && a ? a[1]! : '';
      return;
    }
    const m = /^stdout: (\{.*\})(\s+<no trailing newline>)?\s*$/.exec(l);
    if (m && action) {
      out.push({ line: i + 1, action, command, stdout: m[1]!, value: JSON.parse(m[1]!) as Record<string, unknown> });
    }
  });
  return out;
}

export interface SeedBlock {
  file: string;
  line: number;
  /** the bullet the block belongs to (`list`, `order_status`, ...) */
  action: string;
  text: string;
}

/** The JSON examples of a seed page: blocks from a line `{` to its balancing `}`, or one-line `{...}`. */
export function seedBlocks(file: string): SeedBlock[] {
  const lines = readFileSync(`${SHARED}seeds/${file}`, 'utf8').split('\n');
  const blocks: SeedBlock[] = [];
  let action = '';
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    const bullet = /^•\s+([a-z_]+)\b/.exec(t);
    if (bullet) action = bullet[1]!;
    if (!t.startsWith('{')) continue;
    let depth = 0;
    let inStr = false;
    const buf: string[] = [];
    let j = i;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      buf.push(l);
      for (let k = 0; k < l.length; k++) {
        const c = l[k];
        if (inStr) {
          if (c === '\\') k++;
          else if (c === '"') inStr = false;
        } else if (c === '"') inStr = true;
        else if (c === '{') depth++;
        else if (c === '}') depth--;
      }
      if (depth === 0) break;
    }
    blocks.push({ file, line: i + 1, action, text: buf.join('\n') });
    i = j;
  }
  return blocks;
}

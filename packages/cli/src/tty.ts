/**
 * Colours only on a TTY, never with NO_COLOR (https://no-color.org) or TERM=dumb.
 * FORCE_COLOR (as Node and most tools read it) turns them on off a terminal, e.g. in a CI
 * log that renders ANSI colours: any value but 0/false; FORCE_COLOR=0 turns them off.
 * NO_COLOR wins over FORCE_COLOR: the project promises "never with NO_COLOR".
 */
export function useColor(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if ('NO_COLOR' in env && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.trim().toLowerCase());
  if (env.TERM === 'dumb') return false;
  return Boolean(stream.isTTY);
}

const wrap = (open: number, close: number) => (on: boolean, s: string) => (on ? `\u001b[${open}m${s}\u001b[${close}m` : s);
export const paint = {
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  dim: wrap(2, 22),
  bold: wrap(1, 22),
};

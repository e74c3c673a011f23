/** Colours only on a TTY, never with NO_COLOR (https://no-color.org) or TERM=dumb. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if ('NO_COLOR' in process.env && process.env.NO_COLOR !== '') return false;
  if (process.env.TERM === 'dumb') return false;
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

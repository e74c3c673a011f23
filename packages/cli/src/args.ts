import { KitError } from './errors.js';

/**
 * A numeric flag as the user typed it. yargs' `type: 'number'` turns `abc` into NaN and the
 * message would say "NaN"; flags declared as strings come here and are named as given.
 */
export function numberArg(
  flag: string,
  raw: string | number | undefined,
  { min, max, whole = false, what }: { min: number; max: number; whole?: boolean; what: string },
): number | undefined {
  if (raw === undefined) return undefined;
  const v = String(raw).trim();
  const n = (whole ? /^\d+$/ : /^\d+(\.\d+)?$|^\.\d+$/).test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw new KitError(`--${flag} ${raw}: give ${what}, ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}`);
  return n;
}

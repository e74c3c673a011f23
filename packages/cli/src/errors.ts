/**
 * KitError from the schemas package's light entry point (no ajv, no schemas loaded), so
 * `--help` and completion stay fast while every package throws the one class.
 */
export { KitError } from '@bx-provider-kit/schemas/errors';

/**
 * An error meant for a person (one line, an exit code), from this package or any other of the
 * kit: a KitError, or a subclass such as the packer's PackRefused, from whichever copy of the class.
 */
export function isKitError(e: unknown): e is Error & { exitCode: number } {
  if (!(e instanceof Error) || typeof (e as { exitCode?: unknown }).exitCode !== 'number') return false;
  for (let p = Object.getPrototypeOf(e); p && p !== Error.prototype; p = Object.getPrototypeOf(p)) {
    if ((p as { constructor?: { name?: string } }).constructor?.name === 'KitError') return true;
  }
  return false;
}

/**
 * KitError for the CLI's own modules, without loading @bx-provider-kit/schemas (and ajv) at
 * start-up: `--help` and completion stay fast. Same shape as the schemas package's KitError;
 * runCli recognises either by name and exit code (isKitError), whichever copy threw it.
 */
export class KitError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'KitError';
    this.exitCode = exitCode;
  }
}

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

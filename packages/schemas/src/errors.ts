/**
 * An error meant for a person: one line naming what failed, why, and what to do.
 * The CLI prints `message` alone (no stack trace unless --debug) and exits with `exitCode`
 * (2 = bad usage or bad input, the default).
 */
export class KitError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'KitError';
    this.exitCode = exitCode;
  }
}

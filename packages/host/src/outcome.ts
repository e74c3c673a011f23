/**
 * What one step of a run gives back (an Output object of the real host) and the ways a run
 * stops early: a Perl die, a refusal, a plugin printing too much, a plugin call timing out.
 */
import type { PerlValue } from './perl.js';

/** An Output object of the real host. */
export interface Out {
  error: number;
  /** The plugin's own `error` value as Perl holds it ("1" stays a string in the JSON it prints). */
  errorRaw?: PerlValue;
  message?: string;
  data?: [string, PerlValue];
}

/** A byte count as the emulator says it: whole MiB, else bytes. */
export const sizeText = (n: number) => (n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`);

/** The real host died (Perl `die`): nothing more on stdout, the message on stderr, exit 255 or a stale errno. */
export class PerlDie extends Error {
  constructor(
    readonly text: string,
    readonly code = 255,
  ) {
    super(text);
  }
}

/** The emulator will not do what the real host would (a shell line with shell syntax, a write outside). */
export class Refused extends Error {
  constructor(
    readonly line: string,
    readonly reason: string,
    /** false: not a shell line but a write or remove that would leave ROOT. */
    readonly shell = true,
  ) {
    super(reason);
  }
}

/** A plugin printed more on stdout than the emulator keeps: it stops there (exit 2). */
export class Overflow extends Error {
  constructor(
    readonly argv: string[],
    readonly line: string,
    readonly limitBytes: number,
  ) {
    super(`stdout over ${limitBytes} bytes`);
  }
}

/** A plugin call went past `callTimeoutMs` and was killed: the real host would still be waiting (exit 2). */
export class TimedOut extends Error {
  constructor(
    readonly argv: string[],
    readonly line: string,
    readonly limitMs: number,
  ) {
    super(`killed after ${limitMs} ms`);
  }
}

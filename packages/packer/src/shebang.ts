/** Interpreters a stock BitrixVM has (CentOS/Rocky and Debian images of bitrix-env). */
export const STOCK_INTERPRETERS: readonly string[] = ['/bin/bash', '/bin/sh', '/usr/bin/bash', '/usr/bin/perl', '/usr/bin/python3', '/usr/bin/php'];
/** Programs `#!/usr/bin/env X` may name. */
export const ENV_PROGRAMS: readonly string[] = ['bash', 'sh', 'perl', 'python3', 'php'];
/** The kernel reads at most this many bytes of the `#!` line (BINPRM_BUF_SIZE). */
export const SHEBANG_MAX = 255;
/** How many leading bytes of a script the checks need. */
export const HEAD_BYTES = 512;

const show = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);

/**
 * What is wrong with the first line of a plugin executable, or null when the kernel can start
 * it with an interpreter a stock BitrixVM has. `head` is the start of the file (HEAD_BYTES are
 * enough), `size` its full size.
 */
export function shebangProblem(head: Uint8Array, size: number): string | null {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (size === 0 || b.length === 0) return 'is empty: it has no #! line';
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'starts with a UTF-8 byte order mark before #!: the kernel does not see the #! line';
  if (b[0] !== 0x23 || b[1] !== 0x21) {
    if (b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) return 'is an ELF binary, not a script: it may not run on the host\'s system';
    return `has no #! line (it starts with ${show(b.subarray(0, 40).toString('latin1').split('\n')[0] ?? '')})`;
  }
  let nl = b.indexOf(0x0a);
  if (nl < 0) {
    if (size > b.length) return `has a #! line longer than ${SHEBANG_MAX} bytes`;
    nl = b.length;
  }
  const line = b.subarray(0, nl).toString('latin1');
  if (line.includes('\r')) return `has a CRLF line end in its #! line: the kernel looks for ${show(line.slice(2).trim().split(/[ \t]/)[0] + '\\r')}`;
  if (nl > SHEBANG_MAX) return `has a #! line longer than ${SHEBANG_MAX} bytes`;
  const words = line.slice(2).trim().split(/[ \t]+/).filter(Boolean);
  const interp = words[0];
  if (!interp) return 'has an empty #! line';
  if (interp === '/usr/bin/env') {
    let prog = words[1];
    if (prog === '-S') prog = words[2];
    if (!prog) return 'has #!/usr/bin/env without a program';
    if (!ENV_PROGRAMS.includes(prog)) return `runs ${show(prog)} through /usr/bin/env: a stock BitrixVM has ${ENV_PROGRAMS.join(', ')}`;
    return null;
  }
  if (!STOCK_INTERPRETERS.includes(interp)) return `names the interpreter ${show(interp)}, which a stock BitrixVM lacks (it has ${STOCK_INTERPRETERS.join(', ')})`;
  return null;
}

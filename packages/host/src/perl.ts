/**
 * The few pieces of Perl semantics the real bx-provider's behaviour depends on, written for
 * the emulator: JSON::PP 4.07's decoder (non-utf8 mode, as `from_json` uses it) with its exact
 * error messages, its encoder, and Perl's string/number/truthiness conversions with the
 * warnings `use warnings` prints.
 *
 * Strings are "byte strings": each char is one byte of what the plugin printed (Perl reads the
 * pipe without a decoding layer), so non-ASCII UTF-8 passes through unchanged as in b8. A
 * `\uXXXX` escape above U+00FF yields a wide char, as in Perl.
 */

/** A decoded JSON value as Perl holds it: undef = null, JSON::PP::Boolean = boolean. */
export type PerlValue = string | number | bigint | boolean | null | PerlValue[] | PerlHash;
export interface PerlHash {
  [key: string]: PerlValue;
}

export type DecodeResult = { ok: true; value: PerlValue } | { ok: false; message: string };

const MAX_DEPTH = 512;
const MAX_INTSIZE = 18; // 64-bit perl: integers with more characters stay strings

class DecodeError extends Error {}

/**
 * `JSON->new->decode($bytes)` as JSON::PP 4.07 does it without the utf8 option: the bytes are
 * upgraded and re-encoded first, so offsets count UTF-8 bytes of the latin-1 reading (a BOM is
 * reported as `\x{c3}\x{af}\x{c2}\x{bb}`). `message` is the croak text without " at FILE line N.".
 */
export function decodeJsonPP(input: Uint8Array): DecodeResult {
  // utf8::upgrade + utf8::encode: every byte >= 0x80 becomes its two-byte UTF-8 form.
  const text = Buffer.from(Buffer.from(input).toString('latin1'), 'utf8');
  const len = text.length;
  let at = 0;
  let ch: number | undefined = undefined; // undefined = end of text, -1 = '' (start)
  let depth = 0;

  const next = (): number | undefined => {
    if (at >= len) return (ch = undefined);
    return (ch = text[at++]);
  };
  const fail = (msg: string): never => {
    let mess = '';
    for (let i = at; i < len; i++) {
      // unpack('U*') of the encoded bytes: the byte string carries no utf8 flag, so one char per byte
      const c = text[i];
      mess +=
        c === 0x07 ? '\\a'
        : c === 0x09 ? '\\t'
        : c === 0x0a ? '\\n'
        : c === 0x0d ? '\\r'
        : c === 0x0c ? '\\f'
        : c < 0x20 ? `\\x{${c.toString(16)}}`
        : c === 0x5c ? '\\\\'
        : c < 0x80 ? String.fromCharCode(c)
        : `\\x{${c.toString(16)}}`;
      if (mess.length >= 20) {
        mess += '...';
        break;
      }
    }
    if (!mess.length) mess = '(end of string)';
    throw new DecodeError(`${msg}, at character offset ${at} (before "${mess}")`);
  };
  const isWs = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
  const white = () => {
    while (ch !== undefined) {
      if (ch === -1 || isWs(ch)) next();
      else break;
    }
  };
  const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;

  const validUtf8At = (start: number): number => {
    const b0 = text[start];
    const n = b0 < 0x80 ? 1 : b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
    if (!n || start + n > len) return 0;
    const b = (k: number) => text[start + k];
    const cont = (k: number, lo = 0x80, hi = 0xbf) => b(k) >= lo && b(k) <= hi;
    if (n === 2) return cont(1) ? 2 : 0;
    if (n === 3) {
      const ok = b0 === 0xe0 ? cont(1, 0xa0) : b0 === 0xed ? cont(1, 0x80, 0x9f) : cont(1);
      return ok && cont(2) ? 3 : 0;
    }
    const ok4 = b0 === 0xf0 ? cont(1, 0x90) : b0 === 0xf4 ? cont(1, 0x80, 0x8f) : cont(1);
    return ok4 && cont(2) && cont(3) ? 4 : 0;
  };

  const string = (): string => {
    let isUtf8 = false;
    let utf16: string | undefined;
    // The value's bytes (of the re-encoded text; \u escapes appended as UTF-8), utf8::decode'd at
    // the end when any of it was non-ASCII, exactly as JSON::PP does.
    const bytes: number[] = [];
    while (next() !== undefined) {
      if (ch === 0x22) {
        next();
        if (utf16 !== undefined) fail('missing low surrogate character in surrogate pair');
        const buf = Buffer.from(bytes);
        return isUtf8 ? buf.toString('utf8') : buf.toString('latin1');
      } else if (ch === 0x5c) {
        next();
        const esc: Record<number, number> = { 0x62: 8, 0x74: 9, 0x6e: 10, 0x66: 12, 0x72: 13, 0x5c: 0x5c, 0x22: 0x22, 0x2f: 0x2f };
        if (ch !== undefined && esc[ch] !== undefined) bytes.push(esc[ch]);
        else if ((ch as number | undefined) === 0x75) {
          let u = '';
          for (let i = 0; i < 4; i++) {
            next();
            if (ch === undefined || !/[0-9a-fA-F]/.test(String.fromCharCode(ch))) {
              // `last OUTER`: falls to "unexpected end of string"
              return fail('unexpected end of string while parsing JSON string');
            }
            u += String.fromCharCode(ch);
          }
          const hex = parseInt(u, 16);
          if (/^[dD][89abAB]/.test(u)) utf16 = u;
          else if (/^[dD][c-fC-F]/.test(u)) {
            if (utf16 === undefined) fail('missing high surrogate character in surrogate pair');
            isUtf8 = true;
            const cp = 0x10000 + ((parseInt(utf16!, 16) - 0xd800) << 10) + (hex - 0xdc00);
            bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
            utf16 = undefined;
          } else {
            if (utf16 !== undefined) fail('surrogate pair expected');
            if (hex > 127) {
              isUtf8 = true;
              bytes.push(...Buffer.from(String.fromCodePoint(hex), 'utf8'));
            } else bytes.push(hex);
          }
        } else {
          at -= 2;
          fail('illegal backslash escape sequence in string');
        }
      } else {
        const c = ch!;
        if (c > 127) {
          const n = validUtf8At(at - 1);
          if (!n) {
            at -= 1;
            fail('malformed UTF-8 character in JSON string');
          }
          for (let k = 0; k < n; k++) bytes.push(text[at - 1 + k]);
          at += n - 1;
          isUtf8 = true;
          continue;
        }
        if (c < 0x20 || c === 0x22 || c === 0x5c) {
          at--;
          fail('invalid character encountered while parsing JSON string');
        }
        bytes.push(c);
      }
    }
    return fail('unexpected end of string while parsing JSON string');
  };

  const number = (): number | bigint | string => {
    let n = '';
    let isDec = false;
    let isExp = false;
    if (ch === 0x2d) {
      n = '-';
      next();
      if (!isDigit(ch)) fail('malformed number (no digits after initial minus)');
    }
    if (ch === 0x30) {
      const peek = at < len ? String.fromCharCode(text[at]) : '';
      if (/^[0-9a-dfA-DF]/.test(peek)) fail('malformed number (leading zero must not be followed by another digit)');
      n += '0';
      next();
    }
    while (isDigit(ch)) {
      n += String.fromCharCode(ch!);
      next();
    }
    if (ch === 0x2e) {
      n += '.';
      isDec = true;
      next();
      if (!isDigit(ch)) fail('malformed number (no digits after decimal point)');
      n += String.fromCharCode(ch!);
      while (next() !== undefined && isDigit(ch)) n += String.fromCharCode(ch!);
    }
    if (ch === 0x65 || ch === 0x45) {
      n += String.fromCharCode(ch);
      isExp = true;
      next();
      const sign = ch as number | undefined;
      if (sign === 0x2b || sign === 0x2d) {
        n += String.fromCharCode(sign);
        next();
        if (!isDigit(ch)) fail('malformed number (no digits after exp sign)');
        n += String.fromCharCode(ch!);
      } else if (isDigit(ch)) n += String.fromCharCode(ch!);
      else fail('malformed number (no digits after exp sign)');
      while (next() !== undefined && isDigit(ch)) n += String.fromCharCode(ch!);
    }
    // JSON::PP keeps integers longer than 18 characters as their text; the encoder prints that
    // text back unquoted when Perl's 0+ reads it exactly (a 64-bit IV/UV), quoted otherwise
    if (!isDec && !isExp && n.length > MAX_INTSIZE) {
      const b = BigInt(n);
      return b >= -(2n ** 63n) && b < 2n ** 64n ? b : n;
    }
    // other integers are Perl IVs (64-bit, exact): beyond 2^53 keep them exact too
    if (!isDec && !isExp && Math.abs(Number(n)) >= 1e15) return BigInt(n); // an exact IV, printed with all its digits
    // `0+$v` / `$v/1.0` of a string: an integral result in 64-bit range becomes an IV too
    const x = Number(n);
    if (Number.isInteger(x) && Math.abs(x) >= 1e15 && x < 2 ** 64 && x >= -(2 ** 63)) return BigInt(x);
    return x;
  };

  const word = (): PerlValue => {
    const w = text.subarray(at - 1, at + 3).toString('latin1');
    if (w === 'true') {
      at += 3;
      next();
      return true;
    }
    if (w === 'null') {
      at += 3;
      next();
      return null;
    }
    if (w === 'fals') {
      at += 3;
      if (at < len && text[at] === 0x65) {
        at++;
        next();
        return false;
      }
    }
    at--;
    if (w.startsWith('n')) fail("'null' expected");
    if (w.startsWith('t')) fail("'true' expected");
    if (w.startsWith('f')) fail("'false' expected");
    return fail('malformed JSON string, neither array, object, number, string or atom');
  };

  const array = (): PerlValue[] => {
    const a: PerlValue[] = [];
    if (++depth > MAX_DEPTH) fail('json text or perl structure exceeds maximum nesting level (max_depth set too low?)');
    next();
    white();
    if (ch === 0x5d) {
      --depth;
      next();
      return a;
    }
    while (ch !== undefined) {
      a.push(value() as PerlValue);
      white();
      if (ch === undefined) break;
      if (ch === 0x5d) {
        --depth;
        next();
        return a;
      }
      if (ch !== 0x2c) break;
      next();
      white();
    }
    if (ch !== undefined && ch !== -1) at--;
    return fail(', or ] expected while parsing array');
  };

  const object = (): PerlHash => {
    const o: PerlHash = Object.create(null);
    if (++depth > MAX_DEPTH) fail('json text or perl structure exceeds maximum nesting level (max_depth set too low?)');
    next();
    white();
    if (ch === 0x7d) {
      --depth;
      next();
      return o;
    }
    while (ch !== undefined) {
      // JSON::PP calls string() whatever the character is; it only parses when it is a quote
      const k = ch === 0x22 ? string() : fail('unexpected end of string while parsing JSON string');
      white();
      if (ch === undefined || ch !== 0x3a) {
        at--;
        fail("':' expected");
      }
      next();
      o[k] = value() as PerlValue;
      white();
      if (ch === undefined) break;
      if (ch === 0x7d) {
        --depth;
        next();
        return o;
      }
      if (ch !== 0x2c) break;
      next();
      white();
    }
    if (ch !== undefined && ch !== -1) at--;
    return fail(', or } expected while parsing object/hash');
  };

  function value(): PerlValue | undefined {
    white();
    if (ch === undefined) return undefined;
    if (ch === 0x7b) return object();
    if (ch === 0x5b) return array();
    if (ch === 0x28) return fail('malformed JSON string, neither array, object, number, string or atom');
    if (ch === 0x22) return string();
    if (isDigit(ch) || ch === 0x2d) return number();
    return word();
  }

  try {
    ch = -1;
    white();
    if (ch === undefined) fail('malformed JSON string, neither array, object, number, string or atom');
    const result = value();
    white();
    if (ch !== undefined) fail('garbage after JSON object');
    return { ok: true, value: result === undefined ? null : result };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, message: e.message };
    throw e;
  }
}

/** A stable fake address for stringified references (Perl prints HASH(0x55d...)). */
let fakeAddr = 0x55d0c4a1e2f0;
const addrs = new WeakMap<object, string>();
function addrOf(o: object): string {
  let a = addrs.get(o);
  if (!a) {
    a = '0x' + fakeAddr.toString(16);
    fakeAddr += 0x18;
    addrs.set(o, a);
  }
  return a;
}

/** Perl's %.15g for a number. */
export function perlNum(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Inf' : '-Inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  let s = n.toPrecision(15);
  if (s.includes('e')) {
    let [m, e] = s.split('e');
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
    const ex = Number(e);
    return `${m}e${ex < 0 ? '-' : '+'}${String(Math.abs(ex)).padStart(2, '0')}`;
  }
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

/** "$value" in Perl. undef gives '' (the caller emits the warning where Perl would). */
export function perlStr(v: PerlValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return perlNum(v);
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (Array.isArray(v)) return `ARRAY(${addrOf(v)})`;
  return `HASH(${addrOf(v)})`;
}

/** Perl truthiness: undef, '', '0' and 0 are false (a reference is always true). */
export function perlTrue(v: PerlValue | undefined): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v !== '' && v !== '0';
  return true;
}

/** `$s =~ /^WORD$/`: Perl's `$` also matches before one trailing newline. */
export function perlIs(s: string, ...words: string[]): string | undefined {
  for (const w of words) if (s === w || s === w + '\n') return w;
  return undefined;
}

/** `/^$/`: the empty string or a single newline. */
export function perlEmpty(s: string): boolean {
  return s === '' || s === '\n';
}

/**
 * Numeric value of a string as Perl's `==` takes it, and whether Perl warns
 * `Argument "..." isn't numeric`.
 */
export function perlNumify(v: PerlValue | undefined): { n: number; warn: boolean } {
  if (v === null || v === undefined) return { n: 0, warn: false };
  if (typeof v === 'number') return { n: v, warn: false };
  if (typeof v === 'bigint') return { n: Number(v), warn: false };
  if (typeof v === 'boolean') return { n: v ? 1 : 0, warn: false };
  if (typeof v !== 'string') return { n: 0x55d0c4a1e2f0, warn: false };
  const full = /^[ \t\n\r\f\v]*[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)[ \t\n\r\f\v]*$/i;
  if (full.test(v)) {
    const t = v.trim().toLowerCase().replace(/^\+/, '');
    if (/inf/.test(t)) return { n: t.startsWith('-') ? -Infinity : Infinity, warn: false };
    if (/nan/.test(t)) return { n: NaN, warn: false };
    return { n: Number(t), warn: false };
  }
  const m = /^[ \t\n\r\f\v]*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/.exec(v);
  return { n: m ? Number(m[1]) : 0, warn: true };
}

/** How Perl shows a string in `Argument "%s" isn't numeric` (sv.c not_a_number). */
export function perlNotANumberDisplay(s: string): string {
  let d = '';
  const limit = 56;
  let i = 0;
  for (; i < s.length && d.length < limit; i++) {
    const c = s.charCodeAt(i) & 0xff;
    if (c >= 0x80) d += String.fromCharCode(c); // high bytes are shown raw
    else if (c === 0x0a) d += '\\n';
    else if (c === 0x0d) d += '\\r';
    else if (c === 0x0c) d += '\\f';
    else if (c === 0x5c) d += '\\\\';
    else if (c === 0) d += '\\0';
    else if (c >= 0x20 && c < 0x7f) d += String.fromCharCode(c);
    else d += '^' + String.fromCharCode(c ^ 64);
  }
  if (i < s.length) d += '...';
  return d;
}

/** `Can't use string ("%.32s"...)`: the first 32 chars, then `"...` if there were more. */
export function perlStringRefDisplay(s: string): string {
  return s.length > 32 ? `"${s.slice(0, 32)}"...` : `"${s}"`;
}

/** The Moose display of a value in "Validation failed for 'Int' with value ...". */
export function mooseDisplay(v: PerlValue | undefined): string {
  if (v === null || v === undefined) return 'undef';
  if (typeof v === 'boolean') return `JSON::PP::Boolean=SCALAR(${addrOf(v ? trueBox : falseBox)})`;
  return perlStr(v);
}
const trueBox = {};
const falseBox = {};

/** Moose's Int: defined, not a reference, and /\A-?[0-9]+\z/ on its string form. */
export function isMooseInt(v: PerlValue | undefined): boolean {
  if (typeof v === 'number') return /^-?[0-9]+$/.test(perlNum(v));
  if (typeof v === 'bigint') return true;
  if (typeof v === 'string') return /^-?[0-9]+$/.test(v);
  return false;
}

/** JSON::PP's encoder (to_json without utf8/ascii/latin1, no pretty): a byte string. */
export function encodeJsonPP(v: PerlValue | undefined): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return perlNum(v); // Inf/NaN come out bare, as JSON::PP prints them
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'string') {
    const s = v
      .replace(/["\\\n\r\t\f\b]/g, (c) => ({ '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\f': '\\f', '\b': '\\b' })[c]!)
      .replace(/[\x00-\x08\x0b\x0e-\x1f]/g, (c) => '\\u00' + c.charCodeAt(0).toString(16).padStart(2, '0'));
    return `"${s}"`;
  }
  if (Array.isArray(v)) return `[${v.map(encodeJsonPP).join(',')}]`;
  return `{${Object.keys(v)
    .map((k) => `${encodeJsonPP(k)}:${encodeJsonPP(v[k])}`)
    .join(',')}}`;
}

/** Bytes Perl prints for a string: latin-1 chars as bytes; any wide char makes it all UTF-8. */
export function perlBytes(s: string): { bytes: Buffer; wide: boolean } {
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\xff]/.test(s)) return { bytes: Buffer.from(s, 'utf8'), wide: true };
  return { bytes: Buffer.from(s, 'latin1'), wide: false };
}

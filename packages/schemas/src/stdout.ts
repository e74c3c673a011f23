/**
 * readPluginStdout: what the host makes of a plugin's stdout (the host contract §3; fixtures/host-9.0.9 has the recorded runs), byte for byte.
 *
 * The host reads all of stdout. "" or exactly "\n" is "return empty string" (OUT-EMPTY); anything
 * else goes to JSON::PP, which dies on a BOM (OUT-BOM), on anything but exactly one JSON document
 * with optional whitespace around it (OUT-JSON; "\n\n" included), and on a document that is not
 * an object (OUT-OBJECT). Bytes that are not UTF-8 pass the host but break the web interface
 * (OUT-UTF8). Offsets are byte offsets, which is what JSON::PP's "character offset" counts on
 * the host (it decodes stdout as Latin-1).
 */

export type StdoutRule = 'OUT-EMPTY' | 'OUT-JSON' | 'OUT-BOM' | 'OUT-OBJECT' | 'OUT-UTF8';

export type PluginStdout =
  | { ok: true; value: Record<string, unknown>; text: string }
  | { ok: false; rule: StdoutRule; message: string };

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

class ParseError extends Error {
  constructor(
    readonly offset: number,
    readonly what: string,
  ) {
    super(what);
  }
}

/** Finds the end of the JSON value starting at `i` (RFC 8259, as strict as JSON::PP). */
/** JSON::PP's default max_depth: the 513th nested array or object dies. */
const MAX_DEPTH = 512;

function skipValue(b: Uint8Array, i: number, depth = 0): number {
  if (i >= b.length) throw new ParseError(i, 'the document ends early (a value is missing)');
  const c = b[i]!;
  if ((c === 0x7b || c === 0x5b) && depth >= MAX_DEPTH) throw new ParseError(i, `arrays and objects nested more than ${MAX_DEPTH} deep`);
  if (c === 0x7b /* { */) {
    i = ws(b, i + 1);
    if (b[i] === 0x7d) return i + 1;
    for (;;) {
      if (b[i] !== 0x22) throw new ParseError(i, i >= b.length ? 'the document ends early (an object is not closed)' : 'a key in double quotes was expected');
      i = ws(b, skipString(b, i));
      if (b[i] !== 0x3a) throw new ParseError(i, i >= b.length ? 'the document ends early (an object is not closed)' : '":" was expected after a key');
      i = ws(b, skipValue(b, ws(b, i + 1), depth + 1));
      if (b[i] === 0x2c) {
        i = ws(b, i + 1);
        continue;
      }
      if (b[i] === 0x7d) return i + 1;
      throw new ParseError(i, i >= b.length ? 'the document ends early (an object is not closed)' : '"," or "}" was expected');
    }
  }
  if (c === 0x5b /* [ */) {
    i = ws(b, i + 1);
    if (b[i] === 0x5d) return i + 1;
    for (;;) {
      i = ws(b, skipValue(b, i, depth + 1));
      if (b[i] === 0x2c) {
        i = ws(b, i + 1);
        continue;
      }
      if (b[i] === 0x5d) return i + 1;
      throw new ParseError(i, i >= b.length ? 'the document ends early (an array is not closed)' : '"," or "]" was expected');
    }
  }
  if (c === 0x22) return skipString(b, i);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return skipNumber(b, i);
  for (const lit of ['true', 'false', 'null']) {
    if (c === lit.charCodeAt(0)) {
      for (let k = 0; k < lit.length; k++) {
        if (b[i + k] !== lit.charCodeAt(k)) throw new ParseError(i, `"${lit}" was expected`);
      }
      return i + lit.length;
    }
  }
  throw new ParseError(i, 'not the start of a JSON value');
}

function ws(b: Uint8Array, i: number): number {
  while (i < b.length && WS.has(b[i]!)) i++;
  return i;
}

function skipString(b: Uint8Array, i: number): number {
  const start = i;
  i++;
  for (;;) {
    if (i >= b.length) throw new ParseError(start, 'the document ends early (a string is not closed)');
    const c = b[i]!;
    if (c === 0x22) return i + 1;
    if (c < 0x20) throw new ParseError(i, 'a raw control character inside a string (write it as \\n, \\t or \\u00XX)');
    if (c === 0x5c) {
      const n = b[i + 1];
      if (n === 0x75) {
        const u = hex4(b, i + 2);
        if (u < 0) throw new ParseError(i, 'a bad \\u escape in a string');
        if (u >= 0xdc00 && u <= 0xdfff) throw new ParseError(i, 'a \\u escape with a low surrogate but no high one before it');
        if (u >= 0xd800 && u <= 0xdbff) {
          // JSON::PP wants the pair: \uD83D\uDE00
          const low = b[i + 6] === 0x5c && b[i + 7] === 0x75 ? hex4(b, i + 8) : -1;
          if (low < 0xdc00 || low > 0xdfff) throw new ParseError(i, 'a \\u escape with a high surrogate but no low one after it');
          i += 12;
          continue;
        }
        i += 6;
        continue;
      }
      if (n === undefined || !'"\\/bfnrt'.includes(String.fromCharCode(n))) throw new ParseError(i, 'a bad escape in a string');
      i += 2;
      continue;
    }
    i++;
  }
}

function hex4(b: Uint8Array, i: number): number {
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const h = b[i + k];
    if (h === undefined) return -1;
    const d = h >= 0x30 && h <= 0x39 ? h - 0x30 : h >= 0x41 && h <= 0x46 ? h - 0x37 : h >= 0x61 && h <= 0x66 ? h - 0x57 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

function skipNumber(b: Uint8Array, i: number): number {
  const start = i;
  const digit = (x: number | undefined) => x !== undefined && x >= 0x30 && x <= 0x39;
  if (b[i] === 0x2d) i++;
  if (b[i] === 0x30) {
    i++;
    if (digit(b[i])) throw new ParseError(start, 'a number with a leading zero');
  } else if (digit(b[i])) {
    while (digit(b[i])) i++;
  } else throw new ParseError(start, 'a malformed number');
  if (b[i] === 0x2e) {
    i++;
    if (!digit(b[i])) throw new ParseError(start, 'a malformed number');
    while (digit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!digit(b[i])) throw new ParseError(start, 'a malformed number');
    while (digit(b[i])) i++;
  }
  return i;
}

/** A short, printable excerpt of the bytes at `offset`, like JSON::PP's `(before "...")`. */
function excerpt(b: Uint8Array, offset: number): string {
  if (offset >= b.length) return '(end of output)';
  const part = Buffer.from(b.subarray(offset, offset + 24)).toString('latin1');
  const s = JSON.stringify(part).slice(1, -1);
  return `"${s}${offset + 24 < b.length ? '...' : ''}"`;
}

function fail(rule: StdoutRule, message: string): PluginStdout {
  return { ok: false, rule, message: `${message} (${rule})` };
}

export function readPluginStdout(bytes: Uint8Array | string): PluginStdout {
  const b = typeof bytes === 'string' ? new Uint8Array(Buffer.from(bytes, 'utf8')) : bytes;
  if (b.length === 0) {
    return fail('OUT-EMPTY', 'stdout is empty: the host answers "Command `bin/NAME ...` return empty string"');
  }
  if (b.length === 1 && b[0] === 0x0a) {
    return fail('OUT-EMPTY', 'stdout is a lone newline, which the host takes as empty: it answers "Command `bin/NAME ...` return empty string"');
  }
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
    return fail('OUT-BOM', 'stdout starts with a UTF-8 byte order mark (EF BB BF): the host reads it as three junk characters and its JSON parser dies');
  }
  const first = ws(b, 0);
  if (first === b.length) {
    return fail(
      'OUT-JSON',
      `stdout is only whitespace (${b.length} byte${b.length === 1 ? '' : 's'}, ${excerpt(b, 0)}): the host takes only "" or a single "\\n" as empty and dies parsing the rest as JSON`,
    );
  }
  let end: number;
  try {
    end = skipValue(b, first);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    const lead =
      e.offset === first && first < b.length && !'{["-0123456789tfn'.includes(String.fromCharCode(b[first]!))
        ? `text before the JSON document at byte offset ${e.offset} (${excerpt(b, e.offset)}; a log line on stdout?)`
        : `not valid JSON at byte offset ${e.offset}: ${e.what}, before ${excerpt(b, e.offset)}`;
    return fail('OUT-JSON', `${lead}: the host's JSON parser dies and the caller gets nothing`);
  }
  const after = ws(b, end);
  if (after < b.length) {
    let second = false;
    try {
      skipValue(b, after);
      second = true;
    } catch {
      second = false;
    }
    return fail(
      'OUT-JSON',
      `${second ? 'a second JSON document' : 'text after the JSON document'} at byte offset ${after} (${excerpt(b, after)}): the host parses all of stdout as one document and dies ("garbage after JSON object")`,
    );
  }
  let text: string;
  let utf8 = true;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    utf8 = false;
    text = new TextDecoder('utf-8').decode(b);
  }
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return fail('OUT-OBJECT', `the document is ${what}, not an object: the host dies with "Not a HASH reference"`);
  }
  if (!utf8) {
    const bad = firstInvalidUtf8(b);
    return fail(
      'OUT-UTF8',
      `stdout is not valid UTF-8 (byte offset ${bad}: 0x${b[bad]!.toString(16).padStart(2, '0')}): the host passes the bytes on and the web interface fails to decode the answer`,
    );
  }
  return { ok: true, value: value as Record<string, unknown>, text };
}

/** The byte offset of the first sequence that is not well-formed UTF-8 (RFC 3629). */
function firstInvalidUtf8(b: Uint8Array): number {
  const cont = (x: number | undefined) => x !== undefined && (x & 0xc0) === 0x80;
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    const second = b[i + 1];
    if (second === undefined || second < lo || second > hi) return i;
    for (let k = 2; k <= n; k++) if (!cont(b[i + k])) return i;
    i += n + 1;
  }
  return -1;
}

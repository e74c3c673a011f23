/** Small helpers: excerpts of what a plugin printed, JSON comparison. */

const DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function isValidUtf8(b: Uint8Array): boolean {
  try {
    DECODER.decode(b);
    return true;
  } catch {
    return false;
  }
}

/**
 * A readable excerpt of raw output: valid UTF-8 decoded, invalid bytes as \xNN, a BOM as
 * <BOM>, CR as \r, other control characters escaped; at most `maxLines` lines and `maxChars`.
 */
export function excerpt(buf: Uint8Array, maxChars = 300, maxLines = 6): string {
  const head = buf.subarray(0, Math.min(buf.length, maxChars * 4));
  let s = '';
  let i = 0;
  while (i < head.length && s.length < maxChars) {
    const b = head[i]!;
    let len = 0;
    if (b < 0x80) len = 1;
    else if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) len = 3;
    else if (b >= 0xf0 && b <= 0xf4) len = 4;
    let ch: string | undefined;
    if (len === 1) ch = String.fromCharCode(b);
    else if (len > 1 && i + len <= head.length) {
      try {
        ch = DECODER.decode(head.subarray(i, i + len));
      } catch {
        ch = undefined;
      }
    }
    if (ch === undefined) {
      s += `\\x${b.toString(16).padStart(2, '0')}`;
      i += 1;
      continue;
    }
    i += len;
    if (ch === '\uFEFF') s += '<BOM>';
    else if (ch === '\n') s += '\n';
    else if (ch === '\r') s += '\\r';
    else if (ch === '\t') s += '\\t';
    else if (ch < ' ' || ch === '\x7f') s += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else s += ch;
  }
  let cut = i < buf.length;
  let lines = s.split('\n');
  if (lines.length > maxLines) {
    lines = lines.slice(0, maxLines);
    cut = true;
  }
  s = lines.join('\n');
  return cut ? `${s}… (${buf.length} bytes in all)` : s;
}

/** One line version of an excerpt (newlines shown as ⏎). */
export function oneLine(s: string, max = 160): string {
  const t = s.replace(/\n/g, '⏎');
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/** Deep equality of JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual(ao[k], bo[k]));
}

/** The first difference between two JSON values, as a short path (for messages). */
export function firstDifference(a: unknown, b: unknown, at = ''): string {
  if (jsonEqual(a, b)) return '';
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}/${k}`);
      if (d) return d;
    }
  }
  const show = (v: unknown) => (v === undefined ? '(missing)' : oneLine(JSON.stringify(v), 60));
  return `${at || '/'}: ${show(a)} vs ${show(b)}`;
}


export const show = (v: unknown, max = 80): string => oneLine(v === undefined ? 'undefined' : JSON.stringify(v), max);

/**
 * The exact bytes of tar entry names. node-tar decodes paths and link targets as UTF-8 (invalid
 * bytes become U+FFFD); GNU tar on the host writes the bytes, so walk-tar.ts reads the stream a
 * second time, beside node-tar's parser, with the `TarNameTap` here.
 */
import { Transform, type TransformCallback } from 'node:stream';

const META_CAP = 1024 * 1024;
const upToNul = (b: Buffer) => {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
};
/** A tar number field: octal text, or base-256 (high bit set) as GNU tar writes large ones. */
function tarNumber(b: Buffer): number {
  if (b[0]! & 0x80) {
    let n = b[0]! & 0x3f;
    for (let i = 1; i < b.length; i++) n = n * 256 + b[i]!;
    return n;
  }
  return parseInt(upToNul(b).toString('latin1').trim() || '0', 8) || 0;
}
/** The raw value bytes of the records of a PAX body, by key. */
function paxValues(body: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let p = 0;
  while (p < body.length) {
    const sp = body.indexOf(0x20, p);
    if (sp < 0) break;
    const len = parseInt(body.subarray(p, sp).toString('latin1'), 10);
    if (!(len > 0) || p + len > body.length) break;
    const rec = body.subarray(sp + 1, p + len - 1); // without the trailing newline
    const eq = rec.indexOf(0x3d);
    if (eq > 0) out.set(rec.subarray(0, eq).toString('latin1'), Buffer.from(rec.subarray(eq + 1)));
    p += len;
  }
  return out;
}

/**
 * Follows the tar stream beside node-tar's parser to keep the exact bytes of each entry's path
 * and link target (node-tar decodes them as UTF-8, turning invalid bytes into U+FFFD). Records,
 * in stream order, one { path, linkpath } of raw bytes per entry that is not a meta header.
 */
export interface TapName {
  /** The path GNU tar uses: a PAX or GNU long-name record's bytes, else the header's. */
  path: Buffer;
  linkpath: Buffer;
  /** The header's own (ustar) name, and whether `path` came from a meta record instead. */
  ustar: string;
  fromMeta: boolean;
  linkFromMeta: boolean;
}

export class TarNameTap extends Transform {
  private readonly names: TapName[] = [];
  private head = Buffer.alloc(0);
  /** Bytes of the current body (with padding) still to pass. */
  private remain = 0;
  private meta: { type: string; parts: Buffer[]; kept: number; size: number } | undefined;
  private pending: { path?: Buffer; linkpath?: Buffer; size?: number } = {};
  private ended = false;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      if (!this.ended) this.scan(chunk);
    } catch {
      this.ended = true; // not a stream this reader follows: node-tar reports what is wrong
    }
    cb(null, chunk);
  }
  private scan(chunk: Buffer): void {
    let p = 0;
    while (p < chunk.length && !this.ended) {
      if (this.remain > 0) {
        const n = Math.min(this.remain, chunk.length - p);
        const want = this.meta ? Math.min(this.meta.size, META_CAP) - this.meta.kept : 0;
        if (want > 0) {
          const take = chunk.subarray(p, p + Math.min(n, want));
          this.meta!.parts.push(Buffer.from(take));
          this.meta!.kept += take.length;
        }
        this.remain -= n;
        p += n;
        if (this.remain === 0 && this.meta) this.endMeta();
        continue;
      }
      const take = chunk.subarray(p, p + 512 - this.head.length);
      this.head = this.head.length ? Buffer.concat([this.head, take]) : Buffer.from(take);
      p += take.length;
      if (this.head.length === 512) {
        const h = this.head;
        this.head = Buffer.alloc(0);
        this.header(h);
      }
    }
  }
  private header(h: Buffer): void {
    if (h.every((x) => x === 0)) return; // end-of-archive blocks
    // a header with a bad checksum is skipped, by node-tar and by GNU tar alike
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (sum !== tarNumber(h.subarray(148, 156))) return;
    const type = String.fromCharCode(h[156]!);
    let size = tarNumber(h.subarray(124, 136));
    const isMeta = type === 'x' || type === 'g' || type === 'L' || type === 'K';
    if (!isMeta && this.pending.size !== undefined) size = this.pending.size;
    const body = type === '5' || type === '1' || type === '2' ? 0 : size;
    const padded = Math.ceil(body / 512) * 512;
    if (isMeta) {
      this.meta = { type, parts: [], kept: 0, size };
      this.remain = padded;
      if (padded === 0) this.endMeta();
      return;
    }
    let name = upToNul(h.subarray(0, 100));
    if (h.subarray(257, 262).toString('latin1') === 'ustar') {
      const prefix = upToNul(h.subarray(345, h[475] !== 0 ? 500 : 475));
      if (prefix.length) name = Buffer.concat([prefix, Buffer.from('/'), name]);
    }
    this.names.push({
      path: this.pending.path ?? Buffer.from(name),
      linkpath: this.pending.linkpath ?? Buffer.from(upToNul(h.subarray(157, 257))),
      ustar: name.toString('utf8'),
      fromMeta: this.pending.path !== undefined,
      linkFromMeta: this.pending.linkpath !== undefined,
    });
    this.pending = {};
    this.remain = padded;
  }
  private endMeta(): void {
    const m = this.meta!;
    this.meta = undefined;
    if (m.size > META_CAP) return;
    const body = Buffer.concat(m.parts);
    if (m.type === 'x') {
      const v = paxValues(body);
      if (v.has('path')) this.pending.path = v.get('path');
      if (v.has('linkpath')) this.pending.linkpath = v.get('linkpath');
      if (v.has('size')) this.pending.size = Number(v.get('size')!.toString('latin1'));
    } else if (m.type === 'L') this.pending.path = upToNul(body);
    else if (m.type === 'K') this.pending.linkpath = upToNul(body);
  }
  /**
   * The raw names of the entry node-tar reports with `pathText`: the next one in stream order
   * when it agrees (by its path, or by its ustar name when node-tar dropped a meta record whose
   * bytes are not UTF-8), else the first later one with that path (node-tar skipped some).
   */
  claim(pathText: string): TapName | undefined {
    const next = this.names[0];
    if (next && (next.path.toString('utf8') === pathText || (next.fromMeta && next.ustar === pathText))) return this.names.shift();
    const at = this.names.findIndex((n) => n.path.toString('utf8') === pathText);
    if (at < 0) return undefined;
    return this.names.splice(0, at + 1)[at];
  }
}

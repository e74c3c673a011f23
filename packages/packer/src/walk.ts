/**
 * Streaming readers for .tar.gz (gunzip + node-tar's Parser) and .zip (a small central-directory
 * reader). Nothing is extracted: each entry is handed to a callback with its data as a stream,
 * while the uncompressed bytes and the entry count are counted as they come, so a bomb is
 * stopped after maxBytes, not after it has been inflated.
 *
 * The readers are walk-tar.ts and walk-zip.ts; what they share (entry and result shapes, limits,
 * opening and sniffing an archive, byte counting) is in archive.ts. This module is what the
 * packer's verifier and extractor read archives through.
 */
import type { Readable } from 'node:stream';
import type { OnEntry, WalkLimits, WalkResult } from './archive.js';
import { walkTarGz } from './walk-tar.js';
import { walkZip } from './walk-zip.js';

export { DEFAULT_LIMITS, sniff, unreadable, type EntryType, type OnEntry, type RawEntry, type WalkLimits, type WalkResult } from './archive.js';
export { walkTarGz } from './walk-tar.js';
export { walkZip } from './walk-zip.js';

export function walkArchive(file: string, format: 'tar.gz' | 'zip', limits: WalkLimits, onEntry: OnEntry): Promise<WalkResult> {
  return format === 'zip' ? walkZip(file, limits, onEntry) : walkTarGz(file, limits, onEntry);
}

/**
 * Reads up to `max` bytes of a stream and discards the rest (consumes it to the end); with
 * `crlf`, also finds the first line that ends in CRLF.
 */
export async function readHead(body: Readable, max: number, crlf = false): Promise<{ head: Buffer; size: number; crlfLine?: number }> {
  const parts: Buffer[] = [];
  let kept = 0;
  let size = 0;
  let lines = 1;
  let prevCR = false;
  let crlfLine: number | undefined;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (kept < max) {
      const take = chunk.subarray(0, max - kept);
      parts.push(Buffer.from(take));
      kept += take.length;
    }
    if (crlf && crlfLine === undefined) {
      const at = prevCR && chunk[0] === 10 ? 0 : chunk.indexOf('\r\n');
      const upto = at >= 0 ? at : chunk.length;
      for (let i = chunk.indexOf(10); i >= 0 && i < upto; i = chunk.indexOf(10, i + 1)) lines++;
      if (at >= 0) crlfLine = lines;
      prevCR = chunk[chunk.length - 1] === 13;
    }
  }
  const out: { head: Buffer; size: number; crlfLine?: number } = { head: Buffer.concat(parts), size };
  if (crlfLine !== undefined) out.crlfLine = crlfLine;
  return out;
}

export async function drain(body: Readable): Promise<void> {
  for await (const _ of body as AsyncIterable<Buffer>) {
    /* discard */
  }
}

/**
 * Looking past damage in a write-ahead log segment: after a frame fails its checks, the next
 * offset at which a whole frame passes them again (bounds, a finite time, its CRC32C). Used by
 * FileWriteAheadLog's recovery for logs opened with `readPastDamage` (docs/wal.md): without
 * it, everything after a damaged frame is dropped, intact records included.
 *
 * A frame found this way is trusted on its checksum alone, so only logs whose payloads cannot
 * contain a frame should be read this way (a frame inside a payload would pass too). The search
 * never throws on content and stops after a bounded amount of checksum work, so a large damaged
 * segment cannot stall recovery.
 */
import type { FileHandle } from 'node:fs/promises';
import { crc32c } from './crc32c.js';

/** The frame layout the search checks candidates against (file-write-ahead-log.ts). */
export interface FrameLayout {
  /** length (u32) + crc (u32) + timeMs (f64). */
  readonly frameHeaderBytes: number;
  /** Candidates claiming a longer payload are rejected without reading it. */
  readonly maxRecordBytes: number;
}

export interface ResyncResult {
  /** Offset of the first intact frame at or after `from`; undefined when there is none. */
  readonly offset: number | undefined;
  /** True when the search gave up (its checksum budget ran out) before reaching `end`. */
  readonly gaveUp: boolean;
}

const CHUNK_BYTES = 1024 * 1024;
/** Checksum work one search may do: enough for megabytes of damage, bounded for gigabytes. */
const CHECKSUM_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * Finds the first offset in `[from, end)` where a frame of `layout` is intact: its length
 * fits before `end`, its time is a finite number, and its CRC32C (over time and payload) matches.
 */
export async function findNextIntactFrame(
  file: FileHandle,
  from: number,
  end: number,
  layout: FrameLayout,
): Promise<ResyncResult> {
  const { frameHeaderBytes, maxRecordBytes } = layout;
  let budget = CHECKSUM_BUDGET_BYTES;
  const buf = Buffer.allocUnsafe(Math.max(frameHeaderBytes, Math.min(CHUNK_BYTES, end - from)));
  let bufStart = from;
  let bufLen = 0;

  const readAt = async (target: Buffer, length: number, position: number): Promise<number> => {
    let got = 0;
    while (got < length) {
      const { bytesRead } = await file.read(target, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got;
  };

  for (let q = from; q + frameHeaderBytes <= end; q++) {
    if (q + frameHeaderBytes > bufStart + bufLen) {
      bufStart = q;
      bufLen = await readAt(buf, Math.min(buf.length, end - q), q);
      if (bufLen < frameHeaderBytes) return { offset: undefined, gaveUp: false };
    }
    const at = q - bufStart;
    const length = buf.readUInt32LE(at);
    if (length > maxRecordBytes || q + frameHeaderBytes + length > end) continue;
    if (!Number.isFinite(buf.readDoubleLE(at + 8))) continue;
    const expected = buf.readUInt32LE(at + 4);
    const frameBytes = frameHeaderBytes + length;
    budget -= frameBytes;
    if (budget < 0) return { offset: undefined, gaveUp: true };
    let crc: number;
    if (at + frameBytes <= bufLen) {
      crc = crc32c(buf, 0, at + 8, at + frameBytes);
    } else {
      // The candidate runs past the window: read it whole, then carry on from the same window.
      const frame = Buffer.allocUnsafe(frameBytes);
      if ((await readAt(frame, frameBytes, q)) < frameBytes) continue;
      crc = crc32c(frame, 0, 8, frameBytes);
    }
    if (crc === expected) return { offset: q, gaveUp: false };
  }
  return { offset: undefined, gaveUp: false };
}

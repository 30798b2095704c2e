/**
 * FileWriteAheadLog: the WriteAheadLog on a local filesystem. It owns one directory of segment
 * files (`log-<startTimeMs>-<seq>.wal`, names that sort in write order), the single writer that
 * appends to the newest of them, the fsync policy, recovery of a torn or corrupt tail at open,
 * and deletion of old segments. It knows nothing of what the records mean (docs/wal.md).
 * Segments are created 0600 in a directory created 0700 (private-files.ts): they hold received data.
 *
 * On disk (all integers little-endian):
 *   segment = header frame*
 *   header  = magic "SSWAL\0" (6 bytes) + format version (u16)
 *   frame   = payload length (u32) + CRC32C (u32, over timeMs and payload) + timeMs (f64) + payload
 *
 * Times come only from callers (`write(data, timeMs)`): rolling and cleanup follow batch and
 * block times, so the log needs no clock and behaves the same under a ManualClock.
 */
import type { FileHandle } from 'node:fs/promises';
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, SidestreamError } from '../errors.js';
import type { WalKind } from '../events/durability-events.js';
import type { EventPoster } from '../events/streaming-listener.js';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../private-files.js';
import { crc32c } from './crc32c.js';
import { syncDirectory } from './durable-file.js';
import { findNextIntactFrame } from './wal-resync.js';
import type { FsyncPolicy, WalRecordRef, WalTruncation, WriteAheadLog } from './write-ahead-log.js';

export const WAL_MAGIC = Buffer.from('SSWAL\0', 'latin1');
export const WAL_FORMAT_VERSION = 1;
/** Magic + u16 version. */
export const WAL_HEADER_BYTES = WAL_MAGIC.length + 2;
/** length (u32) + crc (u32) + timeMs (f64). */
export const WAL_FRAME_HEADER_BYTES = 16;
/**
 * The largest payload one record may carry. Bounded well below u32 so that a corrupt length
 * field can never make recovery allocate gigabytes; receiver blocks are far smaller.
 */
export const WAL_MAX_RECORD_BYTES = 256 * 1024 * 1024;

const SEGMENT_NAME = /^log-(\d+)-(\d+)\.wal$/;
/** Reads during recovery and readAll go through one buffer of this size (grown for larger frames). */
const READ_CHUNK_BYTES = 4 * 1024 * 1024;
const RETRY_BASE_DELAY_MS = 10;
/** Groups up to this size are framed in one reused buffer; larger ones get their own. */
const SCRATCH_MAX_BYTES = 4 * 1024 * 1024;

export interface FileWriteAheadLogOptions {
  /** Default `{ mode: 'always' }` (see FsyncPolicy for what each mode risks). */
  readonly fsync?: FsyncPolicy;
  /**
   * A new segment starts with the first record whose timeMs is at least this much after the
   * current segment's start. Cleanup deletes whole segments, so this is its granularity.
   * Default 60_000.
   */
  readonly rollIntervalMs?: number;
  /** Attempts after the first failed write (or fsync) of a group, with short backoff. Default 3. */
  readonly maxRetries?: number;
  /** Where the log posts its appends and failures (onWalWritten, onWalError), as `kind`. */
  readonly events?: EventPoster;
  /** Which log this is, in the events it posts; default 'receiver-data'. */
  readonly kind?: WalKind;
  /**
   * Recovery reads on after a damaged record, from the next record that passes its checks,
   * instead of dropping the rest of the segment; the damaged bytes are left in place. Only for
   * logs whose payloads can never contain a frame (text such as JSON: a frame header holds NUL
   * bytes), since a record found after damage is trusted on its checksum alone. Default false.
   */
  readonly readPastDamage?: boolean;
}

interface Segment {
  readonly name: string;
  readonly startMs: number;
  readonly seq: number;
  /** End of the last acknowledged (or, after recovery, last intact) frame. */
  size: number;
  /** Newest record time in the segment; -Infinity while it has none. */
  maxTimeMs: number;
  /**
   * The intact byte ranges, when recovery read past damage inside the segment (readPastDamage);
   * absent means one range, from the header to `size`.
   */
  ranges?: readonly (readonly [number, number])[];
}

/** The segment appends go to, with its open descriptor. */
interface ActiveSegment {
  readonly segment: Segment;
  readonly file: FileHandle;
}

interface Pending {
  readonly data: Uint8Array;
  readonly timeMs: number;
  readonly resolve: (ref: WalRecordRef) => void;
  readonly reject: (error: unknown) => void;
}

interface Frame {
  readonly offset: number;
  readonly timeMs: number;
  /** A view into the scanner's buffer, valid until the next frame is requested. */
  readonly payload: Uint8Array;
}

interface ScanResult {
  /** End of the last intact frame. */
  validEnd: number;
  /** Why scanning stopped before `end`, if it did. */
  problem: string | undefined;
}

export function segmentName(startMs: number, seq: number): string {
  return `log-${String(startMs).padStart(16, '0')}-${String(seq).padStart(8, '0')}.wal`;
}

function encodeHeader(version = WAL_FORMAT_VERSION): Buffer {
  const header = Buffer.alloc(WAL_HEADER_BYTES);
  WAL_MAGIC.copy(header, 0);
  header.writeUInt16LE(version, WAL_MAGIC.length);
  return header;
}

/**
 * Walks the frames of `[start, end)`, checking each one's bounds and CRC, and stops
 * at the first that fails; never throws on content (only on I/O errors). One positional read per
 * chunk, not per frame.
 */
async function* scanFrames(
  file: FileHandle,
  end: number,
  result: ScanResult,
  start = WAL_HEADER_BYTES,
): AsyncGenerator<Frame, void, undefined> {
  let buf = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, Math.max(end, WAL_FRAME_HEADER_BYTES)));
  let bufStart = 0; // file offset of buf[0]
  let bufLen = 0;
  let pos = start;
  result.validEnd = pos;
  result.problem = undefined;

  // Makes [pos, pos + n) readable in buf; false when the file ended early (shrunk under us).
  const ensure = async (n: number): Promise<boolean> => {
    if (pos >= bufStart && pos + n <= bufStart + bufLen) return true;
    if (n > buf.length) buf = Buffer.allocUnsafe(n);
    const want = Math.min(buf.length, end - pos);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await file.read(buf, got, want - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    bufStart = pos;
    bufLen = got;
    return got >= n;
  };

  while (pos < end) {
    if (end - pos < WAL_FRAME_HEADER_BYTES) {
      result.problem = `torn frame header (${end - pos} bytes at offset ${pos})`;
      return;
    }
    if (!(await ensure(WAL_FRAME_HEADER_BYTES))) {
      result.problem = `segment ended before offset ${pos + WAL_FRAME_HEADER_BYTES}`;
      return;
    }
    const at = pos - bufStart;
    const length = buf.readUInt32LE(at);
    if (length > WAL_MAX_RECORD_BYTES) {
      result.problem = `implausible record length ${length} at offset ${pos}`;
      return;
    }
    const frameBytes = WAL_FRAME_HEADER_BYTES + length;
    if (end - pos < frameBytes) {
      result.problem = `torn record at offset ${pos} (${frameBytes} bytes, ${end - pos} present)`;
      return;
    }
    if (!(await ensure(frameBytes))) {
      result.problem = `segment ended inside the record at offset ${pos}`;
      return;
    }
    const f = pos - bufStart;
    const expected = buf.readUInt32LE(f + 4);
    if (crc32c(buf, 0, f + 8, f + frameBytes) !== expected) {
      result.problem = `checksum mismatch in the record at offset ${pos}`;
      return;
    }
    const frame: Frame = {
      offset: pos,
      timeMs: buf.readDoubleLE(f + 8),
      payload: buf.subarray(f + WAL_FRAME_HEADER_BYTES, f + frameBytes),
    };
    pos += frameBytes;
    result.validEnd = pos;
    yield frame;
  }
}

type HeaderCheck = { ok: true } | { ok: false; problem: string };

async function checkHeader(file: FileHandle, size: number, path: string): Promise<HeaderCheck> {
  const header = Buffer.alloc(WAL_HEADER_BYTES);
  const { bytesRead } = await file.read(header, 0, WAL_HEADER_BYTES, 0);
  const magicBytes = Math.min(bytesRead, WAL_MAGIC.length);
  if (!header.subarray(0, magicBytes).equals(WAL_MAGIC.subarray(0, magicBytes))) {
    return { ok: false, problem: 'no segment header (the magic bytes are missing)' };
  }
  if (bytesRead < WAL_HEADER_BYTES) {
    return { ok: false, problem: `torn segment header (${size} bytes)` };
  }
  const version = header.readUInt16LE(WAL_MAGIC.length);
  if (version !== WAL_FORMAT_VERSION) {
    // The one case recovery refuses: the file is intact but not ours to interpret, and
    // truncating it would destroy a newer sidestream's data.
    throw new SidestreamError(
      'SS_WAL_FORMAT_UNKNOWN',
      `Write-ahead log segment ${path} has format version ${version}; this sidestream reads only ` +
        `version ${WAL_FORMAT_VERSION}. It was probably written by a newer sidestream: run that ` +
        'version, or move the segment out of the directory if its records are not needed.',
    );
  }
  return { ok: true };
}

/** Damaged bytes followed by intact records, found by recovery with readPastDamage. */
interface DamageGap {
  /** Where reading stopped: the damaged frame (or 0 for a damaged header). */
  readonly offset: number;
  /** Where the next intact record starts. */
  readonly end: number;
  readonly problem: string;
}

/**
 * Recovery with readPastDamage: from damage at `damagedAt` on, finds each next intact record
 * (wal-resync.ts) and reads on from it, recording the intact ranges in `segment` (its `ranges`,
 * `size` and `maxTimeMs`). Returns the gaps read past and the problem that ends the segment, if
 * no intact record follows it (a torn tail, or damage up to the end).
 */
async function scanPastDamage(
  file: FileHandle,
  fileSize: number,
  segment: Segment,
  damagedAt: number,
  firstProblem: string,
): Promise<{ gaps: DamageGap[]; problem: string | undefined }> {
  const layout = { frameHeaderBytes: WAL_FRAME_HEADER_BYTES, maxRecordBytes: WAL_MAX_RECORD_BYTES };
  const gaps: DamageGap[] = [];
  // A damaged header (damagedAt 0) hides no frame; a damaged frame may still hold the next one's start.
  const ranges: (readonly [number, number])[] =
    damagedAt > WAL_HEADER_BYTES ? [[WAL_HEADER_BYTES, damagedAt]] : [];
  let at = damagedAt;
  let problem = firstProblem;
  let from = damagedAt === 0 ? WAL_HEADER_BYTES : damagedAt + 1;
  for (;;) {
    const next = await findNextIntactFrame(file, from, fileSize, layout);
    if (next.offset === undefined) {
      if (gaps.length > 0) segment.ranges = ranges;
      const gaveUp = next.gaveUp ? ' (recovery stopped looking for intact records after it)' : '';
      return { gaps, problem: `${problem}${gaveUp}` };
    }
    gaps.push({ offset: at, end: next.offset, problem });
    const result: ScanResult = { validEnd: next.offset, problem: undefined };
    for await (const frame of scanFrames(file, fileSize, result, next.offset)) {
      if (frame.timeMs > segment.maxTimeMs) segment.maxTimeMs = frame.timeMs;
    }
    ranges.push([next.offset, result.validEnd]);
    segment.ranges = ranges;
    segment.size = result.validEnd;
    if (result.problem === undefined) return { gaps, problem: undefined };
    at = result.validEnd;
    problem = result.problem;
    from = at + 1;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class FileWriteAheadLog implements WriteAheadLog {
  /** What recovery repaired or skipped at open (also posted on the bus as an onWalError with op 'recover'). */
  readonly truncations: WalTruncation[] = [];
  /** fdatasync calls so far: with 'always', fewer than writes when writes were grouped. */
  syncs = 0;

  private readonly fsync: FsyncPolicy;
  private readonly rollIntervalMs: number;
  private readonly maxRetries: number;
  private readonly events: EventPoster | undefined;
  private readonly kind: WalKind;
  private readonly readPastDamage: boolean;
  /** Every segment, oldest first; the active one (if any) is last. */
  private segments: Segment[] = [];
  private active: ActiveSegment | undefined;
  private nextSeq = 0;
  private queue: Pending[] = [];
  /** The writer loop, while it runs: the only code that touches `active`. */
  private running: Promise<void> | undefined;
  /** The 'interval' timer's fdatasync, while it runs (beside writes, never blocking them). */
  private intervalSync: Promise<void> | undefined;
  /** Bytes written to the active segment since its last fdatasync. */
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  /**
   * The writer's framing buffer, reused group after group (only the single writer touches it,
   * and each group's write has finished before the next is framed). A fresh 10 KB buffer per
   * append cost about as much CPU as the write itself: V8 answers that much external memory
   * with frequent full GCs.
   */
  private scratch = Buffer.allocUnsafe(64 * 1024);

  private constructor(
    readonly dir: string,
    options: FileWriteAheadLogOptions,
  ) {
    this.fsync = options.fsync ?? { mode: 'always' };
    this.rollIntervalMs = options.rollIntervalMs ?? 60_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.events = options.events;
    this.kind = options.kind ?? 'receiver-data';
    this.readPastDamage = options.readPastDamage ?? false;
    if (!(this.rollIntervalMs > 0)) {
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `WAL rollIntervalMs must be a positive number of milliseconds (got ${this.rollIntervalMs}).`,
      );
    }
    if (!Number.isInteger(this.maxRetries) || this.maxRetries < 0) {
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `WAL maxRetries must be a whole number >= 0 (got ${this.maxRetries}).`,
      );
    }
    if (this.fsync.mode === 'interval' && !(this.fsync.intervalMs > 0)) {
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `WAL fsync intervalMs must be a positive number of milliseconds (got ${this.fsync.intervalMs}).`,
      );
    }
  }

  /**
   * Creates `dir` if needed, recovers what is in it and returns the log, ready to append to a new
   * segment. Recovery never throws on damaged content: a torn or corrupt tail of the newest
   * segment is cut off at its last intact record (ftruncate), damage inside an older segment ends
   * that segment's readable records (with readPastDamage, reading goes on at the next intact
   * record instead), and both are reported (`truncations`, and an onWalError event).
   * Throws SS_WAL_FORMAT_UNKNOWN for a segment of another format version, before changing anything.
   */
  static async open(dir: string, options: FileWriteAheadLogOptions = {}): Promise<FileWriteAheadLog> {
    const log = new FileWriteAheadLog(dir, options);
    try {
      await makePrivateDir(dir);
    } catch (error) {
      throw new SidestreamError(
        'SS_CHECKPOINT_DIR_UNUSABLE',
        `Cannot create the write-ahead log directory ${dir}: ${describeError(error)}. ` +
          'Check that its parent exists and is writable.',
        { cause: error },
      );
    }
    await log.recover();
    if (log.fsync.mode === 'interval') {
      log.timer = setInterval(() => log.requestSync(), log.fsync.intervalMs);
      // A pending sync must never keep the process alive; close() syncs whatever is left.
      log.timer.unref();
    }
    return log;
  }

  write(data: Uint8Array, timeMs: number): Promise<WalRecordRef> {
    if (this.closing) return Promise.reject(new Error(`The write-ahead log in ${this.dir} is closed.`));
    if (!Number.isFinite(timeMs)) {
      return Promise.reject(new TypeError(`WAL record timeMs must be a finite number (got ${timeMs}).`));
    }
    if (data.length > WAL_MAX_RECORD_BYTES) {
      return Promise.reject(
        new RangeError(`WAL record of ${data.length} bytes exceeds the ${WAL_MAX_RECORD_BYTES}-byte limit.`),
      );
    }
    return new Promise<WalRecordRef>((resolve, reject) => {
      this.queue.push({ data, timeMs, resolve, reject });
      this.kick();
    });
  }

  async read(ref: WalRecordRef): Promise<Uint8Array> {
    const segment = this.segments.find((s) => s.name === ref.segment);
    if (!segment || ref.offset < WAL_HEADER_BYTES || ref.offset + ref.length > segment.size) {
      throw new Error(
        `WAL record ${ref.segment}@${ref.offset} is not in ${this.dir} (cleaned, or never acknowledged).`,
      );
    }
    const frameBytes = WAL_FRAME_HEADER_BYTES + ref.length;
    const buf = Buffer.allocUnsafe(frameBytes);
    const file = await open(join(this.dir, ref.segment), 'r');
    try {
      const { bytesRead } = await file.read(buf, 0, frameBytes, ref.offset);
      if (
        bytesRead < frameBytes ||
        buf.readUInt32LE(0) !== ref.length ||
        crc32c(buf, 0, 8, frameBytes) !== buf.readUInt32LE(4)
      ) {
        throw new Error(
          `WAL record ${ref.segment}@${ref.offset} in ${this.dir} is damaged (short read, wrong length or checksum mismatch).`,
        );
      }
    } finally {
      await file.close();
    }
    return buf.subarray(WAL_FRAME_HEADER_BYTES);
  }

  async *readAll(): AsyncGenerator<{ ref: WalRecordRef; data: Uint8Array; timeMs: number }> {
    // A snapshot: records appended while iterating past a segment's snapshot size are not
    // yielded; segments cleaned meanwhile are skipped.
    const segments = this.segments.map((s) => ({
      name: s.name,
      ranges: s.ranges ?? [[WAL_HEADER_BYTES, s.size] as const],
    }));
    for (const { name, ranges } of segments) {
      if (ranges.every(([start, end]) => end <= start)) continue;
      let file: FileHandle;
      try {
        file = await open(join(this.dir, name), 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.emit('onError', 'read', error);
        continue;
      }
      const result: ScanResult = { validEnd: 0, problem: undefined };
      try {
        for (const [start, end] of ranges) {
          for await (const frame of scanFrames(file, end, result, start)) {
            yield {
              ref: { segment: name, offset: frame.offset, length: frame.payload.length },
              data: Uint8Array.prototype.slice.call(frame.payload),
              timeMs: frame.timeMs,
            };
          }
          if (result.problem !== undefined) break;
        }
      } catch (error) {
        // An I/O error mid-segment: what was yielded stands; the rest of the segment is skipped.
        this.emit('onError', 'read', error);
      } finally {
        await file.close();
      }
      if (result.problem !== undefined) {
        // Damaged after open (recovery already cut what it found): report, keep reading on.
        this.emit('onError', 'read', new Error(`WAL segment ${join(this.dir, name)}: ${result.problem}`));
      }
    }
  }

  async clean(thresholdTimeMs: number): Promise<void> {
    const activeName = this.active?.segment.name;
    const doomed = this.segments.filter((s) => s.name !== activeName && s.maxTimeMs < thresholdTimeMs);
    if (doomed.length === 0) return;
    const names = new Set(doomed.map((s) => s.name));
    this.segments = this.segments.filter((s) => !names.has(s.name));
    const failed: Segment[] = [];
    for (const segment of doomed) {
      try {
        await rm(join(this.dir, segment.name), { force: true });
      } catch (error) {
        failed.push(segment);
        this.emit('onError', 'clean', error);
      }
    }
    if (failed.length > 0) {
      // Still on disk, so still the log's: the next clean() tries again.
      this.segments = [...failed, ...this.segments].sort(compareSegments);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // Writes queued before close() are still written; the loop drains them.
    while (this.running) await this.running;
    await this.releaseActive('close');
  }

  // ---- recovery ----

  private async recover(): Promise<void> {
    const found: Segment[] = [];
    for (const entry of await readdir(this.dir)) {
      const m = SEGMENT_NAME.exec(entry);
      if (!m) continue;
      found.push({ name: entry, startMs: Number(m[1]), seq: Number(m[2]), size: 0, maxTimeMs: -Infinity });
    }
    found.sort(compareSegments);
    this.nextSeq = found.reduce((max, s) => Math.max(max, s.seq + 1), 0);

    // Phase 1 reads only, so an unknown format version throws before anything is changed.
    const scanned: {
      segment: Segment;
      fileSize: number;
      problem: string | undefined;
      headerOk: boolean;
      gaps: readonly DamageGap[];
    }[] = [];
    for (const segment of found) {
      const path = join(this.dir, segment.name);
      const fileSize = (await stat(path)).size;
      if (fileSize === 0) {
        scanned.push({ segment, fileSize, problem: undefined, headerOk: false, gaps: [] });
        continue;
      }
      const file = await open(path, 'r');
      try {
        const header = await checkHeader(file, fileSize, path);
        if (!header.ok) {
          const past = this.readPastDamage
            ? await scanPastDamage(file, fileSize, segment, 0, header.problem)
            : undefined;
          scanned.push({
            segment,
            fileSize,
            problem: past ? past.problem : header.problem,
            headerOk: false,
            gaps: past?.gaps ?? [],
          });
          continue;
        }
        const result: ScanResult = { validEnd: WAL_HEADER_BYTES, problem: undefined };
        for await (const frame of scanFrames(file, fileSize, result)) {
          if (frame.timeMs > segment.maxTimeMs) segment.maxTimeMs = frame.timeMs;
        }
        segment.size = result.validEnd;
        const past =
          this.readPastDamage && result.problem !== undefined
            ? await scanPastDamage(file, fileSize, segment, result.validEnd, result.problem)
            : undefined;
        scanned.push({
          segment,
          fileSize,
          problem: past ? past.problem : result.problem,
          headerOk: true,
          gaps: past?.gaps ?? [],
        });
      } finally {
        await file.close();
      }
    }

    // Phase 2: repair. Only the newest segment with content is truncated: its tail is where a
    // crash tears a write. Damage in an older one is not a torn write (bit rot, a bad copy), so
    // its bytes stay for inspection and reading stops at the bad frame.
    const last = scanned.findLastIndex((s) => s.fileSize !== 0);
    const kept: Segment[] = [];
    for (const [i, { segment, fileSize, problem, headerOk, gaps }] of scanned.entries()) {
      const path = join(this.dir, segment.name);
      if (fileSize === 0) {
        // Created, then the process died before the header was written: nothing to lose.
        await this.repair(() => rm(path, { force: true }));
        continue;
      }
      // Damage with intact records after it (readPastDamage) is not a torn write: those bytes
      // stay, also in the newest segment, and are reported; only a torn tail after them is cut.
      for (const gap of gaps) {
        this.report({
          segment: segment.name,
          offset: gap.offset,
          droppedBytes: gap.end - gap.offset,
          reason: `${gap.problem}; read on from the next intact record, at offset ${gap.end} (the damaged bytes are left in place)`,
        });
      }
      if (problem === undefined) {
        kept.push(segment);
        continue;
      }
      const isLast = i === last;
      // A segment whose header is damaged is still read when intact records were found after it.
      const readable = headerOk || gaps.length > 0;
      const offset = readable ? segment.size : 0;
      if (isLast && !readable) {
        await this.repair(() => rm(path, { force: true }));
      } else if (isLast) {
        await this.repair(async () => {
          const file = await open(path, 'r+');
          try {
            await file.truncate(segment.size);
            await file.datasync();
          } finally {
            await file.close();
          }
        });
      }
      if (readable) kept.push(segment);
      this.report({
        segment: segment.name,
        offset,
        droppedBytes: fileSize - offset,
        reason: isLast
          ? `${problem}; truncated at the last intact record`
          : `${problem}; older segment left as is, its records after offset ${offset} are not read`,
      });
    }
    this.segments = kept;
  }

  /** Recovery's changes are best effort: failing one (a read-only disk) must not block reading. */
  private async repair(change: () => Promise<unknown>): Promise<void> {
    try {
      await change();
    } catch (error) {
      this.emit('onError', 'recover', error);
    }
  }

  private report(truncation: WalTruncation): void {
    this.truncations.push(truncation);
    this.emit('onTruncated', truncation);
  }

  // ---- the writer ----

  /**
   * The 'interval' timer. The sync runs beside the writer instead of in its loop, so appends
   * never wait for it (pwrite and fdatasync on one descriptor may overlap); only closing the
   * descriptor (roll, close, a failed write) waits for it.
   */
  private requestSync(): void {
    const active = this.active;
    if (!active || !this.dirty || this.intervalSync) return;
    this.dirty = false;
    this.intervalSync = active.file
      .datasync()
      .then(
        () => {
          this.syncs++;
        },
        (error: unknown) => {
          // The data stays unsynced; the writes were already acknowledged, so report it.
          this.dirty = true;
          this.emit(
            'onError',
            'write',
            new Error(`WAL interval fsync in ${this.dir} failed: ${describeError(error)}`),
          );
        },
      )
      .finally(() => {
        this.intervalSync = undefined;
      });
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
      // A write queued after the loop last found the queue empty, but before this callback ran,
      // saw `running` still set and did not start the writer: start it now, or it waits forever.
      if (this.queue.length > 0) this.kick();
    });
  }

  /**
   * The single writer. Everything queued while a group was being written (and, with 'always',
   * fsynced) becomes the next group: that is the group commit, with no timer and no added
   * latency for a lone writer.
   */
  private async run(): Promise<void> {
    for (;;) {
      if (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.commit(batch);
      } else {
        return;
      }
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    let i = 0;
    while (i < batch.length) {
      // A group ends where the segment rolls: each group is one write to one file.
      // biome-ignore lint/style/noNonNullAssertion: i < batch.length is the loop's condition.
      const first = batch[i]!;
      const startMs = this.active?.segment.startMs;
      const rolls = startMs === undefined || first.timeMs >= startMs + this.rollIntervalMs;
      const groupStart = rolls ? this.nextStartMs(first.timeMs) : startMs;
      let j = i + 1;
      // biome-ignore lint/style/noNonNullAssertion: j < batch.length is checked just before.
      while (j < batch.length && batch[j]!.timeMs < groupStart + this.rollIntervalMs) j++;
      await this.writeGroup(batch.slice(i, j), first.timeMs, rolls ? groupStart : undefined);
      i = j;
    }
  }

  /** A new segment never starts before the previous one, so names keep sorting in write order. */
  private nextStartMs(timeMs: number): number {
    const previous = this.segments.at(-1)?.startMs ?? 0;
    return Math.max(previous, Math.max(0, Math.floor(timeMs)));
  }

  /**
   * Writes one group to one segment. `firstTimeMs` is the time of the group's first record:
   * where a segment started after a failed attempt begins.
   */
  private async writeGroup(
    group: Pending[],
    firstTimeMs: number,
    rollToStartMs: number | undefined,
  ): Promise<void> {
    const started = performance.now();
    let total = 0;
    for (const p of group) total += WAL_FRAME_HEADER_BYTES + p.data.length;
    // One buffer and one write per group: framing is done in memory.
    if (total > this.scratch.length && total <= SCRATCH_MAX_BYTES) {
      this.scratch = Buffer.allocUnsafe(
        Math.min(SCRATCH_MAX_BYTES, Math.max(total, this.scratch.length * 2)),
      );
    }
    const buf = total <= this.scratch.length ? this.scratch.subarray(0, total) : Buffer.allocUnsafe(total);
    let off = 0;
    for (const p of group) {
      buf.writeUInt32LE(p.data.length, off);
      buf.writeDoubleLE(p.timeMs, off + 8);
      buf.set(p.data, off + WAL_FRAME_HEADER_BYTES);
      const end = off + WAL_FRAME_HEADER_BYTES + p.data.length;
      buf.writeUInt32LE(crc32c(buf, 0, off + 8, end), off + 4);
      off = end;
    }

    let lastError: unknown;
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      if (attempt > 0) await sleep(RETRY_BASE_DELAY_MS * 2 ** (attempt - 1));
      try {
        if (rollToStartMs !== undefined && this.active?.segment.startMs !== rollToStartMs) {
          await this.roll(rollToStartMs);
        }
        // A failed attempt abandoned the segment (see below): start a new one.
        const active = this.active ?? (await this.roll(this.nextStartMs(firstTimeMs)));
        const base = active.segment.size;
        // Positional, so a retry rewrites the same bytes instead of appending after a partial write.
        await writeFully(active.file, buf, base);
        this.dirty = true;
        if (this.fsync.mode === 'always') {
          await active.file.datasync();
          this.syncs++;
          this.dirty = false;
        }
        active.segment.size = base + total;
        for (const p of group) {
          if (p.timeMs > active.segment.maxTimeMs) active.segment.maxTimeMs = p.timeMs;
        }
        // Each record's frame starts where the previous one ended, as framed above.
        let at = base;
        for (const p of group) {
          p.resolve({ segment: active.segment.name, offset: at, length: p.data.length });
          at += WAL_FRAME_HEADER_BYTES + p.data.length;
        }
        this.emit('onWrite', group.length, total, performance.now() - started);
        return;
      } catch (error) {
        lastError = error;
        // After a failed write or fsync the file's tail is unknown (a failed fsync may even have
        // dropped the dirty pages), so the segment is cut back to its acknowledged end and closed;
        // the next attempt writes to a new segment rather than trusting this one.
        await this.releaseActive('abandon');
      }
    }
    const error = new SidestreamError(
      'SS_WAL_WRITE_FAILED',
      `Write-ahead log append in ${this.dir} failed after ${this.maxRetries + 1} attempts ` +
        `(${describeError(lastError)}). Free space on that filesystem or make the directory writable ` +
        '(permissions, a read-only remount); the records of this write were not acknowledged.',
      { cause: lastError },
    );
    this.emit('onError', 'write', error);
    for (const p of group) p.reject(error);
  }

  /** Starts a new segment at `startMs` and makes it the active one, which it returns. */
  private async roll(startMs: number): Promise<ActiveSegment> {
    await this.releaseActive('roll');
    const segment: Segment = {
      name: segmentName(startMs, this.nextSeq++),
      startMs,
      seq: this.nextSeq - 1,
      size: 0,
      maxTimeMs: -Infinity,
    };
    const path = join(this.dir, segment.name);
    const file = await open(path, 'wx', PRIVATE_FILE_MODE);
    try {
      await writeFully(file, encodeHeader(), 0);
      if (this.fsync.mode !== 'never') {
        await file.datasync();
        this.syncs++;
        // The new file's directory entry must be durable too, or a synced record could vanish
        // with the file it is in.
        await syncDirectory(this.dir);
      }
    } catch (error) {
      await file.close().catch(() => undefined);
      await rm(path, { force: true }).catch(() => undefined);
      throw error;
    }
    segment.size = WAL_HEADER_BYTES;
    this.segments.push(segment);
    const active = { segment, file };
    this.active = active;
    this.dirty = false;
    return active;
  }

  /**
   * Takes the active segment out of use and closes its descriptor, the one way every path does it:
   * - 'roll': the finished segment is synced (unless 'never') so the policy's bound holds across files;
   * - 'close': close() syncs whatever is unsynced, in every mode (docs/wal.md);
   * - 'abandon': after a failed write or fsync the tail is unknown, so the file is cut back to its
   *   acknowledged end and closed without a sync, errors ignored (the caller already has one).
   */
  private async releaseActive(why: 'roll' | 'close' | 'abandon'): Promise<void> {
    const active = this.active;
    // Unset first, so the timer cannot start another sync on a descriptor about to close.
    this.active = undefined;
    await this.intervalSync;
    if (!active) return;
    if (why === 'abandon') {
      this.dirty = false;
      await active.file.truncate(active.segment.size).catch(() => undefined);
      await active.file.close().catch(() => undefined);
      return;
    }
    try {
      if (this.dirty && (why === 'close' || this.fsync.mode !== 'never')) {
        await active.file.datasync();
        this.syncs++;
      }
      this.dirty = false;
    } finally {
      await active.file.close();
    }
  }

  /**
   * Posts the log's own event on the bus (appends, failures, truncations at recovery). A bus never
   * throws into its poster, so telemetry cannot break the log.
   */
  private emit<K extends keyof WalNotifications>(name: K, ...args: Parameters<WalNotifications[K]>): void {
    const events = this.events;
    if (!events) return;
    const log = this.kind;
    if (name === 'onWrite') {
      const [records, bytes, durationMs] = args as Parameters<WalNotifications['onWrite']>;
      events.post('onWalWritten', { log, records, bytes, durationMs });
    } else if (name === 'onError') {
      const [op, error] = args as Parameters<WalNotifications['onError']>;
      events.post('onWalError', { log, op, message: describeError(error) });
    } else {
      const [t] = args as Parameters<WalNotifications['onTruncated']>;
      events.post('onWalError', {
        log,
        op: 'recover',
        message: `${t.segment}: truncated at byte ${t.offset} (${t.droppedBytes} bytes dropped): ${t.reason}`,
        droppedBytes: t.droppedBytes,
      });
    }
  }
}

/** The three things the log reports, each posted as one bus event by emit(). */
interface WalNotifications {
  onWrite(records: number, bytes: number, durationMs: number): void;
  onError(op: 'write' | 'read' | 'clean' | 'recover', error: unknown): void;
  onTruncated(truncation: WalTruncation): void;
}

function compareSegments(a: Segment, b: Segment): number {
  return a.startMs - b.startMs || a.seq - b.seq;
}

async function writeFully(file: FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await file.write(buf, done, buf.length - done, position + done);
    if (bytesWritten === 0) throw new Error('write made no progress');
    done += bytesWritten;
  }
}

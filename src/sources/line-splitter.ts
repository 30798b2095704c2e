/**
 * LineSplitter: turns a stream of byte chunks into lines of text, for every line-based input (the
 * socket receiver, the file tail, textFileStream). It works on bytes, never on decoded text:
 *
 * - Positions are byte-exact whatever the bytes are. Each complete line is decoded on its own
 *   (invalid UTF-8 becomes U+FFFD in that line's text only), and what was consumed is counted
 *   from the raw bytes, so a tail can resume at the exact byte after the last complete line.
 *   A newline byte can never be part of a multi-byte UTF-8 character, so splitting before
 *   decoding is safe.
 * - Only the new chunk is searched for newlines; the unfinished line waiting for its newline is
 *   copied once into a LineBuffer and never scanned again, so a long line costs linear time.
 * - A line is at most `maxLineBytes` long (its `\n`, and the `\r` of a `\r\n`, not counted). A
 *   longer one is never buffered beyond the bound: once it passes the bound it is reported
 *   (`overlong`), its bytes are counted and dropped as they arrive up to its newline, and the
 *   end of it is reported too (`overlongEnded`, with its full length). Memory stays within
 *   `maxLineBytes + 1` bytes whatever arrives (plus the first `keepHeadBytes` of an over-long
 *   line, when asked for), and the lines after it are delivered.
 */
import { LineBuffer } from './line-buffer.js';

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
/** Smaller bounds are surely a mistake (a unit confusion): every ordinary line would be lost. */
export const MIN_MAX_LINE_BYTES = 16;
/** Larger would approach V8's largest string (about 2^29 characters) and put memory at risk. */
export const MAX_MAX_LINE_BYTES = 256 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/** The validated line bound: `value` or the default; a RangeError names `what` otherwise. */
export function maxLineBytesOption(value: number | undefined, what: string): number {
  if (value === undefined) return DEFAULT_MAX_LINE_BYTES;
  if (!Number.isInteger(value) || value < MIN_MAX_LINE_BYTES || value > MAX_MAX_LINE_BYTES) {
    throw new RangeError(
      `${what}: maxLineBytes must be a whole number from ${MIN_MAX_LINE_BYTES} to ${MAX_MAX_LINE_BYTES} (got ${value})`,
    );
  }
  return value;
}

/** A line longer than the bound: where it starts, and its first bytes when they were asked for. */
export interface OverlongLine {
  /** Its number in the input, from 1, counting every line (delivered or not). */
  readonly lineNumber: number;
  /** The offset of its first byte in the input. */
  readonly startByte: number;
  /** Its first `min(keepHeadBytes, maxLineBytes + 1)` bytes (a copy; empty unless asked for). */
  readonly head: Buffer;
}

/** Where a splitter's output goes; called synchronously, in input order, from push() and end(). */
export interface LineHandler {
  line(text: string): void;
  /** A line passed the bound: from here on its bytes are dropped up to its newline. */
  overlong(line: OverlongLine): void;
  /**
   * An over-long line ended: `lengthBytes` is its full length (terminator excluded);
   * `terminated` is false when the input ended (end()/drop()) before its newline.
   */
  overlongEnded(line: OverlongLine, lengthBytes: number, terminated: boolean): void;
}

export interface LineSplitterOptions {
  /** Longest line delivered, in bytes; default 1 MiB (see maxLineBytesOption for the bounds). */
  readonly maxLineBytes?: number;
  /** How many first bytes of an over-long line to keep for its report; default 0. */
  readonly keepHeadBytes?: number;
  /** The input offset of the first byte pushed (a tail resuming mid-file); default 0. */
  readonly startByte?: number;
}

interface Discarding {
  readonly line: OverlongLine;
  length: number;
  lastByte: number;
}

export class LineSplitter {
  readonly maxLineBytes: number;
  private readonly keepHeadBytes: number;
  /** The unfinished line's bytes. */
  private readonly held: LineBuffer;
  private discard: Discarding | undefined;
  private bytes: number;
  private settled: number;
  private lines = 0;

  constructor(options: LineSplitterOptions = {}) {
    this.maxLineBytes = maxLineBytesOption(options.maxLineBytes, 'LineSplitter');
    this.keepHeadBytes = Math.max(0, Math.min(options.keepHeadBytes ?? 0, this.maxLineBytes + 1));
    // maxLineBytes + 1: the last byte may be the \r of a \r\n, which the bound does not count.
    this.held = new LineBuffer(this.maxLineBytes + 1);
    this.bytes = options.startByte ?? 0;
    this.settled = this.bytes;
  }

  /** The input offset just past the last newline: every byte before it is delivered or rejected. */
  get settledBytes(): number {
    return this.settled;
  }

  /** The input offset just past the last byte pushed. */
  get pushedBytes(): number {
    return this.bytes;
  }

  /** Lines ended so far, delivered or rejected (the number of the last one). */
  get linesEnded(): number {
    return this.lines;
  }

  /** Whether an over-long line is being dropped (its newline has not come yet). */
  get discarding(): boolean {
    return this.discard !== undefined;
  }

  /** Bytes held for the unfinished line (at most maxLineBytes + 1). */
  get bufferedBytes(): number {
    return this.held.length;
  }

  /** Memory the splitter holds for lines, whatever their length (at most maxLineBytes + 1). */
  get retainedBytes(): number {
    return this.held.capacity + (this.discard?.line.head.length ?? 0);
  }

  push(chunk: Uint8Array, out: LineHandler): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const base = this.bytes;
    let from = 0;
    while (from < bytes.length) {
      const nl = bytes.indexOf(LF, from);
      const end = nl < 0 ? bytes.length : nl;
      const discard = this.discard;
      if (discard) {
        if (end > from) {
          discard.length += end - from;
          discard.lastByte = bytes[end - 1] ?? discard.lastByte;
        }
        if (nl < 0) break;
        this.discard = undefined;
        out.overlongEnded(discard.line, discard.length - (discard.lastByte === CR ? 1 : 0), true);
      } else if (nl >= 0) {
        this.completeLine(bytes, from, nl, out);
      } else {
        this.holdUnfinished(bytes, from, out);
        break;
      }
      this.lines++;
      this.settled = base + nl + 1;
      from = nl + 1;
    }
    this.bytes = base + bytes.length;
  }

  /**
   * The input ended: its unfinished last line is delivered as a line (as a socket's last line
   * before the peer closes), or reported as over-long; then the splitter starts afresh.
   */
  end(out: LineHandler): void {
    if (this.discard) this.endDiscard(out);
    else if (this.held.length > 0) {
      const length = this.held.length - (this.held.lastByte() === CR ? 1 : 0);
      if (length > this.maxLineBytes) {
        const line = this.overlongLine(undefined, this.settled);
        out.overlong(line);
        out.overlongEnded(line, length, false);
      } else out.line(this.held.toString(length));
      this.lines++;
    }
    this.restart();
  }

  /**
   * The input stopped and what it had not finished is worthless (a connection failed, a tailed
   * file was replaced): the unfinished line is dropped, an over-long one reported as ended.
   */
  drop(out: LineHandler): void {
    if (this.discard) this.endDiscard(out);
    this.restart();
  }

  private endDiscard(out: LineHandler): void {
    const discard = this.discard;
    if (!discard) return;
    this.discard = undefined;
    this.lines++;
    out.overlongEnded(discard.line, discard.length - (discard.lastByte === CR ? 1 : 0), false);
  }

  private restart(): void {
    this.held.clear();
    this.settled = this.bytes;
  }

  /** bytes[from, nl) ends the unfinished line (if any): deliver it or reject it. */
  private completeLine(bytes: Buffer, from: number, nl: number, out: LineHandler): void {
    const total = this.held.length + (nl - from);
    const last = nl > from ? bytes[nl - 1] : this.held.lastByte();
    const length = total - (last === CR ? 1 : 0);
    if (length > this.maxLineBytes) {
      const line = this.overlongLine(bytes.subarray(from, nl), this.settled);
      out.overlong(line);
      out.overlongEnded(line, length, true);
    } else if (this.held.length === 0) {
      out.line(bytes.toString('utf8', from, from + length));
    } else {
      this.held.append(bytes, from, nl);
      out.line(this.held.toString(length));
    }
    this.held.clear();
  }

  /** bytes[from, end) has no newline: keep it for the next chunk, or start dropping the line. */
  private holdUnfinished(bytes: Buffer, from: number, out: LineHandler): void {
    const total = this.held.length + (bytes.length - from);
    // maxLineBytes + 1: the last byte may be the \r of a \r\n, which the bound does not count.
    if (total <= this.maxLineBytes + 1) {
      this.held.append(bytes, from, bytes.length);
      return;
    }
    const line = this.overlongLine(bytes.subarray(from), this.settled);
    this.discard = { line, length: total, lastByte: bytes[bytes.length - 1] ?? 0 };
    this.held.clear();
    out.overlong(line);
  }

  /** The over-long line starting at `startByte`: what is held of it, then `more` of its bytes. */
  private overlongLine(more: Buffer | undefined, startByte: number): OverlongLine {
    const want = Math.min(this.keepHeadBytes, this.held.length + (more?.length ?? 0));
    const head = Buffer.allocUnsafe(want);
    const fromHeld = this.held.copyStart(head);
    if (more && fromHeld < want) more.copy(head, fromHeld, 0, want - fromHeld);
    return { lineNumber: this.lines + 1, startByte, head };
  }
}

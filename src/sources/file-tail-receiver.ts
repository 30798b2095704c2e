/**
 * fileTailStream's receiver: follows a growing file like `tail -F`, line by line, and survives
 * rotation (the path now names another file), truncation (the file got shorter) and a rewrite
 * in place (copytruncate then new lines within one poll: the file's first bytes changed, see
 * FileHead): each time it starts the new content from its first byte. Polling, not fs.watch:
 * watch events are unreliable across platforms, editors and network file systems.
 *
 * Lines are split from the raw bytes (LineSplitter), so the read position is exact whatever the
 * bytes are (invalid UTF-8 becomes U+FFFD in that line's text only), each byte is read once (the
 * unfinished last line waits in the splitter, it is not read again), and a line may be longer
 * than one read. A line longer than `maxLineBytes` is dropped as it is read, reported once as
 * a `LineTooLong` record error at its byte offset, written to the dead-letter file when one is
 * set, and the lines after it are read.
 *
 * The read position is saved (durably, beside the checkpoint) with the fingerprint of the file's
 * first bytes once the lines before it are stored, so a restarted agent continues where the
 * stored data ends: nothing lost; lines stored just before a crash whose position was not yet
 * saved are read again (at-least-once). A saved position whose file no longer matches (another
 * inode, shorter, other first bytes) is not used: the file is then new to the tail (`startAt`).
 *
 * Its connection, as the stream reports it: connected while polls can open and stat the file
 * (each successful poll is an answer from the upstream). A file missing for a few polls in a row
 * (not the instant between a rotation's rename and create), a read that fails, or a poll that has
 * not returned for ten seconds (a hung network file system) is a disconnection, announced once; a
 * file that does not grow is not.
 */
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeError } from '../errors.js';
import { makePrivateDir } from '../private-files.js';
import { Receiver } from '../receiver/receiver.js';
import { writeFileDurably } from '../state/durable-file.js';
import { DeadLetterFile } from './dead-letter-file.js';
import { FileHead, type Fingerprint } from './file-head.js';
import { type LineHandler, LineSplitter, maxLineBytesOption } from './line-splitter.js';
import { RejectedLineReporter } from './rejected-line-reporter.js';

/** Polls in a row that find no file before it counts as missing rather than being rotated. */
const MISSING_POLLS = 5;
/** How long one poll may take before the tail counts as stalled. */
const STALLED_POLL_MS = 10_000;

export interface FileTailOptions {
  /** Where a file seen for the first time is read from; default 'end' (as `tail -F`). */
  startAt?: 'beginning' | 'end';
  /** How often the file is checked for new data and rotation; default 200 ms. */
  pollIntervalMs?: number;
  /** Largest read per poll; default 1 MiB. A line may be longer: it is read over several polls. */
  maxReadBytes?: number;
  /**
   * Longest line taken in, in bytes (its \n or \r\n not counted); a longer one is skipped and
   * counted as a `LineTooLong` record error. Default 1 MiB; from 16 bytes to 256 MiB.
   */
  maxLineBytes?: number;
  /**
   * Append each rejected line (its first bytes, at most 4 KiB, and its length; one JSON object
   * per line) to this file, created with mode 0600. Default: none, rejected lines are only counted.
   */
  deadLetterPath?: string;
}

/** The saved position: the file (inode and first bytes) and the byte after the last stored line. */
interface SavedPosition {
  readonly ino: number;
  readonly offset: number;
  /** Absent in positions saved before fingerprints were kept. */
  readonly fingerprint?: Fingerprint;
}

/** Reading one file: where the next read starts, and what the splitter holds before it. */
interface Tail {
  readonly ino: number;
  /** The next byte to read; the splitter has every byte before it. */
  readOffset: number;
  /** The settled offset last handed to the store (its position is saved once stored). */
  handedOver: number;
  readonly head: FileHead;
  readonly splitter: LineSplitter;
  readonly lines: string[];
  readonly out: LineHandler;
}

export class FileTailReceiver extends Receiver<string> {
  private timer: NodeJS.Timeout | undefined;
  private tail: Tail | undefined;
  private polling = false;
  private saving: Promise<void> = Promise.resolve();
  private isConnected = false;
  /** Polls in a row that found no file. */
  private missingPolls = 0;
  /** Timer ticks that found the previous poll still running. */
  private busyTicks = 0;
  private readonly maxLineBytes: number;
  private readonly rejected: RejectedLineReporter;

  constructor(
    private readonly path: string,
    /** Where the position is saved; none: every start follows `startAt`. */
    private readonly positionFile: string | undefined,
    private readonly options: FileTailOptions = {},
  ) {
    super();
    const name = `file-tail:${path}`;
    this.maxLineBytes = maxLineBytesOption(options.maxLineBytes, name);
    this.rejected = new RejectedLineReporter({
      stream: name,
      maxLineBytes: this.maxLineBytes,
      report: (errorType, reason, details) => this.reportRecordError(errorType, reason, details),
      deadLetter:
        options.deadLetterPath === undefined
          ? undefined
          : new DeadLetterFile(options.deadLetterPath, (message, error) => this.reportError(message, error)),
    });
  }

  get connected(): boolean {
    return this.isConnected;
  }

  onStart(): void {
    const interval = this.options.pollIntervalMs ?? 200;
    this.missingPolls = 0;
    this.busyTicks = 0;
    this.reportDisconnected(`opening ${this.path}`, { pending: true });
    this.timer = setInterval(() => void this.poll(), interval);
    void this.poll();
  }

  onStop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.isConnected = false;
  }

  private async poll(): Promise<void> {
    if (this.isStopped()) return;
    if (this.polling) {
      this.busyTicks++;
      const interval = this.options.pollIntervalMs ?? 200;
      if (this.busyTicks * interval >= STALLED_POLL_MS && this.isConnected) {
        this.isConnected = false;
        this.reportDisconnected(
          `a read of ${this.path} has not returned for ${Math.round((this.busyTicks * interval) / 1000)} s`,
        );
      }
      return;
    }
    this.polling = true;
    try {
      await this.readMore();
      this.missingPolls = 0;
    } catch (error) {
      this.isConnected = false;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        // The instant between a rotation's rename and create is not a disconnection.
        this.missingPolls++;
        this.reportDisconnected(
          `${this.path} does not exist`,
          this.missingPolls < MISSING_POLLS ? { pending: true } : {},
        );
      } else {
        this.reportDisconnected(`reading ${this.path} failed: ${describeError(error)}`);
        this.reportError(`reading ${this.path} failed: ${describeError(error)}`, error);
      }
    } finally {
      this.polling = false;
      this.busyTicks = 0;
    }
  }

  private async readMore(): Promise<void> {
    // One handle for the checks and the reads: a rotation between them cannot mix two files.
    const handle = await open(this.path, 'r');
    try {
      const info = await handle.stat();
      this.isConnected = true;
      this.reportConnected();
      this.reportResponse();
      let tail = this.tail;
      if (!tail) {
        tail = await this.firstTail(handle, info.ino, info.size);
      } else if (info.ino !== tail.ino || info.size < tail.readOffset || !(await tail.head.matches(handle))) {
        // Rotated, truncated, or rewritten in place: the path holds new data from its first byte.
        // An unfinished line of the old content is dropped (an over-long one still ends).
        tail.splitter.drop(tail.out);
        tail = this.newTail(info.ino, 0, FileHead.empty());
      }
      this.tail = tail;
      await this.readLines(handle, tail, info.size);
    } finally {
      await handle.close();
    }
  }

  /**
   * One read per poll (up to maxReadBytes); more while an over-long line is being skipped, since
   * skipped bytes cost nothing to store and the lines after it should not wait a poll per read.
   */
  private async readLines(handle: FileHandle, tail: Tail, size: number): Promise<void> {
    const maxRead = this.options.maxReadBytes ?? 1024 * 1024;
    while (tail.readOffset < size && !this.isStopped()) {
      const length = Math.min(size - tail.readOffset, maxRead);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, tail.readOffset);
      if (bytesRead === 0) return;
      const chunk = buffer.subarray(0, bytesRead);
      tail.head.extend(tail.readOffset, chunk);
      tail.readOffset += bytesRead;
      tail.splitter.push(chunk, tail.out);
      const settled = tail.splitter.settledBytes;
      if (settled > tail.handedOver) {
        tail.handedOver = settled;
        const next: SavedPosition = { ino: tail.ino, offset: settled, fingerprint: tail.head.fingerprint() };
        // Lines and rejected lines alike: the position passes them once what came before is stored.
        await this.storeMany(tail.lines.splice(0), () => this.savePosition(next));
      }
      if (!tail.splitter.discarding) return;
    }
  }

  private newTail(ino: number, offset: number, head: FileHead): Tail {
    const lines: string[] = [];
    return {
      ino,
      readOffset: offset,
      handedOver: offset,
      head,
      splitter: new LineSplitter({
        maxLineBytes: this.maxLineBytes,
        keepHeadBytes: this.rejected.keepHeadBytes,
        startByte: offset,
      }),
      lines,
      out: this.rejected.collect(lines, (l) => `byte ${l.startByte} of ${this.path}`),
    };
  }

  private async firstTail(handle: FileHandle, ino: number, size: number): Promise<Tail> {
    const saved = await this.savedPosition();
    if (saved && saved.ino === ino && saved.offset <= size) {
      const head = await FileHead.resume(handle, saved.offset, saved.fingerprint);
      if (head) return this.newTail(ino, saved.offset, head);
    }
    const offset = this.options.startAt === 'beginning' ? 0 : size;
    // The bytes before the start are the file's head too: a rewrite is noticed from the first poll.
    return this.newTail(ino, offset, await FileHead.read(handle, offset));
  }

  private async savedPosition(): Promise<SavedPosition | undefined> {
    if (!this.positionFile) return undefined;
    try {
      return parsePosition(JSON.parse(await readFile(this.positionFile, 'utf8')));
    } catch {
      // No saved position (first start) or an unreadable one: fall back to startAt.
      return undefined;
    }
  }

  /** Saves positions in order, each once the lines before it are stored. */
  private savePosition(position: SavedPosition): void {
    const file = this.positionFile;
    if (!file) return;
    this.saving = this.saving
      .then(async () => {
        await makePrivateDir(dirname(file));
        await writeFileDurably(file, JSON.stringify(position));
      })
      .catch((error) => this.reportError(`saving the tail position to ${file} failed`, error));
  }
}

function parsePosition(value: unknown): SavedPosition | undefined {
  const v = value as Partial<Record<keyof SavedPosition, unknown>> | null;
  if (!v || !isCount(v.ino) || !isCount(v.offset)) return undefined;
  const f = v.fingerprint as Partial<Record<keyof Fingerprint, unknown>> | undefined;
  if (f === undefined) return { ino: v.ino, offset: v.offset };
  if (!isCount(f.bytes) || typeof f.sha256 !== 'string') return undefined;
  return { ino: v.ino, offset: v.offset, fingerprint: { bytes: f.bytes, sha256: f.sha256 } };
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

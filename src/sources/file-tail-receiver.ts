/**
 * fileTailStream's receiver: follows a growing file like `tail -F`, line by line, and survives
 * rotation (the path now names another file) and truncation (the file got shorter): either way
 * it starts the new file from its beginning. Polling, not fs.watch: watch events are unreliable
 * across platforms, editors and network file systems.
 *
 * The read position is saved (durably, beside the checkpoint) once the lines before it are
 * stored, so a restarted agent continues where the stored data ends: nothing lost; lines stored
 * just before a crash whose position was not yet saved are read again (at-least-once).
 */
import { open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeError } from '../errors.js';
import { makePrivateDir } from '../private-files.js';
import { Receiver } from '../receiver/receiver.js';
import { writeFileDurably } from '../state/durable-file.js';

export interface FileTailOptions {
  /** Where a file seen for the first time is read from; default 'end' (as `tail -F`). */
  startAt?: 'beginning' | 'end';
  /** How often the file is checked for new data and rotation; default 200 ms. */
  pollIntervalMs?: number;
  /** Largest read per poll; default 1 MiB. */
  maxReadBytes?: number;
}

interface Position {
  readonly ino: number;
  readonly offset: number;
}

export class FileTailReceiver extends Receiver<string> {
  private timer: NodeJS.Timeout | undefined;
  private position: Position | undefined;
  private polling = false;
  private saving: Promise<void> = Promise.resolve();
  private isConnected = false;

  constructor(
    private readonly path: string,
    /** Where the position is saved; none: every start follows `startAt`. */
    private readonly positionFile: string | undefined,
    private readonly options: FileTailOptions = {},
  ) {
    super();
  }

  get connected(): boolean {
    return this.isConnected;
  }

  onStart(): void {
    const interval = this.options.pollIntervalMs ?? 200;
    this.timer = setInterval(() => void this.poll(), interval);
    void this.poll();
  }

  onStop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.isConnected = false;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.isStopped()) return;
    this.polling = true;
    try {
      await this.readMore();
    } catch (error) {
      this.isConnected = false;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.reportError(`reading ${this.path} failed: ${describeError(error)}`, error);
    } finally {
      this.polling = false;
    }
  }

  private async readMore(): Promise<void> {
    const info = await stat(this.path);
    this.isConnected = true;
    if (this.position === undefined) this.position = await this.initialPosition(info.ino, info.size);
    if (info.ino !== this.position.ino || info.size < this.position.offset) {
      // Rotated or truncated: the path holds new data from its first byte on.
      this.position = { ino: info.ino, offset: 0 };
    }
    if (info.size === this.position.offset) return;
    const length = Math.min(info.size - this.position.offset, this.options.maxReadBytes ?? 1024 * 1024);
    const buffer = Buffer.alloc(length);
    const handle = await open(this.path, 'r');
    let read: number;
    try {
      ({ bytesRead: read } = await handle.read(buffer, 0, length, this.position.offset));
    } finally {
      await handle.close();
    }
    // Complete lines only; the bytes of an unfinished last line are read again next time.
    const text = buffer.subarray(0, read).toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return;
    const lines = text.slice(0, end).split('\n');
    const consumed = Buffer.byteLength(text.slice(0, end + 1));
    const next: Position = { ino: this.position.ino, offset: this.position.offset + consumed };
    this.position = next;
    await this.storeMany(
      lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)),
      () => this.savePosition(next),
    );
  }

  private async initialPosition(ino: number, size: number): Promise<Position> {
    if (this.positionFile) {
      try {
        const saved = JSON.parse(await readFile(this.positionFile, 'utf8')) as Position;
        if (saved.ino === ino && saved.offset <= size) return saved;
      } catch {
        // No saved position (first start) or an unreadable one: fall back to startAt.
      }
    }
    return { ino, offset: this.options.startAt === 'beginning' ? 0 : size };
  }

  /** Saves positions in order, each once the lines before it are stored. */
  private savePosition(position: Position): void {
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

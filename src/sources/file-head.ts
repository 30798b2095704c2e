/**
 * FileHead: the first bytes of a tailed file as the tail saw them (up to FINGERPRINT_BYTES), and
 * their fingerprint. It is how the tail tells that the path still holds the content it was
 * reading, beyond the inode and the size: a file truncated and written again within one poll
 * (copytruncate) keeps its inode and may be longer than before, but its first bytes differ.
 *
 * What it cannot tell: a rewrite that keeps the first FINGERPRINT_BYTES bytes (or, for a file
 * shorter than that, every byte the tail has read) and is at least as long as what was read.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** How many first bytes are compared: enough to cover a log line's timestamp many times over. */
export const FINGERPRINT_BYTES = 4096;

/** The saved form: the SHA-256 of the first `bytes` bytes. */
export interface Fingerprint {
  readonly bytes: number;
  readonly sha256: string;
}

export class FileHead {
  private fingerprintCache: Fingerprint | undefined;

  private constructor(private bytes: Buffer) {}

  static empty(): FileHead {
    return new FileHead(Buffer.alloc(0));
  }

  /** The file's first `min(length, FINGERPRINT_BYTES)` bytes, as it is now. */
  static async read(handle: FileHandle, length: number): Promise<FileHead> {
    return new FileHead(await readStart(handle, Math.min(length, FINGERPRINT_BYTES)));
  }

  /**
   * The head of a file the tail saw before a restart, when its first bytes still match the saved
   * fingerprint; undefined when they do not (the path holds other content now). A position saved
   * without a fingerprint is trusted: its file is taken as it is.
   */
  static async resume(
    handle: FileHandle,
    offset: number,
    saved: Fingerprint | undefined,
  ): Promise<FileHead | undefined> {
    if (!saved) return FileHead.read(handle, offset);
    if (saved.bytes > FINGERPRINT_BYTES) return undefined;
    const head = new FileHead(await readStart(handle, saved.bytes));
    return head.bytes.length === saved.bytes && head.fingerprint().sha256 === saved.sha256 ? head : undefined;
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Whether the file still starts with these bytes. */
  async matches(handle: FileHandle): Promise<boolean> {
    if (this.bytes.length === 0) return true;
    return (await readStart(handle, this.bytes.length)).equals(this.bytes);
  }

  /** `chunk` was read at `offset`: keep what of it falls within the first FINGERPRINT_BYTES. */
  extend(offset: number, chunk: Buffer): void {
    const have = this.bytes.length;
    // Reads are sequential, so a chunk never starts past what is held; a gap is not filled.
    if (have >= FINGERPRINT_BYTES || offset > have) return;
    const end = Math.min(FINGERPRINT_BYTES, offset + chunk.length);
    if (end <= have) return;
    this.bytes = Buffer.concat([this.bytes, chunk.subarray(have - offset, end - offset)]);
    this.fingerprintCache = undefined;
  }

  fingerprint(): Fingerprint {
    this.fingerprintCache ??= {
      bytes: this.bytes.length,
      sha256: createHash('sha256').update(this.bytes).digest('hex'),
    };
    return this.fingerprintCache;
  }
}

async function readStart(handle: FileHandle, length: number): Promise<Buffer> {
  if (length === 0) return Buffer.alloc(0);
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, 0);
  return buffer.subarray(0, bytesRead);
}

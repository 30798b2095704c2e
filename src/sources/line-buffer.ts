/**
 * LineBuffer: the bytes of one unfinished line, held by the LineSplitter until its newline comes.
 * Bytes are copied in once, into blocks of at most BLOCK_BYTES: a long line grows by adding a
 * block, never by copying what is held into a buffer twice the size. The blocks are kept for the
 * next line once a line is done, so however many long lines come (a peer sending over-long line
 * after over-long line), the memory stays at the longest one held, never above the `limit` it
 * is given (the line bound plus one byte), and no garbage piles up between collections.
 */

/** Block size of a long line; a short line lives in one small first block that grows up to it. */
const BLOCK_BYTES = 64 * 1024;
const FIRST_BLOCK_BYTES = 256;

export class LineBuffer {
  /** Allocated blocks, reused line after line; the first `inUse` hold the current line. */
  private blocks: Buffer[] = [];
  private inUse = 0;
  /** Bytes used in block `inUse - 1` (every block before it is full). */
  private lastUsed = 0;
  private held = 0;

  constructor(private readonly limit: number) {}

  /** Bytes held. */
  get length(): number {
    return this.held;
  }

  /** Bytes allocated for them (and kept for the next lines). */
  get capacity(): number {
    return this.blocks.reduce((n, b) => n + b.length, 0);
  }

  /** The last byte held; undefined when empty. */
  lastByte(): number | undefined {
    return this.held === 0 ? undefined : this.blocks[this.inUse - 1]?.[this.lastUsed - 1];
  }

  /** Copies bytes[from, to) after what is held; the caller keeps the total within the limit. */
  append(bytes: Buffer, from: number, to: number): void {
    while (from < to) {
      const block = this.room(to - from);
      const n = Math.min(to - from, block.length - this.lastUsed);
      bytes.copy(block, this.lastUsed, from, from + n);
      this.lastUsed += n;
      this.held += n;
      from += n;
    }
  }

  /** The first `length` bytes held, decoded as UTF-8 (invalid bytes become U+FFFD). */
  toString(length: number): string {
    const [first] = this.blocks;
    if (!first || length === 0) return '';
    if (length <= first.length) return first.toString('utf8', 0, length);
    return Buffer.concat(this.blocks.slice(0, this.inUse), this.held).toString('utf8', 0, length);
  }

  /** Copies up to `target.length` first bytes held into `target`; returns how many. */
  copyStart(target: Buffer): number {
    let copied = 0;
    for (let i = 0; i < this.inUse && copied < target.length; i++) {
      const block = this.blocks[i] as Buffer;
      const used = i === this.inUse - 1 ? this.lastUsed : block.length;
      const n = Math.min(used, target.length - copied);
      block.copy(target, copied, 0, n);
      copied += n;
    }
    return copied;
  }

  /** Empties it; the blocks stay for the next line. */
  clear(): void {
    this.inUse = 0;
    this.lastUsed = 0;
    this.held = 0;
  }

  /** The block the next bytes go to, with room for at least one byte. */
  private room(want: number): Buffer {
    const current = this.inUse > 0 ? this.blocks[this.inUse - 1] : undefined;
    if (current && this.lastUsed < current.length) return current;
    if (current && this.inUse === 1 && this.blocks.length === 1 && current.length < BLOCK_BYTES) {
      // The first block doubles (a short line stays small), up to a whole block.
      const grown = Buffer.allocUnsafe(
        Math.min(BLOCK_BYTES, Math.max(current.length * 2, this.held + want), this.limit),
      );
      current.copy(grown, 0, 0, this.lastUsed);
      this.blocks[0] = grown;
      return grown;
    }
    const next = this.blocks[this.inUse];
    if (next) {
      this.inUse++;
      this.lastUsed = 0;
      return next;
    }
    const size = this.blocks.length === 0 ? Math.max(FIRST_BLOCK_BYTES, want) : BLOCK_BYTES;
    const block = Buffer.allocUnsafe(Math.max(1, Math.min(size, BLOCK_BYTES, this.limit - this.held)));
    this.blocks.push(block);
    this.inUse++;
    this.lastUsed = 0;
    return block;
  }
}

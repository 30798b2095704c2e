/**
 * RecordCursor: reads the fields of Kafka records (message format v2) in place from a buffer,
 * advancing one position: zigzag varints and varlongs as plain numbers, and length-prefixed
 * bytes as views on the buffer (no copy) or as their positions. Bounds are checked once per field
 * by the caller's `need`, so a truncated or corrupt record fails with a clear error instead of
 * reading garbage.
 */

export class RecordCursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    /** One past the last byte this cursor may read (the end of the batch or of its records). */
    public end: number,
  ) {}

  /** Throws unless `n` more bytes can be read. */
  need(n: number): void {
    if (this.pos + n > this.end) {
      throw new RangeError(`record truncated: ${n} bytes needed at ${this.pos}, ${this.end - this.pos} left`);
    }
  }

  readInt8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  /** A zigzag varint (an int32): at most 5 bytes. */
  readVarint(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= this.end) this.need(1);
    // biome-ignore lint/style/noNonNullAssertion: pos < end <= buf.length, checked above.
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return (b >>> 1) ^ -(b & 1);
    }
    let u = b & 0x7f;
    let shift = 7;
    do {
      if (pos >= this.end) {
        this.pos = pos;
        this.need(1);
      }
      if (shift > 28) throw new RangeError(`varint longer than 5 bytes at ${this.pos}`);
      // biome-ignore lint/style/noNonNullAssertion: pos < end <= buf.length, checked above.
      b = buf[pos++]!;
      u |= (b & 0x7f) << shift;
      shift += 7;
    } while (b >= 0x80);
    this.pos = pos;
    u >>>= 0;
    return (u >>> 1) ^ -(u & 1);
  }

  /**
   * A zigzag varlong (an int64) as a number. Beyond 2^53 a number loses precision: such a value
   * (no real timestamp or offset delta comes near it) is refused rather than rounded.
   */
  readVarlong(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= this.end) this.need(1);
    // biome-ignore lint/style/noNonNullAssertion: pos < end <= buf.length, checked above.
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return (b >>> 1) ^ -(b & 1);
    }
    // Unsigned value accumulated as a number: exact up to 2^53, checked below.
    let u = b & 0x7f;
    let scale = 128;
    do {
      if (pos >= this.end) {
        this.pos = pos;
        this.need(1);
      }
      if (scale > 2 ** 63) throw new RangeError(`varlong longer than 10 bytes at ${this.pos}`);
      // biome-ignore lint/style/noNonNullAssertion: pos < end <= buf.length, checked above.
      b = buf[pos++]!;
      u += (b & 0x7f) * scale;
      scale *= 128;
    } while (b >= 0x80);
    this.pos = pos;
    if (u > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`varlong beyond 2^53 at ${pos}: not representable as a number`);
    }
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Varint-length-prefixed bytes as a view on the buffer; null for length -1. */
  readBytes(): Buffer | null {
    const length = this.readVarint();
    if (length < 0) return null;
    this.need(length);
    const start = this.pos;
    this.pos = start + length;
    return this.buf.subarray(start, this.pos);
  }

  /**
   * Steps over varint-length-prefixed bytes: where they start (they end at the new `pos`), or
   * -1 for length -1 (null). The caller keeps the positions instead of a view.
   */
  skipBytes(): number {
    const length = this.readVarint();
    if (length < 0) return -1;
    this.need(length);
    const start = this.pos;
    this.pos = start + length;
    return start;
  }

  /** A varint-length-prefixed UTF-8 string (a header key); null for length -1. */
  readString(): string | null {
    const length = this.readVarint();
    if (length < 0) return null;
    this.need(length);
    const start = this.pos;
    this.pos = start + length;
    return this.buf.toString('utf8', start, this.pos);
  }
}

/**
 * readInt64: a big-endian int64 of a record batch header (an offset, a timestamp, a producer id)
 * as a plain number. Kafka offsets and epoch-ms timestamps stay far below 2^53 in practice; a
 * value beyond it would be silently rounded as a number, so it is refused with a clear error.
 */
export function readInt64(buf: Buffer, at: number, what: string): number {
  const value = buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(
      `${what} ${buf.readBigInt64BE(at)} is beyond 2^53: sidestream reads offsets, timestamps and producer ids as numbers`,
    );
  }
  return value;
}

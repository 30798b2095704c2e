/**
 * Big-endian integers and strings as Kafka's wire protocol writes them, for tests that build
 * Fetch responses byte by byte (independently of the decoders under test).
 */
export const int16 = (n: number): Buffer => Buffer.from([(n >> 8) & 0xff, n & 0xff]);

export const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

export const int64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
};

/** A non-null STRING: its int16 byte length, then its UTF-8 bytes. */
export const string = (s: string): Buffer => Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);

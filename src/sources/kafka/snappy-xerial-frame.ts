/**
 * The xerial snappy stream format, in which Kafka's Java producer writes a snappy-compressed
 * record batch (snappy-java's SnappyOutputStream): a 16-byte header (the magic `\x82SNAPPY\0`, then
 * two big-endian int32s, the format's version and the oldest version that reads it, both 1), then
 * chunks, each a big-endian int32 length followed by that many bytes of one raw snappy block.
 *
 * Readers of Kafka accept both this framing and a bare raw snappy block (older clients, and
 * kafkajs-snappy's producer, write the latter): `xerialBlocks` tells the two apart by the magic.
 * Only the framing lives here; the snappy blocks themselves are the codec's (kafka-codecs.ts).
 */

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const HEADER_BYTES = 16;
const VERSION = 1;
const MIN_COMPATIBLE_VERSION = 1;

/**
 * How much uncompressed data one chunk holds: snappy-java's default block size, so a framed
 * payload of ours splits exactly as the Java producer would split it.
 */
export const XERIAL_CHUNK_BYTES = 32 * 1024;

/** Whether `data` starts with the xerial header (else it is taken as one raw snappy block). */
export function isXerialFramed(data: Uint8Array): boolean {
  return data.length >= HEADER_BYTES && MAGIC.equals(data.subarray(0, MAGIC.length));
}

/**
 * The raw snappy blocks of a xerial-framed payload, in order; throws when a chunk's length runs
 * past the end (a truncated or corrupt payload). Only for payloads `isXerialFramed` accepts.
 */
export function xerialBlocks(data: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  let at = HEADER_BYTES;
  while (at < data.length) {
    if (at + 4 > data.length)
      throw new Error(
        `xerial snappy frame: ${data.length - at} stray bytes at offset ${at}, short of a chunk length`,
      );
    const length = data.readInt32BE(at);
    at += 4;
    if (length < 0 || at + length > data.length)
      throw new Error(
        `xerial snappy frame: the chunk at offset ${at - 4} claims ${length} bytes, but ${data.length - at} remain`,
      );
    blocks.push(data.subarray(at, at + length));
    at += length;
  }
  return blocks;
}

/** A xerial-framed payload of already compressed raw snappy `blocks`, in order. */
export function xerialFrame(blocks: readonly Uint8Array[]): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeInt32BE(VERSION, 8);
  header.writeInt32BE(MIN_COMPATIBLE_VERSION, 12);
  const parts: Uint8Array[] = [header];
  for (const block of blocks) {
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/**
 * encodeRecordBatch: an independent encoder of Kafka record batches (message format v2), written
 * from the protocol's description (https://kafka.apache.org/documentation/#recordbatch) and
 * sharing no code with the decoder under test nor with kafkajs: it builds the bytes with plain
 * BigInt varlongs and a bit-by-bit CRC-32C, so the decoder's tests check it against the format,
 * not against itself.
 */
import { gzipSync } from 'node:zlib';

export interface EncodedHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface EncodedRecord {
  readonly offsetDelta: number;
  readonly timestampDelta: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly EncodedHeader[];
}

export interface EncodedBatch {
  readonly baseOffset: number;
  readonly lastOffsetDelta: number;
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly partitionLeaderEpoch: number;
  readonly transactional: boolean;
  /** A control batch: `records` holds its one marker record. */
  readonly control: boolean;
  readonly logAppendTime: boolean;
  readonly gzip: boolean;
  readonly records: readonly EncodedRecord[];
}

/** Zigzag, then base-128 little-endian groups: the format's varint and varlong alike. */
function varlong(n: number | bigint): Buffer {
  const v = BigInt(n);
  let z = v >= 0n ? v << 1n : (-v << 1n) - 1n;
  const out: number[] = [];
  do {
    let b = Number(z & 0x7fn);
    z >>= 7n;
    if (z > 0n) b |= 0x80;
    out.push(b);
  } while (z > 0n);
  return Buffer.from(out);
}

function bytesField(b: Buffer | null): Buffer {
  return b === null ? varlong(-1) : Buffer.concat([varlong(b.length), b]);
}

function encodeRecord(r: EncodedRecord): Buffer {
  const body = Buffer.concat([
    Buffer.from([0]), // attributes
    varlong(r.timestampDelta),
    varlong(r.offsetDelta),
    bytesField(r.key),
    bytesField(r.value),
    varlong(r.headers.length),
    ...r.headers.flatMap((h) => [bytesField(Buffer.from(h.key, 'utf8')), bytesField(h.value)]),
  ]);
  return Buffer.concat([varlong(body.length), body]);
}

/** CRC-32C one bit at a time: slow, obviously right. */
export function slowCrc32c(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A control record's key: version 0, then 0 (abort) or 1 (commit). */
export function controlKey(commit: boolean): Buffer {
  return Buffer.from([0, 0, 0, commit ? 1 : 0]);
}

export function encodeRecordBatch(b: EncodedBatch): Buffer {
  const recordsRaw = Buffer.concat(b.records.map(encodeRecord));
  const records = b.gzip ? gzipSync(recordsRaw) : recordsRaw;
  const attributes =
    (b.gzip ? 1 : 0) | (b.logAppendTime ? 0x08 : 0) | (b.transactional ? 0x10 : 0) | (b.control ? 0x20 : 0);
  // From the attributes to the end: what the CRC covers.
  const covered = Buffer.alloc(40);
  covered.writeInt16BE(attributes, 0);
  covered.writeInt32BE(b.lastOffsetDelta, 2);
  covered.writeBigInt64BE(BigInt(b.firstTimestamp), 6);
  covered.writeBigInt64BE(BigInt(b.maxTimestamp), 14);
  covered.writeBigInt64BE(BigInt(b.producerId), 22);
  covered.writeInt16BE(b.producerEpoch, 30);
  covered.writeInt32BE(b.baseSequence, 32);
  covered.writeInt32BE(b.records.length, 36);
  const tail = Buffer.concat([covered, records]);
  const head = Buffer.alloc(21);
  head.writeBigInt64BE(BigInt(b.baseOffset), 0);
  head.writeInt32BE(tail.length + 9, 8); // partition leader epoch, magic, crc, then the tail
  head.writeInt32BE(b.partitionLeaderEpoch, 12);
  head.writeInt8(2, 16);
  head.writeUInt32BE(slowCrc32c(tail), 17);
  return Buffer.concat([head, tail]);
}

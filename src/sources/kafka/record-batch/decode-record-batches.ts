/**
 * decodeRecordBatches: decodes the record set of one partition in a Fetch response (a sequence
 * of record batches, message format v2) straight from the fetched bytes. Offsets and timestamps
 * are plain numbers, keys and values positions in the bytes (KafkaBatchRecord makes views of
 * them on demand), header values views on the bytes (no copy), one object per record; every
 * batch's CRC-32C is checked. The broker may cut the last batch short (the fetch's byte limit): a
 * trailing partial batch is ignored, as every Kafka client does.
 *
 * A compressed batch's records are decompressed by the injected `decompress` (the codecs live
 * elsewhere); uncompressed batches are decoded synchronously, and the result is a Promise only
 * when a decompression is asynchronous.
 */

import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { SidestreamError } from '../../../errors.js';
import { crc32c } from '../../../state/crc32c.js';
import { KafkaBatchRecord, type RawHeaders } from './kafka-batch-record.js';
import { readInt64 } from './read-int64.js';
import type { CompressionCodec, ControlMarker, RecordBatch, TimestampType } from './record-batch.js';
import { RecordCursor } from './record-cursor.js';

export type Decompress = (codec: Exclude<CompressionCodec, 'none'>, data: Buffer) => Buffer | Promise<Buffer>;

export interface DecodeRecordBatchesOptions {
  /** Named in errors, with the batch's offset. */
  readonly topic: string;
  readonly partition: number;
  /** Decompresses a compressed batch's records; by default gzip only. */
  readonly decompress?: Decompress;
}

/** baseOffset (8) + batchLength (4): the part of a batch outside its length. */
const LOG_OVERHEAD = 12;
/** From baseOffset to the first record (the record count included). */
const HEADER_SIZE = 61;
/** Where the CRC starts covering: the attributes. */
const CRC_START = 21;
const MAGIC = 2;
const CODECS: readonly (CompressionCodec | undefined)[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const TIMESTAMP_TYPE_FLAG = 0x08;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;

const gunzipAsync = promisify(gunzip);

/** Without the Kafka codecs: gzip through node:zlib, any other codec refused. */
export const gzipOnly: Decompress = (codec, data) => {
  if (codec === 'gzip') return gunzipAsync(data);
  throw new Error(`codec ${codec} not available: no decompressor was given for it`);
};

export function decodeRecordBatches(
  bytes: Buffer,
  options: DecodeRecordBatchesOptions,
): RecordBatch[] | Promise<RecordBatch[]> {
  const out: (RecordBatch | Promise<RecordBatch>)[] = [];
  let async = false;
  let pos = 0;
  while (pos + LOG_OVERHEAD <= bytes.length) {
    const batchLength = bytes.readInt32BE(pos + 8);
    const end = pos + LOG_OVERHEAD + batchLength;
    // The broker cut the last batch at the fetch's byte limit: the next fetch starts there.
    if (end > bytes.length) break;
    const batch = decodeBatch(bytes, pos, end, options);
    if (batch instanceof Promise) async = true;
    out.push(batch);
    pos = end;
  }
  return async ? Promise.all(out) : (out as RecordBatch[]);
}

function failure(
  options: DecodeRecordBatchesOptions,
  offset: number | string,
  message: string,
  cause?: unknown,
) {
  return new SidestreamError(
    'SS_SOURCE_FAILED',
    `the record batch at offset ${offset} of ${options.topic}-${options.partition} ${message}`,
    cause === undefined ? {} : { cause },
  );
}

function decodeBatch(
  bytes: Buffer,
  pos: number,
  end: number,
  options: DecodeRecordBatchesOptions,
): RecordBatch | Promise<RecordBatch> {
  // The batch's offset, for error messages only: not built for every batch decoded.
  const at = () => bytes.readBigInt64BE(pos).toString();
  if (end - pos < HEADER_SIZE)
    throw failure(options, at(), `is ${end - pos} bytes long, shorter than a batch header`);
  const magic = bytes.readInt8(pos + 16);
  if (magic !== MAGIC) {
    throw failure(options, at(), `has message format ${magic}; only format 2 (Kafka 0.11 and later) is read`);
  }
  const expected = bytes.readUInt32BE(pos + 17);
  const actual = crc32c(bytes, 0, pos + CRC_START, end);
  if (actual !== expected) {
    throw failure(options, at(), `is corrupt: CRC-32C ${hex(actual)} where the batch says ${hex(expected)}`);
  }
  let header: BatchHeader;
  try {
    header = readHeader(bytes, pos);
  } catch (error) {
    throw failure(options, at(), `has an unreadable header: ${(error as Error).message}`, error);
  }
  const count = bytes.readInt32BE(pos + 57);
  if (header.codec === 'none')
    return decodeRecordsOf(header, new RecordCursor(bytes, pos + HEADER_SIZE, end), count, options);
  const codec = header.codec;
  const compressed = bytes.subarray(pos + HEADER_SIZE, end);
  let decompressed: Buffer | Promise<Buffer>;
  try {
    decompressed = (options.decompress ?? gzipOnly)(codec, compressed);
  } catch (error) {
    throw failure(options, at(), `could not be decompressed (${codec}): ${(error as Error).message}`, error);
  }
  const decode = (data: Buffer) =>
    decodeRecordsOf(header, new RecordCursor(data, 0, data.length), count, options);
  if (!(decompressed instanceof Promise)) return decode(decompressed);
  return decompressed.then(decode, (error: unknown) => {
    throw failure(options, at(), `could not be decompressed (${codec}): ${(error as Error).message}`, error);
  });
}

type BatchHeader = Omit<RecordBatch, 'records' | 'control'>;

function readHeader(bytes: Buffer, pos: number): BatchHeader {
  const attributes = bytes.readInt16BE(pos + 21);
  const codec = CODECS[attributes & 0x07];
  if (codec === undefined) throw new RangeError(`unknown compression codec ${attributes & 0x07}`);
  const baseOffset = readInt64(bytes, pos, 'base offset');
  const lastOffsetDelta = bytes.readInt32BE(pos + 23);
  if (!Number.isSafeInteger(baseOffset + lastOffsetDelta)) {
    throw new RangeError(`last offset ${baseOffset} + ${lastOffsetDelta} is beyond 2^53`);
  }
  return {
    baseOffset,
    lastOffsetDelta,
    partitionLeaderEpoch: bytes.readInt32BE(pos + 12),
    firstTimestamp: readInt64(bytes, pos + 27, 'first timestamp'),
    maxTimestamp: readInt64(bytes, pos + 35, 'max timestamp'),
    producerId: readInt64(bytes, pos + 43, 'producer id'),
    producerEpoch: bytes.readInt16BE(pos + 51),
    baseSequence: bytes.readInt32BE(pos + 53),
    isTransactional: (attributes & TRANSACTIONAL_FLAG) !== 0,
    isControl: (attributes & CONTROL_FLAG) !== 0,
    codec,
    timestampType:
      (attributes & TIMESTAMP_TYPE_FLAG) !== 0 ? 'LogAppendTime' : ('CreateTime' as TimestampType),
  };
}

function decodeRecordsOf(
  header: BatchHeader,
  cursor: RecordCursor,
  count: number,
  options: DecodeRecordBatchesOptions,
): RecordBatch {
  try {
    if (header.isControl) return { ...header, control: controlMarker(cursor, count), records: [] };
    return { ...header, control: undefined, records: readRecords(header, cursor, count) };
  } catch (error) {
    throw failure(options, header.baseOffset, `has a malformed record: ${(error as Error).message}`, error);
  }
}

/** A control batch holds one record whose key is (version int16, type int16): 0 abort, 1 commit. */
function controlMarker(cursor: RecordCursor, count: number): ControlMarker | undefined {
  if (count < 1) return undefined;
  cursor.readVarint(); // length
  cursor.readInt8(); // attributes
  cursor.readVarlong(); // timestamp delta
  cursor.readVarint(); // offset delta
  const key = cursor.readBytes();
  if (key === null || key.length < 4) return undefined;
  const type = key.readInt16BE(2);
  return type === 0 ? 'abort' : type === 1 ? 'commit' : undefined;
}

function readRecords(header: BatchHeader, cursor: RecordCursor, count: number): KafkaBatchRecord[] {
  const { baseOffset, firstTimestamp } = header;
  // With LogAppendTime the broker's time is the batch's maxTimestamp, for every record (as the
  // Java client and kafkajs read it).
  const appendTime = header.timestampType === 'LogAppendTime' ? header.maxTimestamp : undefined;
  const records: KafkaBatchRecord[] = [];
  const batchEnd = cursor.end;
  for (let i = 0; i < count; i++) {
    const length = cursor.readVarint();
    if (length < 0) throw new RangeError(`record ${i} has length ${length}`);
    cursor.need(length);
    const recordEnd = cursor.pos + length;
    cursor.end = recordEnd;
    cursor.pos++; // attributes: unused by format 2
    const timestampDelta = cursor.readVarlong();
    const offsetDelta = cursor.readVarint();
    const keyStart = cursor.skipBytes();
    const keyEnd = cursor.pos;
    const valueStart = cursor.skipBytes();
    const valueEnd = cursor.pos;
    const headerCount = cursor.readVarint();
    let headers: RawHeaders | undefined;
    if (headerCount > 0) {
      // No prototype: a header named `__proto__` is a header like any other.
      headers = Object.create(null) as RawHeaders;
      for (let h = 0; h < headerCount; h++) {
        const name = cursor.readString();
        if (name === null) throw new RangeError(`header ${h} of record ${i} has a null key`);
        const v = cursor.readBytes();
        const seen = headers[name];
        headers[name] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v];
      }
    }
    if (cursor.pos !== recordEnd) {
      throw new RangeError(
        `record ${i} is ${length} bytes long but its fields take ${cursor.pos - recordEnd + length}`,
      );
    }
    cursor.end = batchEnd;
    records.push(
      new KafkaBatchRecord(
        baseOffset + offsetDelta,
        appendTime ?? firstTimestamp + timestampDelta,
        cursor.buf,
        keyStart,
        keyEnd,
        valueStart,
        valueEnd,
        headers,
      ),
    );
  }
  return records;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

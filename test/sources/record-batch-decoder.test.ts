/**
 * The record-batch decoder against random partitions: an independent encoder
 * (test/support/record-batch-encoder.ts) writes random batches (null and empty keys and values,
 * repeated and null-valued headers, offset gaps and empty batches as compaction leaves them,
 * transactions committed and aborted, interleaved, with their control batches, gzip, LogAppendTime);
 * the decoder's records must equal what was encoded AND what kafkajs' own decoder reads, and its
 * read_committed view must equal committedRecords' over kafkajs' records.
 */
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  committedRecords,
  type FetchedRecord as KafkajsRecord,
} from '../../src/sources/kafka/committed-records.js';
import { compress, decompress } from '../../src/sources/kafka/kafka-codecs.js';
import { committedBatchRecords } from '../../src/sources/kafka/record-batch/committed-batch-records.js';
import { decodeRecordBatches } from '../../src/sources/kafka/record-batch/decode-record-batches.js';
import type { RecordBatch } from '../../src/sources/kafka/record-batch/record-batch.js';
import {
  controlKey,
  type EncodedBatch,
  type EncodedHeader,
  type EncodedRecord,
  encodeRecordBatch,
  slowCrc32c,
} from '../support/record-batch-encoder.js';

const require = createRequire(import.meta.url);
const KafkajsDecoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => unknown;
const kafkajsDecodeMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages') as (
  decoder: unknown,
) => Promise<KafkajsRecord[]>;

/** kafkajs' Fetch v4+ path for one partition's record set (size-prefixed). */
function kafkajsDecode(recordSet: Buffer): Promise<KafkajsRecord[]> {
  const size = Buffer.alloc(4);
  size.writeInt32BE(recordSet.length);
  return kafkajsDecodeMessages(new KafkajsDecoder(Buffer.concat([size, recordSet])));
}

/** mulberry32: a small seeded generator, so a failing seed can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const chance = (p: number) => next() < p;
  const bytes = (max: number) => {
    const b = Buffer.alloc(int(0, max));
    for (let i = 0; i < b.length; i++) b[i] = int(0, 255);
    return b;
  };
  return { next, int, chance, bytes };
}

type Random = ReturnType<typeof random>;

interface Partition {
  readonly bytes: Buffer;
  readonly batches: EncodedBatch[];
  readonly aborted: { producerId: number; firstOffset: number }[];
  /** Offsets of the data records a read_committed consumer sees. */
  readonly committed: number[];
}

const HEADER_KEYS = ['traceparent', 'k', 'ключ', 'x-dup', ''];

function randomRecords(r: Random, lastOffsetDelta: number, count: number): EncodedRecord[] {
  // `count` distinct offset deltas within [0, lastOffsetDelta], the last one included unless
  // compaction removed it.
  const deltas = new Set<number>();
  if (count > 0 && r.chance(0.7)) deltas.add(lastOffsetDelta);
  while (deltas.size < count) deltas.add(r.int(0, lastOffsetDelta));
  return [...deltas]
    .sort((a, b) => a - b)
    .map((offsetDelta) => {
      const headers: EncodedHeader[] = [];
      const n = r.chance(0.5) ? 0 : r.int(1, 4);
      for (let i = 0; i < n; i++) {
        headers.push({
          key: HEADER_KEYS[r.int(0, HEADER_KEYS.length - 1)] as string,
          value: r.chance(0.2) ? null : r.bytes(r.chance(0.1) ? 200 : 12),
        });
      }
      return {
        offsetDelta,
        timestampDelta: r.chance(0.1) ? -r.int(0, 5000) : r.int(0, r.chance(0.1) ? 2 ** 40 : 100_000),
        key: r.chance(0.3) ? null : r.bytes(r.chance(0.1) ? 300 : 16),
        value: r.chance(0.15) ? null : r.bytes(r.chance(0.1) ? 20_000 : 64),
        headers,
      };
    });
}

function randomPartition(seed: number): Partition {
  const r = random(seed);
  let offset = r.chance(0.3) ? r.int(0, 2 ** 50) : r.int(0, 1000);
  const batches: EncodedBatch[] = [];
  const aborted: { producerId: number; firstOffset: number }[] = [];
  const producers = [1000, 1001, 1002].map((id) => ({
    id: id + (r.chance(0.2) ? 2 ** 45 : 0),
    open: false,
    firstOffset: 0,
    offsets: [] as number[],
  }));
  const committed: number[] = [];
  const steps = r.int(1, 25);
  for (let step = 0; step < steps; step++) {
    // -1: a record without a timestamp (a producer that sends none).
    const firstTimestamp = r.chance(0.05) ? -1 : 1_700_000_000_000 + r.int(0, 10 ** 9);
    const base = {
      baseOffset: offset,
      firstTimestamp,
      producerEpoch: r.int(0, 5),
      baseSequence: r.int(0, 1000),
      partitionLeaderEpoch: r.int(0, 10),
      logAppendTime: r.chance(0.1),
      gzip: r.chance(0.2),
    };
    const producer = producers[r.int(0, producers.length - 1)];
    if (producer?.open && r.chance(0.3)) {
      // The end of producer's transaction: its control batch.
      const commit = r.chance(0.5);
      batches.push({
        ...base,
        gzip: false,
        lastOffsetDelta: 0,
        maxTimestamp: firstTimestamp,
        producerId: producer.id,
        transactional: true,
        control: true,
        records: [
          {
            offsetDelta: 0,
            timestampDelta: 0,
            key: controlKey(commit),
            value: Buffer.from([0, 0, 0, 0, 0, 0]),
            headers: [],
          },
        ],
      });
      if (commit) committed.push(...producer.offsets);
      else aborted.push({ producerId: producer.id, firstOffset: producer.firstOffset });
      producer.open = false;
      producer.offsets = [];
      offset += 1;
      continue;
    }
    const transactional = producer !== undefined && r.chance(0.5);
    const lastOffsetDelta = r.int(0, 8);
    // An empty batch is what compaction keeps of a batch whose records all went.
    const count = r.chance(0.1) ? 0 : r.int(1, lastOffsetDelta + 1);
    const records = randomRecords(r, lastOffsetDelta, count);
    const maxTimestamp = firstTimestamp + Math.max(0, ...records.map((x) => x.timestampDelta));
    const producerId = transactional ? producer.id : r.chance(0.5) ? -1 : 5000;
    batches.push({
      ...base,
      lastOffsetDelta,
      maxTimestamp,
      producerId,
      transactional,
      control: false,
      records,
    });
    const offsets = records.map((x) => offset + x.offsetDelta);
    if (transactional) {
      if (!producer.open) {
        producer.open = true;
        producer.firstOffset = offset;
      }
      producer.offsets.push(...offsets);
    } else committed.push(...offsets);
    offset += lastOffsetDelta + 1 + (r.chance(0.2) ? r.int(1, 50) : 0);
  }
  // Transactions still open are not yet decided: the last stable offset is below them, so a
  // broker would not return them to a read_committed fetch; they are left out of `committed`.
  const openFrom = Math.min(...producers.filter((p) => p.open).map((p) => p.firstOffset));
  return {
    bytes: Buffer.concat(batches.map(encodeRecordBatch)),
    batches,
    aborted,
    committed: committed.filter((o) => o < openFrom).sort((a, b) => a - b),
  };
}

const OPTIONS = { topic: 'random', partition: 3 };

async function decode(bytes: Buffer): Promise<RecordBatch[]> {
  return await decodeRecordBatches(bytes, OPTIONS);
}

const asText = (b: Buffer | null | undefined) => (b == null ? b : b.toString('hex'));
const headersAsText = (h: Record<string, unknown> | undefined) =>
  Object.fromEntries(
    Object.entries(h ?? {}).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.map(asText) : asText(v as Buffer | null),
    ]),
  );

describe('decodeRecordBatches', () => {
  it('reads random partitions as encoded and as kafkajs reads them, read_committed included', async () => {
    for (let seed = 1; seed <= 300; seed++) {
      const partition = randomPartition(seed);
      const batches = await decode(partition.bytes);
      const context = `seed ${seed}`;
      expect(batches.length, context).toBe(partition.batches.length);

      // As encoded.
      batches.forEach((batch, i) => {
        const encoded = partition.batches[i] as EncodedBatch;
        expect(
          {
            baseOffset: batch.baseOffset,
            lastOffsetDelta: batch.lastOffsetDelta,
            producerId: batch.producerId,
            producerEpoch: batch.producerEpoch,
            baseSequence: batch.baseSequence,
            partitionLeaderEpoch: batch.partitionLeaderEpoch,
            firstTimestamp: batch.firstTimestamp,
            maxTimestamp: batch.maxTimestamp,
            isTransactional: batch.isTransactional,
            isControl: batch.isControl,
            codec: batch.codec,
            timestampType: batch.timestampType,
          },
          context,
        ).toEqual({
          baseOffset: encoded.baseOffset,
          lastOffsetDelta: encoded.lastOffsetDelta,
          producerId: encoded.producerId,
          producerEpoch: encoded.producerEpoch,
          baseSequence: encoded.baseSequence,
          partitionLeaderEpoch: encoded.partitionLeaderEpoch,
          firstTimestamp: encoded.firstTimestamp,
          maxTimestamp: encoded.maxTimestamp,
          isTransactional: encoded.transactional,
          isControl: encoded.control,
          codec: encoded.gzip ? 'gzip' : 'none',
          timestampType: encoded.logAppendTime ? 'LogAppendTime' : 'CreateTime',
        });
        if (encoded.control) {
          expect(batch.records, context).toEqual([]);
          expect(batch.control, context).toBe(encoded.records[0]?.key?.[3] === 1 ? 'commit' : 'abort');
          return;
        }
        expect(
          batch.records.map((x) => ({
            offset: x.offset,
            timestamp: x.timestamp,
            key: asText(x.key),
            value: asText(x.value),
            headers: headersAsText(x.rawHeaders),
          })),
          context,
        ).toEqual(
          encoded.records.map((x) => {
            const headers: Record<string, unknown> = Object.create(null);
            for (const h of x.headers) {
              const seen = headers[h.key];
              const v = asText(h.value);
              headers[h.key] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v];
            }
            return {
              offset: encoded.baseOffset + x.offsetDelta,
              timestamp: encoded.logAppendTime
                ? encoded.maxTimestamp
                : encoded.firstTimestamp + x.timestampDelta,
              key: asText(x.key),
              value: asText(x.value),
              headers,
            };
          }),
        );
      });

      // As kafkajs reads them: every record, control records included.
      const theirs = await kafkajsDecode(partition.bytes);
      const ours = batches.flatMap<Record<string, unknown>>((b) =>
        b.isControl
          ? [
              {
                offset: String(b.baseOffset),
                control: true,
                key: b.control,
                producerId: String(b.producerId),
                inTransaction: b.isTransactional,
              },
            ]
          : b.records.map((x) => ({
              offset: String(x.offset),
              timestamp: String(x.timestamp),
              key: asText(x.key),
              value: asText(x.value),
              headers: headersAsText(x.rawHeaders),
              producerId: String(b.producerId),
              inTransaction: b.isTransactional,
            })),
      );
      expect(ours, context).toEqual(
        theirs.map((x) =>
          x.isControlRecord
            ? {
                offset: x.offset,
                control: true,
                key: x.key?.readInt16BE(2) === 1 ? 'commit' : 'abort',
                producerId: x.batchContext?.producerId,
                inTransaction: x.batchContext?.inTransaction,
              }
            : {
                offset: x.offset,
                timestamp: x.timestamp,
                key: asText(x.key),
                value: asText(x.value),
                headers: headersAsText(x.headers),
                producerId: x.batchContext?.producerId,
                inTransaction: x.batchContext?.inTransaction,
              },
        ),
      );

      // read_committed, up to the first transaction still open.
      const committed = committedBatchRecords(batches, partition.aborted).map((x) => x.offset);
      // What the generator knows is decided: everything before the first open transaction.
      const decidedUpTo = partition.committed.at(-1) ?? -1;
      const theirsCommitted = committedRecords(
        theirs,
        partition.aborted.map((a) => ({
          producerId: String(a.producerId),
          firstOffset: String(a.firstOffset),
        })),
      ).map((x) => Number(x.offset));
      expect(committed, context).toEqual(theirsCommitted);
      expect(
        committed.filter((o) => o <= decidedUpTo),
        context,
      ).toEqual(partition.committed);
    }
  });

  it('ignores a trailing partial batch, wherever the broker cut it', async () => {
    for (let seed = 1000; seed < 1100; seed++) {
      const whole = randomPartition(seed);
      const next = randomPartition(seed + 5000).bytes;
      const cut = random(seed).int(0, Math.min(next.readInt32BE(8) + 11, next.length - 1));
      const batches = await decode(Buffer.concat([whole.bytes, next.subarray(0, cut)]));
      expect(
        batches.map((b) => b.baseOffset),
        `seed ${seed}, cut at ${cut}`,
      ).toEqual(whole.batches.map((b) => b.baseOffset));
    }
  });

  it('detects a corrupt byte anywhere the CRC covers and names the topic, partition and offset', async () => {
    for (let seed = 2000; seed < 2100; seed++) {
      const r = random(seed);
      const partition = randomPartition(seed);
      const bytes = Buffer.from(partition.bytes);
      // Where each batch starts; pick one and flip a bit after its CRC field.
      const starts: number[] = [];
      for (let pos = 0; pos < bytes.length; pos += 12 + bytes.readInt32BE(pos + 8)) starts.push(pos);
      const which = r.int(0, starts.length - 1);
      const start = starts[which] as number;
      const end = start + 12 + bytes.readInt32BE(start + 8);
      const at = r.int(start + 21, end - 1);
      bytes[at] = (bytes[at] as number) ^ (1 << r.int(0, 7));
      const offset = partition.batches[which]?.baseOffset;
      await expect(decode(bytes), `seed ${seed}`).rejects.toThrow(
        new RegExp(`offset ${offset} of random-3 is corrupt: CRC-32C`),
      );
    }
  });

  it('decodes uncompressed batches synchronously and refuses codecs it was given no decompressor for', () => {
    const plain = encodeRecordBatch({ ...randomBatch(), gzip: false });
    const decoded = decodeRecordBatches(plain, OPTIONS);
    expect(Array.isArray(decoded)).toBe(true);
    const gz = encodeRecordBatch({ ...randomBatch(), gzip: true });
    gz.writeInt16BE(gz.readInt16BE(21) | 0x02, 21); // snappy (2) | gzip (1) = lz4 (3)
    // Fix the CRC the attribute change broke, so the codec check is what fails.
    gz.writeUInt32BE(slowCrc32c(gz.subarray(21)), 17);
    expect(() => decodeRecordBatches(gz, OPTIONS)).toThrow(
      /offset 7 of random-3 could not be decompressed \(lz4\): codec lz4 not available/,
    );
    const seen: string[] = [];
    const custom = decodeRecordBatches(gz, {
      ...OPTIONS,
      decompress: (codec, data) => {
        seen.push(codec);
        return gunzipSync(data);
      },
    });
    expect(Array.isArray(custom) && custom[0]?.records.map((x) => x.offset)).toEqual([7, 8]);
    expect(seen).toEqual(['lz4']);
  });

  it('decompresses with the codec table (kafka-codecs.ts), every codec Kafka has', async () => {
    const batch = encodeRecordBatch({ ...randomBatch(), gzip: true });
    const viaTable = await decodeRecordBatches(batch, { ...OPTIONS, decompress });
    expect(viaTable[0]?.records.map((x) => x.value?.toString() ?? null)).toEqual(['a', null]);
    for (const codec of ['snappy', 'lz4', 'zstd'] as const) {
      const packed = await compress(codec, Buffer.from('records'));
      expect((await decompress(codec, packed)).toString()).toBe('records');
    }
  });

  it('keeps a header named __proto__ as a header (kafkajs turns it into an array with its prototype)', () => {
    const base = randomBatch();
    const batch = encodeRecordBatch({
      ...base,
      records: [
        { ...base.records[0], headers: [{ key: '__proto__', value: Buffer.from('p') }] } as EncodedRecord,
      ],
    });
    const decoded = decodeRecordBatches(batch, OPTIONS);
    const record = Array.isArray(decoded) ? decoded[0]?.records[0] : undefined;
    expect(Object.entries(record?.rawHeaders ?? {}).map(([k, v]) => [k, String(v)])).toEqual([
      ['__proto__', 'p'],
    ]);
    expect(Object.getPrototypeOf(record?.rawHeaders)).toBeNull();
  });

  it('refuses an offset beyond 2^53 rather than rounding it', () => {
    const bytes = encodeRecordBatch({ ...randomBatch(), baseOffset: 2 ** 53 + 2 });
    expect(() => decodeRecordBatches(bytes, OPTIONS)).toThrow(/base offset 9007199254740994 is beyond 2\^53/);
  });
});

function randomBatch(): EncodedBatch {
  return {
    baseOffset: 7,
    lastOffsetDelta: 1,
    firstTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_001,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    partitionLeaderEpoch: 0,
    transactional: false,
    control: false,
    logAppendTime: false,
    gzip: false,
    records: [
      { offsetDelta: 0, timestampDelta: 0, key: null, value: Buffer.from('a'), headers: [] },
      {
        offsetDelta: 1,
        timestampDelta: 1,
        key: Buffer.from('k'),
        value: null,
        headers: [{ key: 'h', value: null }],
      },
    ],
  };
}

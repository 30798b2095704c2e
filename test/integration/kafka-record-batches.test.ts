/**
 * The record-batch decoder against the real broker: records written by kafkajs (headers repeated
 * and absent, null keys, tombstones, transactions committed, aborted and interleaved, a gzip
 * batch) and by the Java producer (ConsoleProducer: keys, headers, null markers) are fetched RAW
 * (kafkajs-raw-fetch.ts) and decoded by decodeRecordBatches. Every record must equal what kafkajs' own Fetch decoder
 * reads from the same offsets (control records and transaction flags included), and the
 * read_committed view must equal what a kafkajs read_committed consumer delivers. A topic the
 * broker's log cleaner has compacted (offset gaps inside batches, batches emptied, batches gone)
 * must read the same way, keep each key's last write, and be read on to its end by stepping
 * from batch to batch.
 */
// First, as every sidestream entry point does: installs the read_committed filter into kafkajs.

import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompressionTypes } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamingContext } from '../../src/index.js';
import type { FetchedRecord } from '../../src/sources/kafka/committed-records.js';
import { decompress } from '../../src/sources/kafka/kafka-codecs.js';
import {
  createKafkajsCluster,
  type KafkajsBroker,
  READ_COMMITTED,
} from '../../src/sources/kafka/kafkajs-cluster.js';
import { fetchRaw } from '../../src/sources/kafka/kafkajs-raw-fetch.js';
import { committedBatchRecords } from '../../src/sources/kafka/record-batch/committed-batch-records.js';
import { decodeRecordBatches } from '../../src/sources/kafka/record-batch/decode-record-batches.js';
import { nextOffsetAfter, type RecordBatch } from '../../src/sources/kafka/record-batch/record-batch.js';
import { createTopic, KAFKA_BROKERS, newKafka, requireKafka, uniqueTopic } from '../support/services.js';

void StreamingContext;
const hasKafka = await requireKafka();
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c().catch(() => {});
});

/** The Kafka tools of the broker the tests run against (kafka-<version>/tools, as the setup caches it). */
async function kafkaToolsClasspath(): Promise<string> {
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sidestream');
  const dirs = (await readdir(cache)).filter((d) => /^kafka-\d/.test(d)).sort();
  const newest = dirs.at(-1);
  if (newest === undefined) throw new Error(`no Kafka distribution under ${cache}`);
  return join(cache, newest, 'tools', '*');
}

/** Lines of `headers<TAB>key<TAB>value` through the Java ConsoleProducer; `NULL` is null. */
async function javaProduce(topic: string, lines: string[]): Promise<void> {
  const args = [
    '-cp',
    await kafkaToolsClasspath(),
    'org.apache.kafka.tools.ConsoleProducer',
    '--bootstrap-server',
    KAFKA_BROKERS.join(','),
    '--topic',
    topic,
    '--property',
    'parse.key=true',
    '--property',
    'parse.headers=true',
    '--property',
    'null.marker=NULL',
    '--producer-property',
    'compression.type=none',
    '--producer-property',
    'linger.ms=100',
  ];
  await new Promise<void>((resolve, reject) => {
    const child = execFile('java', args, { timeout: 60_000 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`ConsoleProducer failed: ${error.message}\n${stderr}`)) : resolve(),
    );
    child.stdin?.end(`${lines.join('\n')}\n`);
  });
}

async function highWatermark(topic: string, atLeast: number): Promise<number> {
  const admin = newKafka('record-batches-admin').admin();
  await admin.connect();
  try {
    // Transaction markers are written after commit()/abort() return: wait for them.
    for (let waited = 0; ; waited += 100) {
      const high = Number((await admin.fetchTopicOffsets(topic))[0]?.high ?? 0);
      if (high >= atLeast || waited > 10_000) return high;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

interface KafkajsFetchingBroker extends KafkajsBroker {
  fetch(request: unknown): Promise<{
    responses: { topicName: string; partitions: { partition: number; messages: FetchedRecord[] }[] }[];
  }>;
}

const hex = (b: Buffer | null | undefined) => (b == null ? b : b.toString('hex'));
const headersHex = (h: Record<string, unknown> | undefined) =>
  Object.fromEntries(
    Object.entries(h ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.map(hex) : hex(v as Buffer | null)]),
  );

/**
 * Reads partition 0 of `topic` from 0 to `high` both ways, fetch by fetch from the same offsets:
 * raw bytes through our decoder, and kafkajs' own Broker.fetch. Returns our batches.
 */
async function readBothWays(topic: string, high: number, maxBytes: number): Promise<RecordBatch[]> {
  const cluster = createKafkajsCluster(newKafka('record-batches-raw'), 30_000);
  await cluster.connect();
  cleanups.push(() => cluster.disconnect());
  await cluster.addTargetTopic(topic);
  const nodeId = Object.keys(cluster.findLeaderForPartitions(topic, [0]))[0] as string;
  const broker = (await cluster.findBroker({ nodeId })) as KafkajsFetchingBroker;
  const all: RecordBatch[] = [];
  let offset = 0;
  while (offset < high) {
    const request = {
      isolationLevel: READ_COMMITTED,
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: String(offset), maxBytes }] }],
    };
    const raw = (await fetchRaw(broker, request)).responses[0]?.partitions[0];
    const theirs = (await broker.fetch(request)).responses[0]?.partitions[0]?.messages ?? [];
    expect(raw?.recordSet.length).toBeGreaterThan(0);
    const batches = await decodeRecordBatches(raw?.recordSet ?? Buffer.alloc(0), {
      topic,
      partition: 0,
      decompress,
    });
    const ours = batches.flatMap<Record<string, unknown>>((b) =>
      b.isControl
        ? [
            {
              offset: String(b.baseOffset),
              control: b.control,
              producerId: String(b.producerId),
              inTransaction: b.isTransactional,
            },
          ]
        : b.records.map((x) => ({
            offset: String(x.offset),
            timestamp: String(x.timestamp),
            key: hex(x.key),
            value: hex(x.value),
            headers: headersHex(x.rawHeaders),
            producerId: String(b.producerId),
            inTransaction: b.isTransactional,
          })),
    );
    expect(ours, `fetch at ${offset}`).toEqual(
      theirs.map((x) =>
        x.isControlRecord
          ? {
              offset: x.offset,
              control: x.key?.readInt16BE(2) === 1 ? 'commit' : 'abort',
              producerId: x.batchContext?.producerId,
              inTransaction: x.batchContext?.inTransaction,
            }
          : {
              offset: x.offset,
              timestamp: x.timestamp,
              key: hex(x.key),
              value: hex(x.value),
              headers: headersHex(x.headers),
              producerId: x.batchContext?.producerId,
              inTransaction: x.batchContext?.inTransaction,
            },
      ),
    );
    all.push(
      ...batches.filter(
        (b) => nextOffsetAfter(b) > offset && !all.some((a) => a.baseOffset === b.baseOffset),
      ),
    );
    offset = Math.max(offset + 1, ...batches.map(nextOffsetAfter));
  }
  return all;
}

/** What a kafkajs read_committed consumer delivers from the start of `topic`: `count` records. */
async function consumeCommitted(topic: string, count: number): Promise<FetchedRecord[]> {
  const consumer = newKafka('record-batches-consumer').consumer({ groupId: `record-batches-${topic}` });
  await consumer.connect();
  cleanups.push(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: FetchedRecord[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${seen.length} of ${count} records`)), 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message as unknown as FetchedRecord);
        if (seen.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return seen;
}

function committedAsKafkajs(batches: RecordBatch[], aborted: { producerId: number; firstOffset: number }[]) {
  return committedBatchRecords(batches, aborted).map((x) => ({
    offset: String(x.offset),
    timestamp: String(x.timestamp),
    key: hex(x.key),
    value: hex(x.value),
    headers: headersHex(x.rawHeaders),
  }));
}

/** The broker leading partition 0 of `topic`, on a cluster connection of its own (closed after the file). */
async function partition0Leader(topic: string, clientId: string): Promise<KafkajsBroker> {
  const cluster = createKafkajsCluster(newKafka(clientId), 30_000);
  await cluster.connect();
  cleanups.push(() => cluster.disconnect());
  await cluster.addTargetTopic(topic);
  const nodeId = Object.keys(cluster.findLeaderForPartitions(topic, [0]))[0] as string;
  return cluster.findBroker({ nodeId });
}

/** The aborted transactions a read_committed fetch from 0 lists (what the reader filters with). */
async function abortedOf(topic: string): Promise<{ producerId: number; firstOffset: number }[]> {
  const broker = await partition0Leader(topic, 'record-batches-aborted');
  const response = await fetchRaw(broker, {
    isolationLevel: READ_COMMITTED,
    maxWaitTime: 100,
    minBytes: 1,
    maxBytes: 10_485_760,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: '0', maxBytes: 10_485_760 }] }],
  });
  return response.responses[0]?.partitions[0]?.abortedTransactions ?? [];
}

/** How old a segment may get before the next produce rolls it: the cleaner only cleans rolled segments. */
const SEGMENT_MS = 100;

/** The configuration of a topic the broker's log cleaner compacts as soon as it next looks. */
const COMPACT_AT_ONCE: Readonly<Record<string, string>> = {
  'cleanup.policy': 'compact',
  'segment.ms': String(SEGMENT_MS),
  // Any rolled segment not yet cleaned makes the log worth cleaning, at once.
  'min.cleanable.dirty.ratio': '0.01',
  'min.compaction.lag.ms': '0',
  'delete.retention.ms': '100',
};

/** Raw fetches of partition 0 of `topic` decoded by decodeRecordBatches: (offset, maxBytes) => batches. */
async function rawFetcher(
  topic: string,
): Promise<(offset: number, maxBytes: number) => Promise<RecordBatch[]>> {
  const broker = await partition0Leader(topic, 'record-batches-onwards');
  return async (offset, maxBytes) => {
    const response = await fetchRaw(broker, {
      isolationLevel: READ_COMMITTED,
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: String(offset), maxBytes }] }],
    });
    const recordSet = response.responses[0]?.partitions[0]?.recordSet ?? Buffer.alloc(0);
    return decodeRecordBatches(recordSet, { topic, partition: 0, decompress });
  };
}

/**
 * Reads from offset 0 to `high` as a reader does: each fetch starts at nextOffsetAfter the last
 * batch the one before decoded, nothing else. Fails where that does not move forward (a gap or an
 * emptied batch the reader would stop at) or overshoots `high`.
 */
async function readOnwards(
  fetch: (offset: number, maxBytes: number) => Promise<RecordBatch[]>,
  high: number,
  maxBytes: number,
): Promise<RecordBatch[]> {
  const all: RecordBatch[] = [];
  let offset = 0;
  while (offset < high) {
    const batches = await fetch(offset, maxBytes);
    const last = batches.at(-1);
    const next = last === undefined ? offset : nextOffsetAfter(last);
    if (next <= offset)
      throw new Error(`reading on stopped at offset ${offset} of ${high} (maxBytes ${maxBytes})`);
    if (next > high)
      throw new Error(`a fetch at ${offset} ended at ${next}, past the high watermark ${high}`);
    // The broker answers from the batch holding `offset`; started after a batch, that is the next one.
    expect(batches[0]?.baseOffset, `first batch of the fetch at ${offset}`).toBeGreaterThanOrEqual(offset);
    all.push(...batches);
    offset = next;
  }
  return all;
}

describe.runIf(hasKafka)('decodeRecordBatches on a real broker', () => {
  it('reads what kafkajs and the Java producer wrote, as kafkajs decodes and consumes it', {
    timeout: 120_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('record-batches'), 1);
    const plain = newKafka('record-batches-producer').producer({ idempotent: true, maxInFlightRequests: 1 });
    await plain.connect();
    cleanups.push(() => plain.disconnect());
    await plain.send({
      topic,
      messages: [
        { key: 'k0', value: 'v0', headers: { a: '1', dup: ['x', 'y'], bin: Buffer.from([0, 255, 7]) } },
        { key: null, value: 'no key', timestamp: '1700000000000' },
        { key: 'tombstone', value: null },
        { key: '', value: '' },
        { value: 'x'.repeat(5000), headers: { ключ: 'значение' } },
      ],
    });
    const txn = (id: string) => {
      const p = newKafka(`record-batches-${id}`).producer({
        transactionalId: `record-batches-${id}-${topic}`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      cleanups.push(() => p.disconnect());
      return p;
    };
    const [a, b, c] = [txn('a'), txn('b'), txn('c')];
    for (const p of [a, b, c]) await p.connect();
    // One transaction committed, one aborted, then three interleaved (two aborted).
    const committed = await a.transaction();
    await committed.send({
      topic,
      messages: [{ key: 'tx', value: 'committed-1' }, { value: 'committed-2' }],
    });
    await committed.commit();
    const aborted = await b.transaction();
    await aborted.send({ topic, messages: [{ value: 'aborted-1' }] });
    await aborted.abort();
    const [ta, tb, tc] = [await a.transaction(), await b.transaction(), await c.transaction()];
    for (let i = 0; i < 3; i++) {
      await ta.send({ topic, messages: [{ value: `a${i}`, headers: { i: String(i) } }] });
      await tb.send({ topic, messages: [{ value: `b${i}` }] });
      await tc.send({ topic, messages: [{ value: `c${i}` }] });
    }
    await ta.abort();
    await tc.commit();
    await tb.abort();
    await plain.send({ topic, messages: [{ key: 'after', value: 'transactions' }] });
    await plain.send({
      topic,
      compression: CompressionTypes.GZIP,
      messages: [{ key: 'gz', value: 'gzip-1', headers: { g: 'z' } }, { value: 'gzip-2' }],
    });
    await javaProduce(topic, ['h1:v1,h2:NULL\tjk1\tjava-1', 'h3:x,h3:y\tNULL\tjava-2', 'h4:z\tjk3\tNULL']);

    // 5 + 2 + marker + 1 + marker + 9 + 3 markers + 1 + 2 gzip + 3 Java records.
    const high = await highWatermark(topic, 28);
    expect(high).toBe(28);
    // Small fetches first (many of them cut the last batch), then one that takes all.
    const small = await readBothWays(topic, high, 512);
    const batches = await readBothWays(topic, high, 10_485_760);
    expect(batches.map((x) => x.codec).filter((c) => c !== 'none')).toEqual(['gzip']);
    expect(small.map((x) => x.baseOffset)).toEqual(batches.map((x) => x.baseOffset));
    expect(batches.filter((x) => x.isControl).map((x) => x.control)).toEqual([
      'commit',
      'abort',
      'abort',
      'commit',
      'abort',
    ]);

    const ours = committedAsKafkajs(batches, await abortedOf(topic));
    expect(ours.map((x) => Buffer.from(x.value ?? '', 'hex').toString())).toEqual([
      'v0',
      'no key',
      '',
      '',
      'x'.repeat(5000),
      'committed-1',
      'committed-2',
      'c0',
      'c1',
      'c2',
      'transactions',
      'gzip-1',
      'gzip-2',
      'java-1',
      'java-2',
      '',
    ]);
    const java = committedBatchRecords(batches, []).slice(-3);
    expect(java.map((x) => [x.key?.toString() ?? null, x.value?.toString() ?? null, x.headers])).toEqual([
      ['jk1', 'java-1', { h1: 'v1', h2: 'null' }],
      [null, 'java-2', { h3: 'x,y' }],
      ['jk3', null, { h4: 'z' }],
    ]);
    const consumed = await consumeCommitted(topic, ours.length);
    expect(ours).toEqual(
      consumed.map((x) => ({
        offset: x.offset,
        timestamp: x.timestamp,
        key: hex(x.key),
        value: hex(x.value),
        headers: headersHex(x.headers),
      })),
    );
  });

  it('reads a topic the log cleaner compacted: gaps, emptied batches, the last write of each key', {
    timeout: 120_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('record-batches-compacted'), 1, COMPACT_AT_ONCE);
    const keys = Array.from({ length: 20 }, (_, k) => `key-${String(k).padStart(2, '0')}`);
    // Round r writes every key whose last round is r or later: rounds 0, 1 and 4 are overwritten
    // whole, rounds 2 and 3 keep some of their keys (gaps inside the batch), round 5 all of them.
    const lastRound = (k: number) => [2, 3, 5][k % 3] as number;
    // Tombstones: a few in round 1 (overwritten later) and half of round 5's keys (kept, or gone
    // once delete.retention.ms has passed since the cleaner first saw them).
    const tombstone = (round: number, k: number) =>
      (round === 1 && k % 4 === 0) || (round === 5 && k % 2 === 0);
    type Write = { offset: number; value: string | null; timestamp: number; headers: Record<string, string> };
    const lastWrite = new Map<string, Write>();
    let produced = 0;
    const plain = newKafka('record-batches-compacted-plain').producer();
    await plain.connect();
    cleanups.push(() => plain.disconnect());
    for (let round = 0; round < 6; round++) {
      // Even rounds each through a new idempotent producer: the cleaner keeps a producer's last
      // batch even when it removed every record of it (an emptied batch). Odd rounds through a
      // producer without one: a batch emptied there is removed whole (a gap between batches).
      const producer =
        round % 2 === 0
          ? newKafka(`record-batches-compacted-${round}`).producer({
              idempotent: true,
              maxInFlightRequests: 1,
            })
          : plain;
      if (producer !== plain) {
        await producer.connect();
        cleanups.push(() => producer.disconnect());
      }
      // Older than segment.ms: this round's produce rolls the segment of the one before.
      await sleep(SEGMENT_MS + 50);
      const now = Date.now();
      const writes = keys.flatMap((key, k) =>
        lastRound(k) < round
          ? []
          : [
              {
                key,
                value: tombstone(round, k) ? null : `round-${round}-${key}`,
                // Each key its own time: a record's timestamp tells which write it is.
                timestamp: now - 100 + k,
                headers: { round: String(round) },
              },
            ],
      );
      const [sent] = await producer.send({
        topic,
        messages: writes.map((w) => ({ ...w, timestamp: String(w.timestamp) })),
      });
      const base = Number(sent?.baseOffset);
      for (const [i, w] of writes.entries()) {
        lastWrite.set(w.key, {
          offset: base + i,
          value: w.value,
          timestamp: w.timestamp,
          headers: w.headers,
        });
      }
      produced += writes.length;
    }
    // One more record later, alone in the active segment: it rolls the segment of round 5.
    await sleep(SEGMENT_MS + 50);
    await plain.send({ topic, messages: [{ key: 'roll', value: 'the active segment' }] });
    produced += 1;
    const high = await highWatermark(topic, produced);
    expect(high).toBe(produced);

    // The cleaner wakes every log.cleaner.backoff.ms (15 s by default) when it had nothing to do.
    // Compacted through round 5: no key twice, fewer records than offsets.
    const fetch = await rawFetcher(topic);
    const started = Date.now();
    for (;;) {
      const keysRead = (await readOnwards(fetch, high, 10_485_760)).flatMap((b) =>
        b.records.map((r) => r.keyText()),
      );
      const repeated = keysRead.length - new Set(keysRead).size;
      if (keysRead.length < high && repeated === 0) break;
      if (Date.now() - started > 90_000) {
        throw new Error(
          `the broker did not compact ${topic} within 90 s: ${keysRead.length} records at ${high} offsets, ${repeated} keys read more than once (is the log cleaner running? log.cleaner.backoff.ms?)`,
        );
      }
      await sleep(1000);
    }

    // (a) Every fetch decodes as kafkajs decodes it: one batch a fetch (maxBytes 1: the broker
    // still sends the first batch whole), batches cut short, and all at once.
    const one = await readBothWays(topic, high, 1);
    const cut = await readBothWays(topic, high, 200);
    const batches = await readBothWays(topic, high, 10_485_760);
    expect(one.map((b) => b.baseOffset)).toEqual(batches.map((b) => b.baseOffset));
    expect(cut.map((b) => b.baseOffset)).toEqual(batches.map((b) => b.baseOffset));

    // (b) Offsets strictly increase, inside each batch's range; some batches have gaps inside,
    // some were emptied and kept (records none, range still covered), some are gone whole.
    const records = committedBatchRecords(batches, []);
    const offsets = records.map((r) => r.offset);
    expect(offsets.every((o, i) => i === 0 || o > (offsets[i - 1] as number))).toBe(true);
    for (const b of batches) {
      for (const r of b.records) {
        expect(r.offset).toBeGreaterThanOrEqual(b.baseOffset);
        expect(r.offset).toBeLessThan(nextOffsetAfter(b));
      }
    }
    expect(offsets.length).toBeLessThan(high);
    const data = batches.filter((b) => !b.isControl);
    expect(data.filter((b) => b.records.length > 0 && b.records.length <= b.lastOffsetDelta)).not.toEqual([]);
    expect(data.filter((b) => b.records.length === 0 && b.producerId >= 0)).not.toEqual([]);
    const between = batches.filter(
      (b, i) => i > 0 && b.baseOffset > nextOffsetAfter(batches[i - 1] as RecordBatch),
    );
    expect(between).not.toEqual([]);

    // (c) What is left is each key's last write (offset, value, timestamp, headers); a key whose
    // last write was a tombstone is null, or gone. The timestamps matter here: a batch the cleaner
    // rewrote with a tombstone in it carries the tombstone's delete horizon as its first
    // timestamp, so its records' timestamp deltas are negative.
    const kept = new Map(
      records.map((r) => [
        r.keyText(),
        { offset: r.offset, value: r.valueText(), timestamp: r.timestamp, headers: { ...r.headers } },
      ]),
    );
    expect(kept.size).toBe(records.length);
    expect(kept.get('roll')).toMatchObject({ offset: high - 1, value: 'the active segment' });
    kept.delete('roll');
    expect(Object.fromEntries(kept)).toEqual(
      Object.fromEntries([...lastWrite].filter(([key, w]) => w.value !== null || kept.has(key))),
    );
    expect([...lastWrite.values()].filter((w) => w.value === null)).not.toEqual([]);

    // (d) Stepping from each fetch's last batch (nothing else) reaches the high watermark, over
    // the emptied batches and the gaps, one batch a fetch as well as all at once.
    for (const maxBytes of [1, 200, 10_485_760]) {
      const onwards = await readOnwards(fetch, high, maxBytes);
      expect(onwards.map((b) => b.baseOffset)).toEqual(batches.map((b) => b.baseOffset));
      expect(onwards.flatMap((b) => b.records.map((r) => r.offset))).toEqual(offsets);
    }
  });
});

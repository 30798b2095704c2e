/**
 * Every codec Kafka has (gzip, snappy, lz4, zstd), against the real broker and Kafka's own Java
 * client (scripts/services.sh up kafka; src/sources/kafka/kafka-codecs.ts):
 * - a topic the Java producer wrote with that compression.type reads back exactly (keys, values,
 *   headers, null keys and values) through the direct stream, through KafkaRangeReader, and
 *   through KafkaRangeReader in a fresh worker thread (its own kafkajs, as an executor's);
 * - KafkaTransactionalSink with that `compression` writes batches the broker stores with that
 *   codec, and the Java consumer (read_committed) reads them back exactly.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaTransactionalSink } from '../../src/index.js';
import type { KafkaCodec } from '../../src/sources/kafka/kafka-codecs.js';
import { KafkaRangeReader } from '../../src/sources/kafka/kafka-range-reader.js';
import { batchCodecs } from '../support/batch-codecs.js';
import { directStreamHarness } from '../support/direct-stream-harness.js';
import { javaConsume } from '../support/java-consume.js';
import { type JavaRecord, javaProduce } from '../support/java-produce.js';
import { waitFor } from '../support/manual-run.js';
import { createTopic, kafkaBrokers, newKafka, requireKafka, uniqueTopic } from '../support/services.js';

const hasKafka = await requireKafka();
const CODECS: readonly KafkaCodec[] = ['gzip', 'snappy', 'lz4', 'zstd'];
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Records with every kind of field, and values long enough to be worth compressing. */
const RECORDS: readonly JavaRecord[] = [
  { key: 'k1', value: `first ${'compressible '.repeat(40)}`, headers: { trace: 'abc', kind: 'x' } },
  { key: 'k2', value: null },
  { key: null, value: `no key ${'repeated text '.repeat(30)}` },
  { key: 'k3', value: 'héllo wörld ✓', headers: { only: 'one' } },
  ...Array.from({ length: 40 }, (_, i) => ({
    key: `key-${i % 4}`,
    value: `value ${i} ${'x'.repeat(i * 10)}`,
  })),
];

/** A record as the tests compare them: text fields, headers as a plain object. */
function expected(r: JavaRecord): JavaRecord {
  return { key: r.key, value: r.value, headers: { ...(r.headers ?? {}) } };
}

function fromRaw(m: {
  key: Buffer | null;
  value: Buffer | null;
  headers: Readonly<Record<string, string>>;
}): JavaRecord {
  return { key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, headers: { ...m.headers } };
}

/** KafkaRangeReader in a new worker thread: a module registry (and kafkajs) of its own. */
function readInWorker(topic: string, until: number): Promise<JavaRecord[]> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { Kafka, logLevel } = require('kafkajs');
      const { KafkaRangeReader } = await import(workerData.reader);
      const reader = new KafkaRangeReader(new Kafka({ brokers: workerData.brokers, logLevel: logLevel.NOTHING }));
      try {
        const { messages } = await reader.read(workerData.topic, 0, 0, workerData.until, 60000);
        parentPort.postMessage({ records: messages.map((m) => ({
          key: m.key === null ? null : m.key.toString(),
          value: m.value === null ? null : m.value.toString(),
          headers: { ...m.headers },
        })) });
      } finally {
        await reader.close();
      }
    })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, {
      eval: true,
      workerData: {
        reader: new URL('dist/sources/kafka/kafka-range-reader.js', `file://${ROOT}`).href,
        brokers: kafkaBrokers(),
        topic,
        until,
      },
    });
    worker.once('message', (m: { records?: JavaRecord[]; error?: string }) => {
      void worker.terminate();
      if (m.records) resolve(m.records);
      else reject(new Error(`the worker's read failed: ${m.error}`));
    });
    worker.once('error', reject);
  });
}

const sinks: KafkaTransactionalSink[] = [];
afterAll(async () => {
  for (const s of sinks) await s.close();
});

const { context, earliest } = directStreamHarness({
  appName: 'kafka-compression-it',
  defaultParallelism: 1,
  sendSize: 100,
});

describe.runIf(hasKafka)('Kafka compression codecs', () => {
  describe.each(CODECS)('%s', (codec) => {
    it('a topic the Java producer compressed reads back exactly: direct stream, range reader, worker thread', {
      timeout: 120_000,
    }, async () => {
      const topic = await createTopic(uniqueTopic(`java-${codec}`), 1);
      await javaProduce(topic, RECORDS, codec);
      const batches = await batchCodecs(topic, 0);
      expect(batches.length).toBeGreaterThan(0);
      expect(batches.map((b) => b.codec)).toEqual(batches.map(() => codec));
      const want = RECORDS.map(expected);

      const ssc = context(200);
      const seen: JavaRecord[] = [];
      ssc.kafkaDirectStream(earliest(topic)).foreachRDD(async (rdd) => {
        for (const r of await rdd.collect())
          seen.push({ key: r.key, value: r.value, headers: { ...r.headers } });
      });
      await ssc.start();
      await waitFor(() => seen.length >= want.length, 30_000, `the ${codec} records`);
      await ssc.stop({ graceful: true });
      expect(seen).toEqual(want);

      const reader = new KafkaRangeReader(newKafka(`range-${codec}`));
      try {
        const { messages } = await reader.read(topic, 0, 0, RECORDS.length, 30_000);
        expect(messages.map((m) => m.offset)).toEqual(RECORDS.map((_, i) => i));
        expect(messages.map(fromRaw)).toEqual(want);
      } finally {
        await reader.close();
      }

      expect(await readInWorker(topic, RECORDS.length)).toEqual(want);
    });

    it('KafkaTransactionalSink writes batches compressed with it, which the Java consumer reads', {
      timeout: 120_000,
    }, async () => {
      const input = await createTopic(uniqueTopic(`sink-${codec}-in`), 1);
      const out = await createTopic(uniqueTopic(`sink-${codec}-out`), 1);
      const sink = new KafkaTransactionalSink({
        brokers: kafkaBrokers(),
        groupId: `g-${input}`,
        compression: codec,
      });
      sinks.push(sink);
      await sink.fetchOffsets(input, [0]);
      const messages = RECORDS.map((r) => ({
        key: r.key,
        value: r.value,
        headers: { ...(r.headers ?? {}) },
      }));
      expect(
        await sink.commitPartition(
          { topic: input, partition: 0, fromOffset: 0, untilOffset: RECORDS.length },
          [{ topic: out, messages }],
        ),
      ).toBe('applied');

      // The data batches carry the codec; the transaction's commit marker is never compressed.
      const batches = await batchCodecs(out, 0);
      const data = batches.filter((b) => !b.control);
      expect(data.length).toBeGreaterThan(0);
      expect(data.map((b) => b.codec)).toEqual(data.map(() => codec));
      expect(batches.filter((b) => b.control).map((b) => b.codec)).toEqual(['none']);

      expect(await javaConsume(out, RECORDS.length)).toEqual(RECORDS.map(expected));
    });
  });
});

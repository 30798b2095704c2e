/**
 * A direct stream whose offsets the Kafka transactional sink keeps: a batch that fails with a
 * re-plan remedy while the next batches were already planned with EMPTY ranges (nothing new came
 * in) must not lose its records. The stream used to commit those empty ranges' offsets to the
 * group itself, outside the sink's transactions, and the group's offset (the sink's store) then
 * stood past records no batch had written: the fleet with this sink lost records that way.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type CompletedBatchRecord, KafkaTransactionalSink, SidestreamError } from '../../src/index.js';
import { directStreamHarness } from '../support/direct-stream-harness.js';
import { waitFor } from '../support/manual-run.js';
import { createTopic, kafkaBrokers, newKafka, requireKafka, uniqueTopic } from '../support/services.js';
import { readTopicRecords } from '../support/topic-records.js';

const hasKafka = await requireKafka();
const { context, produce, earliest } = directStreamHarness({
  appName: 'kafka-sink-failed-batch',
  defaultParallelism: 1,
  sendSize: 100,
});
const sinks: KafkaTransactionalSink[] = [];
afterAll(async () => {
  for (const s of sinks) await s.close();
});

describe.runIf(hasKafka)('a failed batch followed by empty ones, with the Kafka sink', () => {
  it('is re-planned and written once; the group offset never passes it', { timeout: 60_000 }, async () => {
    const topic = await createTopic(uniqueTopic('sink-fail-in'), 1);
    const out = await createTopic(uniqueTopic('sink-fail-out'), 1);
    await produce(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ value: String(i) })),
    );
    const options = earliest(topic);
    const sink = new KafkaTransactionalSink({ brokers: kafkaBrokers(), groupId: options.groupId });
    sinks.push(sink);
    const ssc = context(300);
    const batches: CompletedBatchRecord[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (b) => batches.push(b) });
    let failedOnce = false;
    ssc.kafkaDirectStream({ ...options, offsetStore: sink }).foreachRDD(async (rdd) => {
      await rdd.foreachPartition(async (records, p) => {
        const range = rdd.offsetRanges[p]!;
        if (range.untilOffset > range.fromOffset && !failedOnce) {
          failedOnce = true;
          // Long enough for the next batches to be planned (empty: nothing new was produced).
          await new Promise((r) => setTimeout(r, 1200));
          throw new SidestreamError('SS_SINK_OFFSET_CONFLICT', 'simulated: another writer moved the offsets');
        }
        await sink.commitPartition(range, [
          { topic: out, messages: records.map((r) => ({ value: r.value })) },
        ]);
      });
    });
    await ssc.start();
    // Until a later batch wrote the records, or (the bug) ten batches ran after the failure.
    const afterFailure = () => batches.length - 1 - batches.findIndex((b) => b.outcome === 'failed');
    await waitFor(
      () =>
        batches.some((b) => b.outcome === 'succeeded' && b.numRecords > 0) ||
        (batches.some((b) => b.outcome === 'failed') && afterFailure() >= 10),
      30_000,
      'the batch to fail and later batches to run',
    );
    const failed = batches.find((b) => b.outcome === 'failed');
    expect(failed?.numRecords).toBe(10);
    const output = await readTopicRecords(newKafka('sink-fail-check'), out);
    expect(output.map((r) => r.value)).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    // The situation under test happened: a batch with nothing to read ran right after the failure.
    const next = batches[batches.indexOf(failed!) + 1];
    expect(next?.numRecords).toBe(0);
    const admin = newKafka('sink-fail-admin').admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId: options.groupId, topics: [topic] });
    await admin.disconnect();
    expect(committed?.partitions.map((p) => Number(p.offset))).toEqual([10]);
  });
});

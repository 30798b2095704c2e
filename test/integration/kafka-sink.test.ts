/**
 * KafkaTransactionalSink against the real broker: the offsets it hands the stream never step
 * back behind a transaction it committed itself. OffsetFetch shows a transactional commit only
 * once its markers are written, so a re-read right after one (a batch that failed after this
 * partition committed, re-planned from the stored offsets) can see the older offset; trusting it
 * would write the range a second time. (Suspected while chasing "duplicates" in the kill -9 test
 * with two executor lanes; those turned out to be aborted records kafkajs' read_committed
 * filter let through, see committed-records.ts, but the hazard is real.) Here the
 * broker is made to answer with an older offset on purpose, deterministically.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaTransactionalSink } from '../../src/index.js';
import { createTopic, kafkaBrokers, newKafka, requireKafka, uniqueTopic } from '../support/services.js';

const hasKafka = await requireKafka();
const sinks: KafkaTransactionalSink[] = [];
afterAll(async () => {
  for (const s of sinks) await s.close();
});

describe.runIf(hasKafka)('KafkaTransactionalSink offsets', () => {
  it('never hands back an offset behind its own last commit; a stale range is refused', {
    timeout: 60_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('sink-in'), 1);
    const out = await createTopic(uniqueTopic('sink-out'), 1);
    const groupId = `g-${topic}`;
    const sink = new KafkaTransactionalSink({ brokers: kafkaBrokers(), groupId });
    sinks.push(sink);
    expect((await sink.fetchOffsets(topic, [0])).get(0)).toBeUndefined();
    const write = (from: number, until: number) =>
      sink.commitPartition({ topic, partition: 0, fromOffset: from, untilOffset: until }, [
        {
          topic: out,
          messages: Array.from({ length: until - from }, (_, i) => ({ value: String(from + i) })),
        },
      ]);
    expect(await write(0, 10)).toBe('applied');

    // The broker answers with an older offset than the sink committed (as it does until the
    // transaction's markers are written).
    const admin = newKafka('sink-admin').admin();
    await admin.connect();
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '4' }] });
    await admin.disconnect();

    expect((await sink.fetchOffsets(topic, [0])).get(0)).toBe(10);
    await expect(write(4, 12)).rejects.toMatchObject({ code: 'SS_SINK_OFFSET_CONFLICT' });
    expect(await write(0, 10)).toBe('already-applied');
    expect(await write(10, 12)).toBe('applied');
  });

  it('with nothing committed, only a range from where the stream started the partition commits', {
    timeout: 60_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('sink-start-in'), 1);
    const out = await createTopic(uniqueTopic('sink-start-out'), 1);
    const sink = new KafkaTransactionalSink({ brokers: kafkaBrokers(), groupId: `g-${topic}` });
    sinks.push(sink);
    expect((await sink.fetchOffsets(topic, [0])).get(0)).toBeUndefined();
    sink.startingAt(topic, 0, 0);
    // Nothing stored is not an offset: fetchOffsets still says so.
    expect((await sink.fetchOffsets(topic, [0])).get(0)).toBeUndefined();
    const write = (from: number, until: number) =>
      sink.commitPartition({ topic, partition: 0, fromOffset: from, untilOffset: until }, [
        {
          topic: out,
          messages: Array.from({ length: until - from }, (_, i) => ({ value: String(from + i) })),
        },
      ]);
    // A later range, planned before the first one failed, would commit over its records.
    await expect(write(36, 38)).rejects.toMatchObject({ code: 'SS_SINK_OFFSET_CONFLICT' });
    expect(await write(0, 36)).toBe('applied');
    expect(await write(36, 38)).toBe('applied');
  });
});

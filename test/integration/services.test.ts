/**
 * Proves the real services of `scripts/services.sh up` with the clients the engine uses:
 * kafkajs 2.2.4 against the pinned Apache Kafka broker, and pg against the private PostgreSQL.
 * Under CI=true an unreachable service fails this file (see test/support/services.ts).
 */
import type { Admin, Consumer, ConsumerConfig, Kafka, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTopic,
  newKafka,
  newPgClient,
  requireKafka,
  requirePostgres,
  uniqueTopic,
} from '../support/services.js';

const hasKafka = await requireKafka();
const hasPostgres = await requirePostgres();

interface Received {
  partition: number;
  offset: string;
  key: string;
  value: string;
  timestamp: string;
}

/** Subscribes from the beginning and collects messages until `count` arrived (or times out). */
async function consumeUntil(consumer: Consumer, topic: string, count: number, timeoutMs = 20_000) {
  const received: Received[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out with ${received.length}/${count} messages from ${topic}`)),
      timeoutMs,
    );
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          received.push({
            partition,
            offset: message.offset,
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
            timestamp: message.timestamp,
          });
          if (received.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  return received;
}

describe.runIf(hasKafka)('Kafka (kafkajs against the scripts/services.sh broker)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const topics: string[] = [];
  const consumers: Consumer[] = [];

  const consumer = (config: Omit<ConsumerConfig, 'groupId'> & { groupId?: string } = {}) => {
    const c = kafka.consumer({
      groupId: config.groupId ?? uniqueTopic('services-it-group'),
      maxWaitTimeInMs: 100,
      ...config,
    });
    consumers.push(c);
    return c;
  };

  beforeAll(async () => {
    kafka = newKafka('services-it');
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });

  afterAll(async () => {
    for (const c of consumers) await c.disconnect().catch(() => {});
    await producer?.disconnect();
    if (topics.length > 0) await admin?.deleteTopics({ topics }).catch(() => {});
    await admin?.disconnect();
  });

  it('produces 100 keyed, timestamped messages and reads them back through a consumer group, committing offsets with metadata', async () => {
    const topic = await createTopic(uniqueTopic('services-it-keyed'), 3);
    topics.push(topic);

    const base = Date.now() - 200_000;
    const messages = Array.from({ length: 100 }, (_, i) => ({
      key: `key-${i % 17}`,
      value: `value-${i}`,
      timestamp: String(base + i * 1000),
    }));
    await producer.send({ topic, acks: -1, messages });

    // The partition each key must land in, by the same (Java-compatible murmur2) partitioner.
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    expect(meta?.partitions).toHaveLength(3);
    const partitionOf = Partitioners.DefaultPartitioner();
    const expectedPartition = messages.map((message) =>
      partitionOf({ topic, partitionMetadata: meta!.partitions, message }),
    );
    expect(new Set(expectedPartition).size).toBe(3);

    const groupId = uniqueTopic('services-it-group');
    const group = consumer({ groupId });
    const received = await consumeUntil(group, topic, 100);

    expect(received).toHaveLength(100);
    const byValue = new Map(received.map((r) => [r.value, r]));
    expect(byValue.size).toBe(100);
    messages.forEach((m, i) => {
      const r = byValue.get(m.value);
      expect(r, m.value).toBeDefined();
      expect(r!.key).toBe(m.key);
      expect(r!.timestamp).toBe(m.timestamp);
      expect(r!.partition).toBe(expectedPartition[i]);
    });
    // Per partition: offsets 0..n-1, in the order the messages were produced.
    const counts: number[] = [];
    for (const p of [0, 1, 2]) {
      const inPartition = received.filter((r) => r.partition === p);
      const produced = messages.filter((_, i) => expectedPartition[i] === p).map((m) => m.value);
      expect(inPartition.map((r) => r.value)).toEqual(produced);
      expect(inPartition.map((r) => Number(r.offset))).toEqual(produced.map((_, i) => i));
      counts[p] = inPartition.length;
    }

    // Commit [from, until) as offset metadata, the way the engine records a batch's range.
    const rangeOf = (p: number) => `[0,${counts[p]})`;
    await group.commitOffsets(
      [0, 1, 2].map((p) => ({ topic, partition: p, offset: String(counts[p]), metadata: rangeOf(p) })),
    );
    const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = [...(fetched?.partitions ?? [])].sort((a, b) => a.partition - b.partition);
    expect(committed).toEqual(
      [0, 1, 2].map((p) => ({ partition: p, offset: String(counts[p]), metadata: rangeOf(p) })),
    );
    await group.disconnect();

    // A new member of the same group resumes at the committed offsets: it sees only new data.
    await producer.send({ topic, messages: [{ key: 'key-0', value: 'after-commit' }] });
    const resumed = await consumeUntil(consumer({ groupId }), topic, 1);
    expect(resumed.map((r) => r.value)).toEqual(['after-commit']);
    expect(Number(resumed[0]!.offset)).toBe(counts[resumed[0]!.partition]);

    // Once its members are gone the group is Empty, keeps its offsets, and can be deleted.
    await consumers.at(-1)!.disconnect();
    const { groups } = await admin.describeGroups([groupId]);
    expect(groups[0]?.state).toBe('Empty');
    await admin.deleteGroups([groupId]);
  }, 45_000);

  it('answers the admin requests an input needs: topic list, watermarks, offsets by timestamp', async () => {
    const topic = await createTopic(uniqueTopic('services-it-admin'), 2);
    topics.push(topic);
    await producer.send({
      topic,
      messages: [
        { value: 'a', partition: 0, timestamp: '1000' },
        { value: 'b', partition: 0, timestamp: '2000' },
        { value: 'c', partition: 1, timestamp: '3000' },
      ],
    });
    expect(await admin.listTopics()).toContain(topic);
    const watermarks = (await admin.fetchTopicOffsets(topic)).sort((x, y) => x.partition - y.partition);
    expect(watermarks.map(({ partition, low, high }) => ({ partition, low, high }))).toEqual([
      { partition: 0, low: '0', high: '2' },
      { partition: 1, low: '0', high: '1' },
    ]);
    // The first offset whose timestamp is >= 1500 in each partition.
    const byTime = (await admin.fetchTopicOffsetsByTimestamp(topic, 1500)).sort(
      (x, y) => x.partition - y.partition,
    );
    expect(byTime).toEqual([
      { partition: 0, offset: '1' },
      { partition: 1, offset: '0' },
    ]);
  });

  it('commits a transaction with sendOffsets and hides an aborted one from read_committed consumers', async () => {
    const topic = await createTopic(uniqueTopic('services-it-txn'), 1);
    const source = await createTopic(uniqueTopic('services-it-txn-source'), 1);
    topics.push(topic, source);
    const groupId = uniqueTopic('services-it-txn-group');

    const txProducer = kafka.producer({
      transactionalId: uniqueTopic('services-it-txn-id'),
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await txProducer.connect();
    const batch = (label: string) =>
      Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `${label}-${i}`, partition: 0 }));
    const offsets = (offset: string, metadata: string) => ({
      consumerGroupId: groupId,
      topics: [{ topic: source, partitions: [{ partition: 0, offset, metadata }] }],
    });
    try {
      const first = await txProducer.transaction();
      await first.send({ topic, messages: batch('committed-a') });
      await first.sendOffsets(offsets('42', '[0,42)'));
      await first.commit();

      const aborted = await txProducer.transaction();
      await aborted.send({ topic, messages: batch('aborted') });
      await aborted.sendOffsets(offsets('99', '[42,99)'));
      await aborted.abort();

      const second = await txProducer.transaction();
      await second.send({ topic, messages: batch('committed-b') });
      await second.commit();
    } finally {
      await txProducer.disconnect();
    }

    // read_committed (kafkajs' default): both committed batches, none of the aborted records.
    const committed = await consumeUntil(consumer({ readUncommitted: false }), topic, 10);
    expect(committed.map((r) => r.value)).toEqual(
      [...batch('committed-a'), ...batch('committed-b')].map((m) => m.value),
    );
    // The aborted records and the transaction markers still occupy offsets between the two.
    expect(Number(committed[5]!.offset) - Number(committed[4]!.offset)).toBeGreaterThan(5);

    // read_uncommitted sees the aborted records, so they really were written to the log.
    const everything = await consumeUntil(consumer({ readUncommitted: true }), topic, 15);
    expect(everything.filter((r) => r.value.startsWith('aborted'))).toHaveLength(5);

    // Only the committed transaction's offsets (and their metadata) reached the group.
    const [fetched] = await admin.fetchOffsets({ groupId, topics: [source] });
    expect(fetched?.partitions).toEqual([{ partition: 0, offset: '42', metadata: '[0,42)' }]);
  }, 45_000);
});

describe.runIf(hasPostgres)('PostgreSQL (pg against the scripts/services.sh cluster)', () => {
  it('creates a table, commits one transaction, rolls back another, and upserts', async () => {
    const table = `services_it_${Date.now()}_${process.pid}`;
    const a = newPgClient();
    const b = newPgClient();
    await a.connect();
    await b.connect();
    try {
      await a.query(
        `CREATE TABLE ${table} (id int PRIMARY KEY, batch_time bigint NOT NULL, total bigint NOT NULL)`,
      );

      await a.query('BEGIN');
      await a.query(`INSERT INTO ${table} VALUES ($1, $2, $3), ($4, $5, $6)`, [1, 1000, 10, 2, 2000, 20]);
      // Not visible to another session before COMMIT.
      expect((await b.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(0);
      await a.query('COMMIT');
      expect((await b.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(2);

      await a.query('BEGIN');
      await a.query(`INSERT INTO ${table} VALUES (3, 3000, 30)`);
      await a.query('ROLLBACK');

      // Idempotent write of a batch's result, as an output operation would do it.
      await a.query(
        `INSERT INTO ${table} VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET batch_time = EXCLUDED.batch_time, total = EXCLUDED.total`,
        [2, 2000, 25],
      );
      const rows = (await b.query(`SELECT id, batch_time::int, total::int FROM ${table} ORDER BY id`)).rows;
      expect(rows).toEqual([
        { id: 1, batch_time: 1000, total: 10 },
        { id: 2, batch_time: 2000, total: 25 },
      ]);
    } finally {
      await a.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
      await a.end();
      await b.end();
    }
  });
});

/** PostgresTransactionalSink against the real database, and end to end from the real broker. */
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresTransactionalSink, StreamingContext, UidDeduplicator } from '../../src/index.js';
import { connectedPgClient } from '../support/connected-pg-client.js';
import { waitFor } from '../support/manual-run.js';
import {
  createTopic,
  kafkaBrokers,
  newKafka,
  POSTGRES_URL,
  requireKafka,
  requirePostgres,
  uniqueTopic,
} from '../support/services.js';
import { stopAfterEach } from '../support/stop-after-each.js';

const hasServices = (await requirePostgres()) && (await requireKafka());

describe.runIf(hasServices)('PostgresTransactionalSink', () => {
  const client = connectedPgClient();
  const sinks: PostgresTransactionalSink[] = [];
  afterEach(async () => {
    for (const s of sinks.splice(0)) await s.close();
  });
  // Registered after the sinks' hook, so the contexts stop before their sinks close.
  const stopLater = stopAfterEach({ timeoutMs: 5000 });

  function sink(app: string): PostgresTransactionalSink {
    const s = new PostgresTransactionalSink({
      connectionString: POSTGRES_URL,
      app,
      offsetsTable: 'it_offsets',
    });
    sinks.push(s);
    return s;
  }

  it('applies a batch once, skips its replay, and refuses a range that does not follow the stored one', async () => {
    const app = `unit-${Date.now()}`;
    const s = sink(app);
    const table = `it_rows_${Date.now()}`;
    await client.query(`CREATE TABLE ${table} (n int)`);
    const insert = (n: number) => async (c: import('pg').PoolClient) => {
      await c.query(`INSERT INTO ${table} VALUES ($1)`, [n]);
    };
    const batch1 = [{ topic: 't', partition: 0, fromOffset: 0, untilOffset: 10 }];
    expect(await s.commitBatch(batch1, 1000, insert(1))).toBe('applied');
    expect(await s.commitBatch(batch1, 1000, insert(1))).toBe('already-applied');
    const batch2 = [{ topic: 't', partition: 0, fromOffset: 10, untilOffset: 15 }];
    expect(await s.commitBatch(batch2, 2000, insert(2))).toBe('applied');
    const overlapping = [{ topic: 't', partition: 0, fromOffset: 12, untilOffset: 20 }];
    await expect(s.commitBatch(overlapping, 3000, insert(3))).rejects.toMatchObject({
      code: 'SS_SINK_OFFSET_CONFLICT',
    });
    const { rows } = await client.query(`SELECT n FROM ${table} ORDER BY n`);
    expect(rows.map((r) => r.n)).toEqual([1, 2]);
    expect(await s.fetchOffsets('t', [0, 1])).toEqual(new Map([[0, 15]]));
  });

  it('with nothing stored, only a range from where the stream started the partition commits', async () => {
    const s = sink(`start-${Date.now()}`);
    const write = async () => {};
    s.startingAt('t', 0, 0);
    await expect(
      s.commitBatch([{ topic: 't', partition: 0, fromOffset: 36, untilOffset: 38 }], 2000, write),
    ).rejects.toMatchObject({ code: 'SS_SINK_OFFSET_CONFLICT' });
    expect(await s.fetchOffsets('t', [0])).toEqual(new Map());
    expect(
      await s.commitBatch([{ topic: 't', partition: 0, fromOffset: 0, untilOffset: 36 }], 1000, write),
    ).toBe('applied');
    expect(
      await s.commitBatch([{ topic: 't', partition: 0, fromOffset: 36, untilOffset: 38 }], 2000, write),
    ).toBe('applied');
  });

  it('UidDeduplicator lets a replayed or overlapping batch write each record once', async () => {
    const dedupe = new UidDeduplicator({ app: `uid-${Date.now()}`, table: 'it_seen_uids' });
    const table = `it_uid_rows_${Date.now()}`;
    await client.query(`CREATE TABLE ${table} (uid text)`);
    const write = async (uids: string[]) => {
      await client.query('BEGIN');
      const fresh = await dedupe.claim(client, uids);
      for (const uid of uids)
        if (fresh.has(uid)) await client.query(`INSERT INTO ${table} VALUES ($1)`, [uid]);
      await client.query('COMMIT');
      return fresh.size;
    };
    expect(await write(['t-0-0', 't-0-1', 't-0-2'])).toBe(3);
    expect(await write(['t-0-0', 't-0-1', 't-0-2'])).toBe(0); // the same batch, replayed
    expect(await write(['t-0-2', 't-0-3'])).toBe(1); // an overlapping range
    // A rolled-back transaction claims nothing.
    await client.query('BEGIN');
    await dedupe.claim(client, ['t-0-4']);
    await client.query('ROLLBACK');
    expect(await write(['t-0-4'])).toBe(1);
    const { rows } = await client.query(`SELECT uid FROM ${table} ORDER BY uid`);
    expect(rows.map((r) => r.uid)).toEqual(['t-0-0', 't-0-1', 't-0-2', 't-0-3', 't-0-4']);
    expect(await dedupe.prune(client, 0)).toBe(5);
  });

  it('sums keyed Kafka records over 3 partitions into PostgreSQL exactly', async () => {
    const topic = await createTopic(uniqueTopic('pg-sum'), 3);
    const table = `it_sums_${Date.now()}`;
    await client.query(`CREATE TABLE ${table} (key text PRIMARY KEY, total bigint NOT NULL)`);
    const producer = newKafka('p').producer();
    await producer.connect();
    const expected = new Map<string, number>();
    const messages = Array.from({ length: 900 }, (_, i) => {
      const key = `k${i % 7}`;
      expected.set(key, (expected.get(key) ?? 0) + i);
      return { key, value: String(i), timestamp: String(Date.now() - 1000 + i) };
    });
    await producer.send({ topic, messages });
    await producer.disconnect();

    const s = sink(`sum-${topic}`);
    const ssc = stopLater(
      new StreamingContext({ appName: 'pg-sum', batchIntervalMs: 300, defaultParallelism: 2 }),
    );
    let consumed = 0;
    const stream = ssc.kafkaDirectStream({
      brokers: kafkaBrokers(),
      topics: [topic],
      groupId: `g-${topic}`,
      startingOffsets: 'earliest',
      maxRatePerPartition: 500,
      offsetStore: s,
    });
    stream.foreachRDD(async (rdd, t) => {
      const sums = await rdd
        .map((r): [string, number] => [r.key ?? '', Number(r.value)])
        .reduceByKey((a, b) => a + b)
        .collect();
      await s.commitBatch(rdd.offsetRanges, t, async (c) => {
        for (const [key, total] of sums) {
          await c.query(
            `INSERT INTO ${table} (key, total) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET total = ${table}.total + EXCLUDED.total`,
            [key, total],
          );
        }
      });
      consumed += rdd.offsetRanges.reduce((n, r) => n + r.untilOffset - r.fromOffset, 0);
    });
    await ssc.start();
    await waitFor(() => consumed >= 900, 30_000, 'all records');
    const { rows } = await client.query(`SELECT key, total FROM ${table}`);
    expect(Object.fromEntries(rows.map((r) => [r.key, Number(r.total)]))).toEqual(
      Object.fromEntries(expected),
    );
  });
});

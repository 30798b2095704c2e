/**
 * The direct Kafka stream's operational behaviour against the real broker (scripts/services.sh
 * up): consumer lag per partition, dead-lettering, the out-of-range fallback, backpressure,
 * partitions added to a running stream, and rebalances between two members of one group.
 */
import { describe, expect, it } from 'vitest';
import type {
  CompletedBatchRecord,
  KafkaRecord,
  PartitionLag,
  SourceEvent,
  StreamingContext,
  TaskFailure,
} from '../../src/index.js';
import type { KafkaDirectSource } from '../../src/sources/kafka/kafka-direct-source.js';
import { directStreamHarness } from '../support/direct-stream-harness.js';
import { waitFor } from '../support/manual-run.js';
import { createTopic, kafkaBrokers, newKafka, requireKafka, uniqueTopic } from '../support/services.js';

const hasKafka = await requireKafka();

const { context, produce, earliest } = directStreamHarness({
  appName: 'kafka-src',
  defaultParallelism: 3,
  sendSize: 1000,
});

type Message = {
  partition?: number;
  key?: string;
  value: string;
  timestamp?: string;
  headers?: Record<string, string>;
};

/** `n` records spread round-robin over `partitions`, value = i. */
function records(
  n: number,
  partitions: number,
  extra: (i: number) => Partial<Message> = () => ({}),
): Message[] {
  return Array.from({ length: n }, (_, i) => ({ partition: i % partitions, value: String(i), ...extra(i) }));
}

function sourceOf(ssc: StreamingContext): KafkaDirectSource {
  return ssc.graph.inputs[0]!.source as unknown as KafkaDirectSource;
}

function processed(batches: readonly CompletedBatchRecord[]): number {
  return batches.filter((b) => b.outcome === 'succeeded').reduce((n, b) => n + b.numRecords, 0);
}

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Simulates CPU-bound work per record.
  }
}

describe.runIf(hasKafka)('kafkaDirectStream operations', () => {
  it('measures consumer lag per partition at every batch: records fall to 0, seconds is the age of the next record', async () => {
    const topic = await createTopic(uniqueTopic('lag'), 3);
    const base = Date.now() - 60_000;
    // Timestamps 60 s in the past (within 15 ms of each other).
    await produce(
      topic,
      records(1500, 3, (i) => ({ timestamp: String(base + Math.floor(i / 100)) })),
    );
    const ssc = context(500);
    const batches: CompletedBatchRecord[] = [];
    const events: SourceEvent[] = [];
    ssc.addStreamingListener({
      onBatchCompleted: (b) => batches.push(b),
      onSourceEvent: (e) => events.push(e),
    });
    ssc
      .kafkaDirectStream({
        ...earliest(topic),
        maxRatePerPartition: 200, // 100 records per partition per batch: 5 batches of backlog
      })
      .foreachRDD(async (rdd) => {
        await rdd.count();
      });
    const started = Date.now();
    await ssc.start();
    const caughtUp = (b: CompletedBatchRecord) =>
      b.inputs[0]!.consumerLag?.length === 3 && b.inputs[0]!.consumerLag.every((l) => l.records === 0);
    await waitFor(() => processed(batches) >= 1500 && batches.some(caughtUp), 30_000, 'the backlog to drain');
    await ssc.stop({ graceful: true });
    expect(processed(batches)).toBe(1500);

    const planned = batches.filter((b) => b.inputs[0]!.offsetRanges.length > 0);
    const series = new Map<number, PartitionLag[]>();
    for (const b of planned) {
      const { offsetRanges, consumerLag } = b.inputs[0]!;
      expect(consumerLag).toHaveLength(offsetRanges.length);
      offsetRanges.forEach((r, i) => {
        const lag = consumerLag![i]!;
        expect(lag).toMatchObject({ topic, partition: r.partition });
        expect(lag.records).toBe(lag.highWatermark - r.untilOffset);
        expect(lag.committedOffset).toBeLessThanOrEqual(r.fromOffset);
        if (lag.records === 0) expect(lag.seconds).toBe(0);
        else if ('seconds' in lag) {
          // Age of the record at untilOffset: its timestamp is ~60 s old.
          expect(lag.seconds).toBeGreaterThanOrEqual(60);
          expect(lag.seconds).toBeLessThan(60 + (Date.now() - started) / 1000 + 1);
        }
        series.set(r.partition, [...(series.get(r.partition) ?? []), lag]);
      });
      // The same numbers were posted as events when the batch was planned.
      const posted = events.flatMap((e) =>
        e.type === 'partition-lag' && e.batchTime === b.batchTime ? [e] : [],
      );
      expect(posted.map(({ type, streamId, stream, batchTime, ...lag }) => lag)).toEqual(consumerLag);
      expect(posted.every((e) => e.stream === `kafka:${topic}` && e.streamId === 0)).toBe(true);
    }
    expect([...series.keys()].sort()).toEqual([0, 1, 2]);
    for (const lags of series.values()) {
      const counts = lags.map((l) => l.records);
      expect(counts[0]).toBe(400); // 500 per partition, 100 read by the first batch
      for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeLessThanOrEqual(counts[i - 1]!);
      expect(counts.at(-1)).toBe(0);
      // Known once the consumer has fetched ahead of the plan; never a sentinel.
      expect(lags.some((l) => l.records > 0 && l.seconds !== undefined)).toBe(true);
      expect(lags.every((l) => l.seconds === undefined || l.seconds >= 0)).toBe(true);
    }
    // After the last commit the group sits at the high watermark.
    const last = batches.at(-1)!.inputs[0]!.consumerLag ?? [];
    for (const l of last) expect(l.committedOffset).toBeLessThanOrEqual(l.highWatermark);
  });

  it('committed lag: from the offset last committed to Kafka, larger than the lag while batches are in flight, with its age', {
    timeout: 60_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('committed-lag'), 1);
    const base = Date.now() - 60_000;
    // Record i (offset i) is stamped base + i: the age of the record at any offset is known.
    await produce(
      topic,
      records(900, 1, (i) => ({ timestamp: String(base + i) })),
    );
    const ssc = context(300);
    const batches: CompletedBatchRecord[] = [];
    const lags: (PartitionLag & { batchTime: number })[] = [];
    ssc.addStreamingListener({
      onBatchCompleted: (b) => batches.push(b),
      onSourceEvent: (e) => {
        if (e.type === 'partition-lag') {
          const { type, streamId, stream, ...lag } = e;
          lags.push(lag);
        }
      },
    });
    ssc
      .kafkaDirectStream({ ...earliest(topic), maxRatePerPartition: 500 }) // 150 records per batch
      .foreachRDD(async (rdd) => {
        await rdd.count();
        // Slower than the batch interval: later batches are planned before this one commits.
        await new Promise((r) => setTimeout(r, 700));
      });
    await ssc.start();
    await waitFor(() => processed(batches) >= 900, 40_000, 'every record');
    await ssc.stop({ graceful: true });

    expect(lags.length).toBeGreaterThan(0);
    for (const l of lags) {
      expect(l.committedLagRecords).toBe(l.highWatermark - l.committedOffset);
      expect(l.committedLagRecords).toBeGreaterThanOrEqual(l.records);
      if (l.committedLagRecords === 0) expect(l.committedLagSeconds).toBe(0);
      else if (l.committedLagSeconds !== undefined) {
        // The age of the record at the committed offset when the batch was planned.
        const age = (l.batchTime - (base + l.committedOffset)) / 1000;
        expect(Math.abs(l.committedLagSeconds - age)).toBeLessThan(3);
      }
    }
    // Batches in flight: the group's committed offset trails the plan, and lag tools see more.
    expect(lags.some((l) => l.committedLagRecords! > l.records)).toBe(true);
    // Known for every batch planned behind its committed offset (fetched when not buffered).
    expect(
      lags.filter((l) => l.committedLagRecords! > 0).every((l) => l.committedLagSeconds !== undefined),
    ).toBe(true);
  });

  it('dead-letters the records the decoder rejects, once each, even when the first sends fail', async () => {
    const topic = await createTopic(uniqueTopic('dlq-src'), 1);
    const dlq = await createTopic(uniqueTopic('dlq'), 1);
    const admin = newKafka('dlq-admin').admin();
    await admin.connect();
    const ssc = context(200, { maxTaskFailures: 20 });
    const events: SourceEvent[] = [];
    const failures: TaskFailure[] = [];
    let recreated: Promise<void> | undefined;
    ssc.addStreamingListener({
      onSourceEvent: (e) => events.push(e),
      onTaskFailed: (f) => {
        failures.push(f);
        // The dead-letter topic disappeared under the running stream: its sends fail (and so
        // their tasks) until the topic is back.
        recreated ??= (async () => {
          for (;;) {
            try {
              if (
                await admin.createTopics({ topics: [{ topic: dlq, numPartitions: 1 }], waitForLeaders: true })
              )
                return;
            } catch {
              // Still being deleted.
            }
            await new Promise((r) => setTimeout(r, 200));
          }
        })();
      },
    });
    const values: number[] = [];
    ssc
      .kafkaDirectStream<{ n: number }>({
        ...earliest(topic),
        deadLetterTopic: dlq,
        decode: (v) => JSON.parse(v?.toString('utf8') ?? 'null'),
        kafka: { retry: { initialRetryTime: 100, maxRetryTime: 300, retries: 2 } },
      })
      .foreachRDD(async (rdd) => {
        for (const r of await rdd.collect()) values.push(r.value.n);
      });
    await ssc.start();
    await waitFor(() => sourceOf(ssc).assignment().length === 1, 20_000, 'the assignment');
    await admin.deleteTopics({ topics: [dlq] });
    const base = Date.now() - 5000;
    await produce(
      topic,
      Array.from({ length: 20 }, (_, i) => ({
        key: `k${i}`,
        value: i % 5 === 0 ? `not json ${i}` : JSON.stringify({ n: i }),
        timestamp: String(base + i),
        headers: { trace: `t-${i}` },
      })),
    );
    await waitFor(() => values.length >= 16, 40_000, 'the decodable records');
    await recreated;

    // A failed send failed the task; the retried task sent each rejected record once.
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]!.reason).toMatch(/dead-letter|topic|partition|retries/i);
    const errors = events.filter((e) => e.type === 'record-error');
    expect(errors.map((e) => e.offset)).toEqual([0, 5, 10, 15]);
    expect(errors.every((e) => e.deadLettered && e.errorType === 'SyntaxError')).toBe(true);
    expect(sourceOf(ssc).stats).toMatchObject({ recordErrors: 4, deadLettered: 4 });
    const [watermark] = await admin.fetchTopicOffsets(dlq);
    expect(Number(watermark!.high)).toBe(4);

    const consumer = newKafka('dlq-reader').consumer({ groupId: `reader-${dlq}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [dlq], fromBeginning: true });
    const read: { key: string; value: string; timestamp: string; headers: Record<string, string> }[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        read.push({
          key: String(message.key),
          value: String(message.value),
          timestamp: message.timestamp,
          headers,
        });
      },
    });
    await waitFor(() => read.length >= 4, 20_000, 'the dead-lettered records');
    await consumer.disconnect();
    await admin.disconnect();
    expect(read.map((r) => r.value)).toEqual(['not json 0', 'not json 5', 'not json 10', 'not json 15']);
    for (const [i, r] of read.entries()) {
      const offset = i * 5;
      expect(r.key).toBe(`k${offset}`);
      expect(r.timestamp).toBe(String(base + offset));
      expect(r.headers).toMatchObject({
        trace: `t-${offset}`,
        'sidestream-error-type': 'SyntaxError',
        'sidestream-source-topic': topic,
        'sidestream-source-partition': '0',
        'sidestream-source-offset': String(offset),
      });
      expect(r.headers['sidestream-error']).toMatch(/JSON/);
    }
  });

  it('stored offsets deleted by retention: resumes from the earliest retained offset and says so', async () => {
    const topic = await createTopic(uniqueTopic('out-of-range'), 1);
    const groupId = `g-${topic}`;
    const options = earliest(topic);
    await produce(topic, records(100, 1));
    const first = context(200);
    const firstBatches: CompletedBatchRecord[] = [];
    first.addStreamingListener({ onBatchCompleted: (b) => firstBatches.push(b) });
    first.kafkaDirectStream(options).foreachRDD(async (rdd) => {
      await rdd.count();
    });
    await first.start();
    await waitFor(() => processed(firstBatches) >= 100, 20_000, 'the first 100 records');
    await first.stop({ graceful: true });

    const admin = newKafka('retention').admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(Number(committed[0]!.partitions[0]!.offset)).toBe(100);
    await produce(topic, records(50, 1));
    // What retention does: the log now starts at 120, past the group's committed 100.
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '120' }] });
    const [wm] = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    expect(Number(wm!.low)).toBe(120);

    const second = context(200);
    const events: SourceEvent[] = [];
    const offsets: number[] = [];
    second.addStreamingListener({ onSourceEvent: (e) => events.push(e) });
    second.kafkaDirectStream(options).foreachRDD(async (rdd) => {
      for (const r of await rdd.collect()) offsets.push(r.offset);
    });
    await second.start();
    await waitFor(() => offsets.length >= 30, 20_000, 'the retained records');
    const resets = events.filter((e) => e.type === 'offsets-reset');
    expect(resets).toHaveLength(1);
    expect(resets[0]).toMatchObject({ topic, partition: 0, storedOffset: 100, resetTo: 120 });
    expect(resets[0]!.type === 'offsets-reset' && resets[0]!.reason).toMatch(
      /outside the retained range \[120, 150\]/,
    );
    expect(offsets.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => 120 + i));
    expect(sourceOf(second).stats.offsetResets).toBe(1);
  });

  it('backpressure: starts at initialRate, then reads what the estimated rate allows, and drains the backlog', async () => {
    const topic = await createTopic(uniqueTopic('backpressure'), 3);
    await produce(topic, records(20_000, 3));
    const ssc = context(500);
    const batches: CompletedBatchRecord[] = [];
    const rates: number[] = [];
    // The rate a batch was planned with is one of the rates in force between the previous batch's
    // lag events and its own: a batch posts its lag events after planning and measuring the lag
    // (awaits in between), so a rate-changed that an earlier batch's completion posts can come
    // after the plan and before them. The cap is checked against the highest of those rates.
    let rate = 1000;
    let highestSinceLastPlan = rate;
    const rateAtPlan = new Map<number, number>();
    ssc.addStreamingListener({
      onBatchCompleted: (b) => batches.push(b),
      onSourceEvent: (e) => {
        if (e.type === 'rate-changed') {
          rate = e.ratePerSec;
          rates.push(rate);
          highestSinceLastPlan = Math.max(highestSinceLastPlan, rate);
        }
        if (e.type === 'partition-lag' && !rateAtPlan.has(e.batchTime)) {
          rateAtPlan.set(e.batchTime, highestSinceLastPlan);
          highestSinceLastPlan = rate;
        }
      },
    });
    ssc
      .kafkaDirectStream({
        ...earliest(topic),
        backpressure: { initialRate: 1000 },
      })
      .foreachRDD(async (rdd) => {
        busyWait((await rdd.count()) * 0.1); // ~10k records/s at best
      });
    await ssc.start();
    const drained = (b: CompletedBatchRecord) =>
      b.inputs[0]!.consumerLag?.every((l) => l.records === 0) ?? false;
    await waitFor(() => processed(batches) >= 20_000 && batches.some(drained), 40_000, 'the burst to drain');
    await ssc.stop({ graceful: true });
    expect(processed(batches)).toBe(20_000);

    const withData = batches.filter((b) => b.numRecords > 0);
    expect(withData[0]!.numRecords).toBeLessThanOrEqual(500); // initialRate x 0.5 s
    expect(rates.length).toBeGreaterThan(0);
    for (const b of withData) {
      const r = rateAtPlan.get(b.batchTime)!;
      // Spark's cap: floor(rate x lag share x 0.5 s) per partition, at least 1 each.
      expect(b.numRecords).toBeLessThanOrEqual(Math.floor(r * 0.5) + 3);
    }
    // The estimate actually limited the reads: a burst of 20k did not go in one or two batches.
    expect(withData.length).toBeGreaterThanOrEqual(4);
    expect(withData.every((b) => b.numRecords < 20_000 / 2)).toBe(true);
  });

  it('backpressure with maxRatePerPartition: no partition ever reads more than the cap', async () => {
    const topic = await createTopic(uniqueTopic('bp-max'), 3);
    await produce(topic, records(6000, 3));
    const ssc = context(500);
    const batches: CompletedBatchRecord[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (b) => batches.push(b) });
    ssc
      .kafkaDirectStream({
        ...earliest(topic),
        maxRatePerPartition: 1000, // 500 per partition per 0.5 s batch
        backpressure: { initialRate: 1_000_000 },
      })
      .foreachRDD(async (rdd) => {
        await rdd.count();
      });
    await ssc.start();
    await waitFor(() => processed(batches) >= 6000, 30_000, 'the backlog to drain');
    const ranges = batches.flatMap((b) => b.inputs[0]!.offsetRanges);
    for (const r of ranges) expect(r.untilOffset - r.fromOffset).toBeLessThanOrEqual(500);
    // While a partition lags by more than the cap, it reads exactly the cap.
    expect(ranges.filter((r) => r.untilOffset - r.fromOffset === 500).length).toBe(12);
  });

  it('picks up partitions added to the topic while running, from their first record', async () => {
    const topic = await createTopic(uniqueTopic('grow'), 2);
    const ssc = context(300);
    const events: SourceEvent[] = [];
    const batches: CompletedBatchRecord[] = [];
    const seen: KafkaRecord[] = [];
    ssc.addStreamingListener({
      onSourceEvent: (e) => events.push(e),
      onBatchCompleted: (b) => batches.push(b),
    });
    ssc
      .kafkaDirectStream({
        brokers: kafkaBrokers(),
        topics: [topic],
        groupId: `g-${topic}`,
        metadataMaxAgeMs: 1000, // startingOffsets stays 'latest'
      })
      .foreachRDD(async (rdd) => {
        seen.push(...(await rdd.collect()));
      });
    await ssc.start();
    await waitFor(
      () => batches.some((b) => b.inputs[0]!.offsetRanges.length === 2),
      20_000,
      'the first assignment',
    );
    await produce(topic, records(10, 2));
    const admin = newKafka('grow').admin();
    await admin.connect();
    await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
    await admin.disconnect();
    // Written before the stream can know the partition exists: still read, since a partition
    // added after the stream started begins at its earliest offset.
    await produce(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ partition: 2, value: `new-${i}` })),
    );
    await waitFor(() => seen.length >= 30, 30_000, 'the new partition to be read');
    expect(seen.filter((r) => r.partition === 2).map((r) => r.value)).toEqual(
      Array.from({ length: 20 }, (_, i) => `new-${i}`),
    );
    expect(seen).toHaveLength(30);
    expect(
      events.some(
        (e) => e.type === 'rebalance' && e.assigned.some((p) => p.topic === topic && p.partition === 2),
      ),
    ).toBe(true);
    expect(
      sourceOf(ssc)
        .assignment()
        .map((a) => a.partition)
        .sort(),
    ).toEqual([0, 1, 2]);
  });

  it('two members of one group split the partitions; when one stops the other resumes its partitions exactly', {
    timeout: 60_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('rebalance'), 4);
    const options = {
      ...earliest(topic),
      consumer: { heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000 },
    };
    const member = () => {
      const ssc = context(300);
      const batches: CompletedBatchRecord[] = [];
      const values: number[] = [];
      ssc.addStreamingListener({ onBatchCompleted: (b) => batches.push(b) });
      ssc.kafkaDirectStream(options).foreachRDD(async (rdd) => {
        for (const r of await rdd.collect()) values.push(Number(r.value));
      });
      return { ssc, batches, values };
    };
    const total = () => a.values.length + b.values.length;
    const partitionsOf = (m: { ssc: StreamingContext }) =>
      sourceOf(m.ssc)
        .assignment()
        .map((x) => x.partition)
        .sort();

    const a = member();
    await a.ssc.start();
    await produce(topic, records(400, 4));
    await waitFor(() => a.values.length >= 400, 20_000, 'member A to read the first 400');

    const b = member();
    await b.ssc.start();
    await waitFor(
      () => partitionsOf(a).length === 2 && partitionsOf(b).length === 2,
      30_000,
      'the partitions to be split',
    );
    const split = a.batches.length;
    await produce(
      topic,
      records(400, 4, (i) => ({ value: String(400 + i) })),
    );
    await waitFor(() => total() >= 800, 20_000, 'both members to read the next 400');
    await waitFor(() => a.batches.length >= split + 3, 10_000, 'A to complete more batches');
    // A plans only what it still owns.
    const ownedByA = new Set(partitionsOf(a));
    const later = a.batches.slice(split + 1).flatMap((x) => x.inputs[0]!.offsetRanges);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((r) => ownedByA.has(r.partition))).toBe(true);
    expect(partitionsOf(b).some((p) => ownedByA.has(p))).toBe(false);

    // A leaves; B takes over A's partitions at A's last committed offsets.
    const lastUntil = new Map<number, number>();
    await a.ssc.stop({ graceful: true });
    for (const x of a.batches)
      for (const r of x.inputs[0]!.offsetRanges) lastUntil.set(r.partition, r.untilOffset);
    await waitFor(() => partitionsOf(b).length === 4, 30_000, 'B to own every partition');
    for (const x of sourceOf(b.ssc).assignment()) {
      if (ownedByA.has(x.partition)) expect(x.committed).toBe(lastUntil.get(x.partition));
    }
    await produce(
      topic,
      records(400, 4, (i) => ({ value: String(800 + i) })),
    );
    await waitFor(() => total() >= 1200, 20_000, 'B to read the last 400');
    await b.ssc.stop({ graceful: true });
    // Every record exactly once over both members.
    expect(total()).toBe(1200);
    expect([...a.values, ...b.values].sort((x, y) => x - y)).toEqual(
      Array.from({ length: 1200 }, (_, i) => i),
    );
    expect(b.values.length).toBeGreaterThan(400);
  });
});

/**
 * The direct Kafka stream against a broker that fails under it: a broker of the test's own
 * (test/support/private-broker.ts, never the shared one on 9092), frozen with SIGSTOP (its TCP
 * connections stay open and nothing answers), then killed and started again, while a producer
 * keeps producing. The stream must say so within about two batch intervals, naming the broker
 * and the request it waits for; batches must go on being generated (empty) instead of planning
 * hanging the engine; nothing is fatal; and once the broker is back every record is read exactly
 * once (the output's record ids are exactly the topic's offsets, none missing, none twice).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  BatchRecord,
  InputConnectivity,
  InputError,
  KafkaRecord,
  StreamingContext,
} from '../../src/index.js';
import { StreamingContext as Context } from '../../src/index.js';
import type { KafkaDirectSource } from '../../src/sources/kafka/kafka-direct-source.js';
import { waitFor } from '../support/manual-run.js';
import { type PrivateBroker, requirePrivateBroker, startPrivateBroker } from '../support/private-broker.js';
import { uniqueTopic } from '../support/services.js';
import { stopAfterEach } from '../support/stop-after-each.js';

const hasBroker = await requirePrivateBroker();
const INTERVAL_MS = 1000;

const stopLater = stopAfterEach({ timeoutMs: 10_000 });

function sourceOf(ssc: StreamingContext): KafkaDirectSource {
  return ssc.graph.inputs[0]?.source as unknown as KafkaDirectSource;
}

/** Produces 5 records every 50 ms (idempotent: a send retried across the fault is not written twice). */
function keepProducing(broker: PrivateBroker, topic: string) {
  const producer = broker.client('faults-producer').producer({ idempotent: true, maxInFlightRequests: 1 });
  let running = true;
  let seq = 0;
  const done = (async () => {
    await producer.connect();
    while (running) {
      const messages = Array.from({ length: 5 }, () => ({ key: `k${seq % 7}`, value: String(seq++) }));
      await producer.send({ topic, messages }).catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
    }
    await producer.disconnect();
  })();
  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** Every offset below each partition's end, as record ids (`topic-partition-offset`). */
async function allRecordIds(broker: PrivateBroker, topic: string): Promise<string[]> {
  const admin = broker.client('faults-admin').admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.flatMap((o) =>
      Array.from({ length: Number(o.high) }, (_, i) => `${topic}-${o.partition}-${i}`),
    );
  } finally {
    await admin.disconnect();
  }
}

interface Run {
  readonly ssc: StreamingContext;
  readonly ids: string[];
  readonly submitted: { batch: BatchRecord; at: number }[];
  readonly connectivity: { event: InputConnectivity; at: number }[];
  readonly errors: InputError[];
}

async function startStream(broker: PrivateBroker, topic: string): Promise<Run> {
  const ssc = stopLater(
    new Context({ appName: 'kafka-faults', batchIntervalMs: INTERVAL_MS, defaultParallelism: 2 }),
  );
  const run: Run = { ssc, ids: [], submitted: [], connectivity: [], errors: [] };
  ssc.addStreamingListener({
    onBatchSubmitted: (batch) => run.submitted.push({ batch, at: Date.now() }),
    onSourceEvent: (event) => {
      if (event.type === 'input-connectivity') run.connectivity.push({ event, at: Date.now() });
      if (event.type === 'input-error') run.errors.push(event);
    },
  });
  ssc
    .kafkaDirectStream({
      brokers: [broker.address],
      topics: [topic],
      groupId: `g-${topic}`,
      startingOffsets: 'earliest',
    })
    .foreachRDD(async (rdd) => {
      run.ids.push(...(await rdd.map((r: KafkaRecord<string | null>) => r.uid).collect()));
    });
  await ssc.start();
  await waitFor(() => run.ids.length > 0 && sourceOf(ssc).connected, 30_000, 'the first records');
  return run;
}

/** Waits until the output holds every record of the topic; then checks each was output exactly once. */
async function expectEveryRecordOnce(broker: PrivateBroker, topic: string, run: Run): Promise<void> {
  const all = await allRecordIds(broker, topic);
  await waitFor(() => new Set(run.ids).size >= all.length, 40_000, `all ${all.length} records`);
  expect(run.ids.length, 'no record is output twice').toBe(new Set(run.ids).size);
  expect(new Set(run.ids)).toEqual(new Set(all));
}

describe.runIf(hasBroker)('the direct stream when its broker fails', () => {
  let broker: PrivateBroker;
  beforeAll(async () => {
    broker = await startPrivateBroker();
  }, 120_000);
  afterAll(async () => {
    await broker?.close();
  });

  async function createTopic(partitions: number): Promise<string> {
    const topic = uniqueTopic('faults');
    const admin = broker.client('faults-admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    await admin.disconnect();
    return topic;
  }

  it('frozen: disconnected within two intervals naming the broker, empty batches go on, after the thaw every record once', {
    timeout: 90_000,
  }, async () => {
    const topic = await createTopic(2);
    const producer = keepProducing(broker, topic);
    const run = await startStream(broker, topic);
    const source = sourceOf(run.ssc);
    expect(source.lastResponseMs).toBeGreaterThan(Date.now() - 10_000);

    const frozenAt = Date.now();
    broker.freeze();
    try {
      await waitFor(
        () => run.connectivity.some((c) => !c.event.connected && c.at >= frozenAt),
        2 * INTERVAL_MS + 2000,
        'disconnected',
      );
      const lost = run.connectivity.find((c) => !c.event.connected && c.at >= frozenAt);
      expect(lost?.at ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(frozenAt + 2 * INTERVAL_MS + 1000);
      const port = broker.address.split(':')[1];
      expect(lost?.event.reason).toMatch(
        new RegExp(`no answer from 127\\.0\\.0\\.1:${port} to \\w+ for \\d+\\.\\d s`),
      );
      expect(source.connected).toBe(false);
      expect(run.ssc.ready).toBe(false);
      expect(source.disconnectedReason).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}`));
      // Planning does not hang the engine: batch times keep being generated, with nothing in them.
      const before = run.submitted.length;
      await new Promise((r) => setTimeout(r, 8000));
      const during = run.submitted.slice(before);
      expect(during.length).toBeGreaterThanOrEqual(5);
      expect(during.every((s) => s.batch.numRecords === 0)).toBe(true);
      expect(source.lastResponseMs ?? 0).toBeLessThan(frozenAt + 500);
    } finally {
      broker.thaw();
    }
    await waitFor(() => run.connectivity.at(-1)?.event.connected === true, 30_000, 'connected again');
    expect(run.connectivity.at(-1)?.event.reason).toMatch(/answering again after: no answer from/);
    await producer.stop();
    await expectEveryRecordOnce(broker, topic, run);
    expect(run.ssc.state).toBe('active');
    // What could not be planned was said, once, not once per batch.
    expect(run.errors.filter((e) => /plans nothing for/.test(e.message)).length).toBeLessThanOrEqual(3);
  });

  it('a topic deleted under the running stream: said loudly, not ready, the agent stays up; read again once it exists', {
    timeout: 90_000,
  }, async () => {
    const topic = await createTopic(1);
    const producer = broker.client('faults-producer').producer();
    await producer.connect();
    const send = (n: number) =>
      producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ value: String(i) })) });
    await send(20);
    const run = await startStream(broker, topic);
    const source = sourceOf(run.ssc);
    await waitFor(() => run.ids.length === 20, 20_000, 'the first records');
    const admin = broker.client('faults-admin').admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topic] });
      await waitFor(
        () => run.errors.some((e) => e.message.includes(`topic(s) ${topic} no longer exist`)),
        20_000,
        'the deleted topic reported',
      );
      await waitFor(() => !source.connected, 10_000, 'not connected');
      // First the reconnect's reason, then the connect loop's: both name the topic.
      expect(source.disconnectedReason).toMatch(
        new RegExp(`topic\\(s\\) ${topic} (no longer exist|do not exist)`),
      );
      expect(run.ssc.ready).toBe(false);
      const before = run.submitted.length;
      await new Promise((r) => setTimeout(r, 3000));
      expect(run.submitted.length - before).toBeGreaterThanOrEqual(2);
      expect(run.ssc.state).toBe('active');

      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await send(10);
      await waitFor(() => run.ids.length >= 30, 60_000, 'the records of the topic created again');
      await waitFor(() => source.connected, 10_000, 'connected again');
      expect(run.ids.slice(20)).toEqual(Array.from({ length: 10 }, (_, i) => `${topic}-0-${i}`));
    } finally {
      await admin.disconnect();
      await producer.disconnect();
    }
  });

  it('killed and started again: disconnected naming it, never fatal, then every record once', {
    timeout: 120_000,
  }, async () => {
    const topic = await createTopic(2);
    const producer = keepProducing(broker, topic);
    const run = await startStream(broker, topic);
    const source = sourceOf(run.ssc);
    const killedAt = Date.now();
    await broker.kill();
    await waitFor(
      () => run.connectivity.some((c) => !c.event.connected && c.at >= killedAt),
      2 * INTERVAL_MS + 2000,
      'disconnected',
    );
    expect(run.connectivity.find((c) => !c.event.connected && c.at >= killedAt)?.at).toBeLessThanOrEqual(
      killedAt + 2 * INTERVAL_MS + 1000,
    );
    expect(source.disconnectedReason).toContain(broker.address);
    const before = run.submitted.length;
    await new Promise((r) => setTimeout(r, 3000));
    expect(run.submitted.length - before).toBeGreaterThanOrEqual(2);
    await broker.restart();
    await waitFor(() => run.connectivity.at(-1)?.event.connected === true, 60_000, 'connected again');
    await producer.stop();
    await expectEveryRecordOnce(broker, topic, run);
    expect(run.ssc.state).toBe('active');
  });
});

/**
 * Kafka direct tasks in executor worker threads (docs/executors.md), on the real broker: each worker reads
 * its task's offset range itself (KafkaRangeReader), so records are decoded in the worker and
 * never pass through the driver; the results, the event-time lag, the record errors and the
 * dead letters are the same as in-process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPoolExecutor } from '../../src/executors/worker-pool-executor.js';
import { type CompletedBatchRecord, type SourceEvent, StreamingContext } from '../../src/index.js';
import { waitFor } from '../support/manual-run.js';
import { createTopic, newKafka, requireKafka, uniqueTopic } from '../support/services.js';
import job, { driver, results, type Seen, sunk } from './fixtures/kafka-executor-job.js';

const hasKafka = await requireKafka();
const JOB = new URL('./fixtures/kafka-executor-job.ts', import.meta.url).pathname;
const N = 1200;
const BAD = new Set([5, 400, 777, 1100]);

afterEach(() => {
  delete process.env.SS_TEST_TOPIC;
  delete process.env.SS_TEST_GROUP;
  delete process.env.SS_TEST_DLT;
  delete process.env.SS_TEST_SINK;
  delete process.env.SS_TEST_RATE;
  delete process.env.SS_TEST_READ_AHEAD;
});

async function produce(topic: string): Promise<void> {
  // Idempotent: a send kafkajs retries (a fresh topic's leader not elected yet) is written once,
  // so the topic holds exactly N records.
  const producer = newKafka('exec-producer').producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const base = Date.now() - 60_000;
  const messages = Array.from({ length: N }, (_, i) => ({
    key: `k${i % 5}`,
    value: BAD.has(i) ? `bad-${i}` : String(i),
    timestamp: String(base + i),
  }));
  for (let i = 0; i < N; i += 300) await producer.send({ topic, messages: messages.slice(i, i + 300) });
  await producer.disconnect();
}

async function deadLetters(topic: string): Promise<string[]> {
  const admin = newKafka('exec-admin').admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = offsets.reduce((n, o) => n + Number(o.high), 0);
  const consumer = newKafka('exec-dlt').consumer({ groupId: `dlt-reader-${topic}-${Date.now()}` });
  const out: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      out.push(`${message.value?.toString()}|${message.headers?.['sidestream-error-type']?.toString()}`);
    },
  });
  await waitFor(() => out.length >= total, 20_000, 'the dead letters');
  await consumer.disconnect();
  return out.sort();
}

async function run(executors: number, topic: string, dlt?: string) {
  process.env.SS_TEST_TOPIC = topic;
  // Each run its own group: a run must read the topic from its start, not after another's commits.
  process.env.SS_TEST_GROUP = `g-${executors}-${process.env.SS_TEST_READ_AHEAD ? 'ahead' : 'on-demand'}-${topic}`;
  if (dlt) process.env.SS_TEST_DLT = dlt;
  results.length = 0;
  sunk.length = 0;
  const base = { appName: 'kafka-exec', batchIntervalMs: 300, defaultParallelism: 3 };
  const pool =
    executors === 0 ? undefined : new WorkerPoolExecutor({ threads: executors, jobModule: JOB, ...base });
  await pool?.ready();
  const ssc = new StreamingContext({ ...base, tracing: false, ...(pool ? { executor: pool } : {}) });
  const batches: CompletedBatchRecord[] = [];
  const recordErrors: SourceEvent[] = [];
  ssc.addStreamingListener({
    onBatchCompleted: (b) => batches.push(b),
    onSourceEvent: (e) => {
      if (e.type === 'record-error') recordErrors.push(e);
    },
  });
  job(ssc);
  await ssc.start();
  const expected = N - BAD.size - [...Array(N).keys()].filter((i) => !BAD.has(i) && i % 7 === 0).length;
  await waitFor(
    () => results.length >= expected && (!process.env.SS_TEST_SINK || sunk.length >= N - BAD.size),
    60_000,
    `${expected} records through ${executors} executors`,
  );
  await ssc.stop({ graceful: true });
  const source = driver.stream!.source as { stats: { consumerFetched: number } };
  return {
    seen: [...results],
    sunk: [...sunk],
    batches,
    recordErrors,
    stats: pool?.stats,
    expected,
    consumerFetched: source.stats.consumerFetched,
  };
}

describe.runIf(hasKafka)('Kafka direct tasks in executor workers', () => {
  it('read their own ranges in the workers and match in-process: records, lag, record errors, dead letters', {
    timeout: 180_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('exec-kafka'), 3);
    const dlt0 = await createTopic(uniqueTopic('exec-dlt0'), 1);
    const dlt2 = await createTopic(uniqueTopic('exec-dlt2'), 1);
    const dlt0d = await createTopic(uniqueTopic('exec-dlt0d'), 1);
    await produce(topic);

    // In-process with the group consumer reading ahead: the other way records reach a task.
    process.env.SS_TEST_READ_AHEAD = '1';
    const inProcess = await run(0, topic, dlt0);
    delete process.env.SS_TEST_READ_AHEAD;
    // In-process by default: each task reads its range when it runs, as the workers do.
    const onDemand = await run(0, topic, dlt0d);
    const workers = await run(2, topic, dlt2);

    const key = (s: Seen) => s.uid;
    const sorted = (xs: Seen[]) => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : 1));
    expect(workers.seen.length).toBe(workers.expected);
    expect(inProcess.seen.length).toBe(inProcess.expected);
    // Same records, each once, with their uids (a record collected from a worker keeps it).
    expect(sorted(workers.seen).map(({ uid, key, n }) => ({ uid, key, n }))).toEqual(
      sorted(inProcess.seen).map(({ uid, key, n }) => ({ uid, key, n })),
    );
    expect(new Set(workers.seen.map(key)).size).toBe(workers.seen.length);
    expect(inProcess.seen.every((s) => s.decodedIn === 'driver')).toBe(true);
    expect(workers.seen.every((s) => s.decodedIn === 'worker')).toBe(true);
    expect(workers.stats!.remoteTasks).toBeGreaterThan(0);
    expect(workers.stats!.inProcessTasks).toBe(0);
    // Reading ahead, the driver's group consumer fetched every record; reading on demand (with
    // executors, or in-process by default) it only holds the membership: it fetched nothing.
    expect(inProcess.consumerFetched).toBe(N);
    expect(workers.consumerFetched).toBe(0);
    expect(onDemand.consumerFetched).toBe(0);
    expect(sorted(onDemand.seen).map(({ uid, key, n }) => ({ uid, key, n }))).toEqual(
      sorted(inProcess.seen).map(({ uid, key, n }) => ({ uid, key, n })),
    );
    expect(onDemand.seen.every((s) => s.decodedIn === 'driver')).toBe(true);

    // What the driver still does for a range read in a worker: event-time lag (records were
    // stamped 60 s ago), record errors and dead letters, each once.
    for (const { batches } of [inProcess, onDemand, workers]) {
      const withData = batches.filter((b) => b.numRecords > 0);
      expect(withData.length).toBeGreaterThan(0);
      for (const b of withData) expect(b.inputs[0]!.eventTimeLagMs!.avg).toBeGreaterThanOrEqual(59_000);
    }
    const errorsOf = (events: SourceEvent[]) =>
      events
        .map((e) => (e.type === 'record-error' ? `${e.offset}:${e.errorType}:${e.deadLettered}` : ''))
        .sort();
    expect(workers.recordErrors.length).toBe(BAD.size);
    expect(errorsOf(workers.recordErrors)).toEqual(errorsOf(inProcess.recordErrors));
    expect(errorsOf(onDemand.recordErrors)).toEqual(errorsOf(inProcess.recordErrors));
    const letters = await deadLetters(dlt2);
    expect(letters).toEqual(await deadLetters(dlt0));
    expect(letters).toEqual(await deadLetters(dlt0d));
    expect(letters).toEqual([...BAD].map((i) => `bad-${i}|SyntaxError`).sort());
  });

  it('a task that must run on the driver (a foreachPartition sink) reads its range on demand; lag keeps its seconds', {
    timeout: 120_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('exec-kafka-sink'), 3);
    await produce(topic);
    process.env.SS_TEST_SINK = '1';
    // 3 partitions x 400 records/s x 0.3 s: the backlog takes several batches, so they lag.
    process.env.SS_TEST_RATE = '400';
    const workers = await run(2, topic);
    expect(workers.sunk.length).toBe(N - BAD.size);
    expect(new Set(workers.sunk).size).toBe(N - BAD.size);
    expect(workers.seen.length).toBe(workers.expected);
    expect(workers.stats!.inProcessTasks).toBeGreaterThan(0);
    expect(workers.stats!.remoteTasks).toBeGreaterThan(0);
    expect(workers.consumerFetched).toBe(0);
    // The first record left behind each lagging partition was fetched for its age (~60 s).
    const lagging = workers.batches
      .flatMap((b) => b.inputs[0]!.consumerLag ?? [])
      .filter((l) => l.records > 0);
    expect(lagging.length).toBeGreaterThan(0);
    for (const l of lagging) expect(l.seconds).toBeGreaterThanOrEqual(59);
    // And from the offset last committed to Kafka: fetched the same way, on demand.
    const all = workers.batches.flatMap((b) => b.inputs[0]!.consumerLag ?? []);
    for (const l of all) expect(l.committedLagRecords).toBe(l.highWatermark - l.committedOffset);
    const behind = all.filter((l) => l.committedLagRecords! > 0);
    expect(behind.length).toBeGreaterThan(0);
    for (const l of behind) expect(l.committedLagSeconds).toBeGreaterThanOrEqual(59);
  });
});

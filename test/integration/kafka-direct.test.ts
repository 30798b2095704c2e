/**
 * The direct Kafka stream against the real broker (scripts/services.sh up): exact totals, exact
 * offset ranges, committed offsets visible to Kafka's tools, maxRatePerPartition, replay of the
 * uncommitted batch, and the bad-input cases.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompletedBatchRecord, InputError, ReceiverEvent, SourceEvent } from '../../src/index.js';
import { OffsetLog } from '../../src/state/offset-log.js';
import { directStreamHarness } from '../support/direct-stream-harness.js';
import { waitFor } from '../support/manual-run.js';
import { createTopic, kafkaBrokers, newKafka, requireKafka, uniqueTopic } from '../support/services.js';

const hasKafka = await requireKafka();

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
// Registered after the directories' hook, so its contexts stop before their directories go.
const {
  context,
  produce: send,
  earliest,
} = directStreamHarness({
  appName: 'kafka-it',
  defaultParallelism: 2,
  sendSize: 500,
});

interface Produced {
  perKey: Map<string, number>;
  count: number;
}

/** Produces `n` records `key-i%keys` -> value i+1 with timestamps starting at `baseTime`. */
async function produce(
  topic: string,
  n: number,
  keys = 5,
  baseTime = Date.now() - 60_000,
  values?: (i: number) => string,
) {
  const perKey = new Map<string, number>();
  const messages = Array.from({ length: n }, (_, i) => {
    const key = `key-${i % keys}`;
    perKey.set(key, (perKey.get(key) ?? 0) + (i + 1));
    return { key, value: values ? values(i) : String(i + 1), timestamp: String(baseTime + i) };
  });
  await send(topic, messages);
  return { perKey, count: n } satisfies Produced;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ss-kafka-'));
  dirs.push(dir);
  return dir;
}

describe.runIf(hasKafka)('kafkaDirectStream', () => {
  it('sums every record exactly once over 3 partitions, with contiguous ranges and committed offsets', async () => {
    const topic = await createTopic(uniqueTopic('direct-sum'), 3);
    const produced = await produce(topic, 600);
    const groupId = `g-${topic}`;
    const ssc = context(200);
    const totals = new Map<string, number>();
    const uids = new Set<string>();
    const batches: CompletedBatchRecord[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (b) => batches.push(b) });
    const stream = ssc.kafkaDirectStream(earliest(topic));
    stream.foreachRDD(async (rdd) => {
      for (const r of await rdd.collect()) uids.add(r.uid);
    });
    stream
      .map((r): [string, number] => [r.key ?? '', Number(r.value)])
      .reduceByKey((a, b) => a + b)
      .foreachRDD(async (rdd) => {
        for (const [k, v] of await rdd.collect()) totals.set(k, (totals.get(k) ?? 0) + v);
      });
    await ssc.start();
    await waitFor(() => uids.size >= produced.count, 30_000, 'all records');
    await waitFor(() => ssc.ready, 5000, 'readiness');
    await ssc.stop({ graceful: true });
    expect(Object.fromEntries(totals)).toEqual(Object.fromEntries(produced.perKey));
    expect(uids.size).toBe(600);
    expect([...uids].every((u) => new RegExp(`^${topic}-[0-2]-\\d+$`).test(u))).toBe(true);
    // Ranges per partition are contiguous from 0 and add up to the records.
    const byPartition = new Map<number, [number, number][]>();
    for (const b of batches) {
      for (const r of b.inputs[0]!.offsetRanges) {
        byPartition.set(r.partition, [
          ...(byPartition.get(r.partition) ?? []),
          [r.fromOffset, r.untilOffset],
        ]);
      }
    }
    let covered = 0;
    for (const spans of byPartition.values()) {
      expect(spans[0]![0]).toBe(0);
      for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBe(spans[i - 1]![1]);
      covered += spans.at(-1)![1];
    }
    expect(covered).toBe(600);
    expect(batches.reduce((n, b) => n + b.numRecords, 0)).toBe(600);
    // Event time = the Kafka timestamp, produced 60 s in the past: the lag shows it.
    const withData = batches.filter((b) => b.numRecords > 0);
    for (const b of withData) {
      const lag = b.inputs[0]!.eventTimeLagMs!;
      expect(lag.avg).toBeGreaterThanOrEqual(59_000);
      expect(lag.max).toBeGreaterThanOrEqual(lag.p99);
      expect(lag.p99).toBeGreaterThanOrEqual(lag.p50);
    }
    // The positions are committed to Kafka, where outside lag tools read them.
    const admin = newKafka('check').admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    const ends = new Map([...byPartition].map(([p, spans]) => [p, spans.at(-1)![1]]));
    for (const p of committed[0]!.partitions) {
      expect(Number(p.offset)).toBe(ends.get(p.partition));
      // The commit metadata names the range of the last batch that read the partition (an empty
      // range is never committed: docs/kafka.md, "The offset log and restarts").
      const last = byPartition
        .get(p.partition)!
        .filter(([from, until]) => until > from)
        .at(-1)!;
      expect(JSON.parse(p.metadata ?? 'null')).toMatchObject({ from: last[0], until: last[1] });
    }
  });

  it('reads no more than maxRatePerPartition x batch seconds per partition', async () => {
    const topic = await createTopic(uniqueTopic('direct-rate'), 2);
    await produce(topic, 400, 4);
    const ssc = context(500);
    const batches: CompletedBatchRecord[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (b) => batches.push(b) });
    ssc
      .kafkaDirectStream({
        ...earliest(topic),
        maxRatePerPartition: 40,
      })
      .foreachRDD(async (rdd) => {
        await rdd.count();
      });
    await ssc.start();
    await waitFor(() => batches.reduce((n, b) => n + b.numRecords, 0) >= 400, 30_000, 'the backlog to drain');
    const ranges = batches.flatMap((b) => b.inputs[0]!.offsetRanges);
    expect(ranges.length).toBeGreaterThan(0);
    for (const r of ranges) expect(r.untilOffset - r.fromOffset).toBeLessThanOrEqual(20);
    // While a backlog remains, each partition reads exactly its cap.
    const full = ranges.filter((r) => r.untilOffset - r.fromOffset === 20);
    expect(full.length).toBeGreaterThanOrEqual(8);
  });

  it('after a failed batch, a restarted context first re-runs exactly the uncommitted ranges', async () => {
    const topic = await createTopic(uniqueTopic('direct-replay'), 3);
    await produce(topic, 90, 3);
    const checkpointDir = await tempDir();
    const options = {
      ...earliest(topic),
      maxRatePerPartition: 20,
    };

    const first = context(500, { checkpointDir });
    const seen: CompletedBatchRecord[] = [];
    first.addStreamingListener({ onBatchCompleted: (b) => seen.push(b) });
    let failing = false;
    first.kafkaDirectStream(options).foreachRDD(async (rdd) => {
      const n = await rdd.count();
      if (n > 0 && seen.some((b) => b.numRecords > 0)) failing = true;
      if (failing) throw new Error('simulated crash in the output');
    });
    await first.start();
    await expect(first.awaitTermination()).rejects.toMatchObject({ code: 'SS_BATCH_FAILED' });
    const failed = seen.find((b) => b.outcome === 'failed')!;
    expect(failed.numRecords).toBeGreaterThan(0);

    const second = context(500, { checkpointDir });
    const replayed: CompletedBatchRecord[] = [];
    second.addStreamingListener({ onBatchCompleted: (b) => replayed.push(b) });
    second.kafkaDirectStream(options).foreachRDD(async (rdd) => {
      await rdd.count();
    });
    await second.start();
    await waitFor(() => replayed.some((b) => b.numRecords > 0), 30_000, 'the replayed batch');
    const firstWithData = replayed.find((b) => b.numRecords > 0)!;
    expect(firstWithData.inputs[0]!.offsetRanges).toEqual(failed.inputs[0]!.offsetRanges);
  });

  it("with firstBatchAfterRestart 'skip', a restarted context moves past the uncommitted ranges", async () => {
    const topic = await createTopic(uniqueTopic('direct-skip'), 2);
    await produce(topic, 80, 2);
    const checkpointDir = await tempDir();
    const options = {
      ...earliest(topic),
      maxRatePerPartition: 20,
    };
    const first = context(500, { checkpointDir });
    const seen: CompletedBatchRecord[] = [];
    first.addStreamingListener({ onBatchCompleted: (b) => seen.push(b) });
    first.kafkaDirectStream(options).foreachRDD(async (rdd) => {
      if ((await rdd.count()) > 0) throw new Error('simulated crash in the output');
    });
    await first.start();
    await expect(first.awaitTermination()).rejects.toMatchObject({ code: 'SS_BATCH_FAILED' });
    expect(seen.some((b) => b.outcome === 'failed')).toBe(true);
    // Every batch planned and logged but not committed: the failed one, and any the generator
    // had already planned behind it before the context stopped (under load, one may be).
    const { pending } = await new OffsetLog(join(checkpointDir, 'kafka', 'stream-0')).state();
    expect(pending.length).toBeGreaterThan(0);
    const untilOf = new Map<number, number>();
    for (const batch of pending)
      for (const r of Object.values(batch.ranges).flat()) untilOf.set(r.partition, r.untilOffset);

    const second = context(500, { checkpointDir });
    const next: CompletedBatchRecord[] = [];
    second.addStreamingListener({ onBatchCompleted: (b) => next.push(b) });
    second.kafkaDirectStream({ ...options, firstBatchAfterRestart: 'skip' }).foreachRDD(async (rdd) => {
      await rdd.count();
    });
    await second.start();
    await waitFor(() => next.some((b) => b.inputs[0]!.offsetRanges.length > 0), 30_000, 'a planned batch');
    const firstPlanned = next.find((b) => b.inputs[0]!.offsetRanges.length > 0)!;
    for (const r of firstPlanned.inputs[0]!.offsetRanges) expect(r.fromOffset).toBe(untilOf.get(r.partition));
  });

  it('counts records the decoder rejects, and the batch goes on', async () => {
    const topic = await createTopic(uniqueTopic('direct-decode'), 1);
    await produce(topic, 20, 2, Date.now(), (i) => (i % 5 === 0 ? 'not json' : JSON.stringify({ n: i })));
    const ssc = context(200);
    const events: SourceEvent[] = [];
    ssc.addStreamingListener({ onSourceEvent: (e) => events.push(e) });
    const values: number[] = [];
    ssc
      .kafkaDirectStream<{ n: number }>({
        ...earliest(topic),
        decode: (v) => JSON.parse(v?.toString('utf8') ?? 'null'),
      })
      .foreachRDD(async (rdd) => {
        for (const r of await rdd.collect()) values.push(r.value.n);
      });
    await ssc.start();
    await waitFor(() => values.length >= 16, 30_000, 'the decodable records');
    const errors = events.filter((e) => e.type === 'record-error');
    expect(errors).toHaveLength(4);
    expect(errors.map((e) => (e.type === 'record-error' ? e.offset : -1))).toEqual([0, 5, 10, 15]);
    expect(errors[0]).toMatchObject({ errorType: 'SyntaxError', partition: 0 });
  });

  it('keeps running with an unreachable broker, reports it, and is not ready', async () => {
    const ssc = context(100);
    const errors: InputError[] = [];
    const receiverErrors: ReceiverEvent[] = [];
    ssc.addStreamingListener({
      onSourceEvent: (e) => {
        if (e.type === 'input-error') errors.push(e);
      },
      onReceiverError: (e) => receiverErrors.push(e),
    });
    ssc
      .kafkaDirectStream({
        brokers: ['127.0.0.1:1'],
        topics: ['t'],
        groupId: 'g',
        kafka: { connectionTimeout: 200, retry: { retries: 0 } },
      })
      .foreachRDD(() => {});
    await ssc.start();
    await waitFor(() => errors.length > 0, 10_000, 'an error report');
    await waitFor(() => ssc.recentBatches().length >= 3, 10_000, 'empty batches');
    expect(errors[0]!.message).toMatch(/cannot reach Kafka at 127\.0\.0\.1:1.*retrying/);
    expect(errors[0]).toMatchObject({ stream: 'kafka:t', operation: 'connect' });
    // A direct stream has no receiver: its failures are input events, never receiver errors.
    expect(receiverErrors).toEqual([]);
    expect(ssc.ready).toBe(false);
    expect(ssc.recentBatches().every((b) => b.numRecords === 0)).toBe(true);
    // Stopping does not wait out the reconnect backoff.
    const stopping = Date.now();
    await ssc.stop({ timeoutMs: 5000 });
    expect(Date.now() - stopping).toBeLessThan(2000);
  });

  it('names a topic that does not exist', async () => {
    const ssc = context(100);
    const errors: InputError[] = [];
    ssc.addStreamingListener({
      onSourceEvent: (e) => {
        if (e.type === 'input-error') errors.push(e);
      },
    });
    const missing = uniqueTopic('missing');
    ssc.kafkaDirectStream({ brokers: kafkaBrokers(), topics: [missing], groupId: 'g' }).foreachRDD(() => {});
    await ssc.start();
    await waitFor(() => errors.length > 0, 10_000, 'an error report');
    expect(errors[0]!.message).toContain(`topic(s) ${missing} do not exist`);
    expect(ssc.ready).toBe(false);
  });
});

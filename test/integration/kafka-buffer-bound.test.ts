/**
 * The group consumer's buffer is bounded (partition-buffer.ts): an engine that takes records
 * more slowly than the consumer fetches them (here capped by maxRatePerPartition) holds at most
 * maxBufferedRecordsPerPartition fetched ahead, plus one fetch, instead of the whole backlog; and
 * every record still reaches the batches exactly once.
 */
import { describe, expect, it } from 'vitest';
import type { CompletedBatchRecord } from '../../src/index.js';
import { directStreamHarness } from '../support/direct-stream-harness.js';
import { waitFor } from '../support/manual-run.js';
import { createTopic, requireKafka, uniqueTopic } from '../support/services.js';

const hasKafka = await requireKafka();
const { context, produce, earliest } = directStreamHarness({
  appName: 'kafka-bound',
  defaultParallelism: 1,
  sendSize: 500,
});

/** 1 KB values: one 1 MiB fetch brings about a thousand records. */
const VALUE = 'x'.repeat(1000);
const N = 12_000;
const BOUND = 2_000;
/** The most one fetch (kafkajs' 1 MiB per partition) can add past the bound. */
const ONE_FETCH = 1_100;

interface SourceInternals {
  readonly stats: { readonly fetchPauses: number; readonly consumerFetched: number };
  readonly table: { get(tp: { topic: string; partition: number }): { buffer: { size: number } } | undefined };
}

describe.runIf(hasKafka)('the direct stream buffer bound', () => {
  it('pauses fetching past maxBufferedRecordsPerPartition and still reads every record once', {
    timeout: 120_000,
  }, async () => {
    const topic = await createTopic(uniqueTopic('direct-bound'), 1);
    await produce(
      topic,
      Array.from({ length: N }, (_, i) => ({ key: String(i), value: `${i}:${VALUE}` })),
    );
    const ssc = context(200);
    const batches: CompletedBatchRecord[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (b) => batches.push(b) });
    const stream = ssc.kafkaDirectStream({
      ...earliest(topic),
      // 1,000 records per 200 ms batch: twelve times slower than the backlog can be fetched.
      maxRatePerPartition: 5_000,
      readAhead: true,
      maxBufferedRecordsPerPartition: BOUND,
    });
    const source = (stream as unknown as { source: SourceInternals }).source;
    const seen = new Set<number>();
    let duplicates = 0;
    let mostHeld = 0;
    stream.foreachRDD(async (rdd) => {
      mostHeld = Math.max(mostHeld, source.table.get({ topic, partition: 0 })?.buffer.size ?? 0);
      for (const r of await rdd.collect()) {
        const i = Number(String(r.value).split(':')[0]);
        if (seen.has(i)) duplicates++;
        seen.add(i);
      }
    });
    await ssc.start();
    await waitFor(() => seen.size >= N, 90_000, `all ${N} records (seen ${seen.size})`);
    expect(seen.size).toBe(N);
    expect(duplicates).toBe(0);
    expect(source.stats.fetchPauses).toBeGreaterThan(0);
    // Without the bound the consumer holds the whole backlog within the first batches.
    expect(mostHeld).toBeGreaterThan(0);
    expect(mostHeld).toBeLessThanOrEqual(BOUND + ONE_FETCH);
    console.log(
      `buffer bound ${BOUND}: at most ${mostHeld} records held, ${source.stats.fetchPauses} pauses, ${batches.length} batches`,
    );
  });

  it('refuses a bound that is not a positive whole number, naming the option', () => {
    const ssc = context(200);
    expect(() => ssc.kafkaDirectStream({ ...earliest('t'), maxBufferedRecordsPerPartition: 0 })).toThrow(
      /maxBufferedRecordsPerPartition must be a positive whole number/,
    );
  });
});

/**
 * The metrics that tell the truth while data stops: the generation delay of completed batches,
 * the overdue next batch and each input's connection read at scrape time (no batch needs to
 * complete), the committed lag beside the planned one, and the partition status judged on the
 * committed lag, turning `stop` at a scrape while no batch completes.
 */
import { describe, expect, it } from 'vitest';
import {
  type InputBatch,
  type InputContext,
  type InputSource,
  RDD,
  type SourceEvent,
} from '../../src/index.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { PrometheusListener } from '../../src/telemetry/prometheus-listener.js';
import { manualContexts } from '../support/manual-contexts.js';
import { startManual, waitFor } from '../support/manual-run.js';

const manualContext = manualContexts();

/** An input with an upstream whose connection the test sets; its capture of `hangAt` hangs. */
class UpstreamSource implements InputSource<number> {
  readonly name = 'upstream:events';
  connected = true;
  lastResponseMs?: number;
  waiting = false;
  private ctx: InputContext | undefined;
  private releaseCapture: (() => void) | undefined;

  constructor(private readonly hangAt = -1) {}

  start(ctx: InputContext): void {
    this.ctx = ctx;
  }

  async generate(batchTimeMs: number): Promise<InputBatch<number>> {
    if (batchTimeMs === this.hangAt) {
      this.waiting = true;
      await new Promise<void>((resolve) => {
        this.releaseCapture = resolve;
      });
    }
    if (!this.ctx) throw new Error('not started');
    return { rdd: RDD.parallelize(this.ctx.rddEnv, [1, 2], 1), numRecords: 2 };
  }

  release(): void {
    this.releaseCapture?.();
  }

  stop(): void {}
}

/** A context on a manual clock with the source and a queue, and its listener's registry. */
function setup(source: UpstreamSource) {
  const { ssc, clock } = manualContext({ appName: 'live', batchIntervalMs: 1000 }, 0);
  ssc.inputStream(source).foreachRDD(() => {});
  ssc.queueStream<number>([]).foreachRDD(() => {});
  const metrics = new MetricsRegistry('live');
  const listener = new PrometheusListener(metrics.registry, ssc, '1.0.0');
  ssc.addStreamingListener(listener);
  const series = async (name: string) => {
    const metric = metrics.registry.getSingleMetric(name);
    if (!metric) throw new Error(`${name} is not registered`);
    return (await metric.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
  };
  const value = async (name: string, labels: Record<string, string> = {}) =>
    (await series(name)).find((s) =>
      Object.entries({ app: 'live', ...labels }).every(([k, v]) => s.labels[k] === v),
    )?.value;
  return { ssc, clock, listener, series, value };
}

describe('live metrics', () => {
  it('the overdue next batch grows at every scrape while its capture hangs, and the generation delay follows', async () => {
    const source = new UpstreamSource(2000);
    const { ssc, clock, series, value } = setup(source);
    const run = await startManual(ssc, clock);
    await run.step();
    expect(await value('sidestream_next_batch_overdue_seconds')).toBe(0);
    expect(await value('sidestream_last_batch_generation_delay_seconds')).toBe(0);
    clock.advance(1000);
    await waitFor(() => source.waiting, 5000, 'the capture of 2000');
    clock.advance(3000);
    expect(await value('sidestream_next_batch_overdue_seconds')).toBe(3);
    clock.advance(4000);
    expect(await value('sidestream_next_batch_overdue_seconds')).toBe(7);
    source.release();
    await waitFor(() => run.completed.length >= 2, 5000, 'batch 2000');
    await waitFor(() => run.completed.some((b) => b.batchTime === 8000), 5000, 'the batches due meanwhile');
    expect(await value('sidestream_next_batch_overdue_seconds')).toBe(0);
    // The histogram saw every batch, 2000 (7 s late) and 3000 (6 s) above the 5 s bucket; the
    // last-batch gauge is the newest completed batch's.
    const histogram = await series('sidestream_batch_generation_delay_seconds');
    const bucket = (le: string) => histogram.find((s) => String(s.labels.le) === le)?.value;
    expect(bucket('+Inf')).toBe(run.completed.length);
    expect((bucket('+Inf') ?? 0) - (bucket('5') ?? 0)).toBe(2);
    const newest = run.completed.at(-1);
    expect(await value('sidestream_last_batch_generation_delay_seconds')).toBe(
      (newest?.generationDelayMs ?? Number.NaN) / 1000,
    );
    expect(run.completed.find((b) => b.batchTime === 2000)?.generationDelayMs).toBe(7000);
  });

  it('each input with an upstream has a connection series read at scrape time; a queue has none', async () => {
    const source = new UpstreamSource();
    const { ssc, clock, series, value } = setup(source);
    // Before any batch or event: the processed counter of each declared input stands at 0.
    expect(await value('sidestream_records_processed_total', { stream: 'upstream:events' })).toBe(0);
    expect(await value('sidestream_records_processed_total', { stream: 'queue' })).toBe(0);
    await startManual(ssc, clock);
    expect(await series('sidestream_input_connected')).toEqual([
      { labels: { app: 'live', stream: 'upstream:events' }, value: 1 },
    ]);
    expect(await series('sidestream_input_last_response_timestamp_seconds')).toEqual([]);
    source.connected = false;
    source.lastResponseMs = 12_500;
    expect(await value('sidestream_input_connected', { stream: 'upstream:events' })).toBe(0);
    expect(
      await value('sidestream_input_last_response_timestamp_seconds', { stream: 'upstream:events' }),
    ).toBe(12.5);
  });

  it('committed lag: set from the event when it carries it, absent otherwise, gone with the partition', async () => {
    const { listener, value } = setup(new UpstreamSource());
    const post = (e: SourceEvent) => listener.onSourceEvent(e);
    const lag = {
      type: 'partition-lag',
      streamId: 0,
      stream: 'kafka:events',
      topic: 'events',
      partition: 3,
    } as const;
    const p3 = { topic: 'events', partition: '3' };
    // Planned up to the high watermark, but the batch is not committed: planned lag 0, committed 60.
    post({
      ...lag,
      batchTime: 1000,
      records: 0,
      seconds: 0,
      highWatermark: 160,
      committedOffset: 100,
      committedLagRecords: 60,
      committedLagSeconds: 4.5,
    });
    expect(await value('sidestream_kafka_consumer_lag_records', p3)).toBe(0);
    expect(await value('sidestream_kafka_committed_lag_records', p3)).toBe(60);
    expect(await value('sidestream_kafka_committed_lag_seconds', p3)).toBe(4.5);
    post({ ...lag, batchTime: 2000, records: 0, highWatermark: 160, committedOffset: 160 });
    expect(await value('sidestream_kafka_committed_lag_records', p3)).toBeUndefined();
    expect(await value('sidestream_kafka_committed_lag_seconds', p3)).toBeUndefined();
    post({
      ...lag,
      batchTime: 3000,
      records: 0,
      highWatermark: 170,
      committedOffset: 160,
      committedLagRecords: 10,
    });
    expect(await value('sidestream_kafka_committed_lag_records', p3)).toBe(10);
    post({
      type: 'rebalance',
      streamId: 0,
      stream: 'kafka:events',
      assigned: [],
      revoked: [{ topic: 'events', partition: 3 }],
    });
    expect(await value('sidestream_kafka_committed_lag_records', p3)).toBeUndefined();
  });

  it('a partition whose batches are planned to the end but never committed stalls (the planned lag reads 0)', async () => {
    const { listener, value } = setup(new UpstreamSource());
    for (let i = 1; i <= 10; i++) {
      listener.onSourceEvent({
        type: 'partition-lag',
        streamId: 0,
        stream: 'kafka:events',
        batchTime: i * 1000,
        topic: 'events',
        partition: 0,
        records: 0,
        highWatermark: 500,
        committedOffset: 200,
      });
    }
    const status = (s: string) =>
      value('sidestream_kafka_partition_status', { topic: 'events', partition: '0', status: s });
    expect(await status('stall')).toBe(1);
    expect(await status('ok')).toBe(0);
  });

  it('stop shows at a scrape while no batch completes (generation stuck on a frozen upstream)', async () => {
    const source = new UpstreamSource(2000);
    const { ssc, clock, listener, value } = setup(source);
    const run = await startManual(ssc, clock);
    listener.onSourceEvent({
      type: 'partition-lag',
      streamId: 0,
      stream: 'kafka:events',
      batchTime: 1000,
      topic: 'events',
      partition: 0,
      records: 0,
      highWatermark: 300,
      committedOffset: 250,
      committedLagRecords: 50,
    });
    await run.step();
    const stop = () =>
      value('sidestream_kafka_partition_status', { topic: 'events', partition: '0', status: 'stop' });
    expect(await stop()).toBe(0);
    clock.advance(1000);
    await waitFor(() => source.waiting, 5000, 'the capture of 2000');
    // Default threshold: max(30 s, 10 batch intervals); no batch completes meanwhile.
    clock.advance(31_000);
    expect(run.completed).toHaveLength(1);
    expect(await stop()).toBe(1);
    source.release();
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SourceEvent } from '../../src/index.js';
import { METRICS } from '../../src/telemetry/metrics.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { PrometheusListener } from '../../src/telemetry/prometheus-listener.js';
import { section } from '../support/doc-section.js';
import { manualContexts } from '../support/manual-contexts.js';
import { startManual } from '../support/manual-run.js';

const manualContext = manualContexts();

function setup(options: { maxTaskFailures?: number } = {}) {
  const { ssc, clock } = manualContext(
    {
      appName: 'clicks',
      batchIntervalMs: 1000,
      defaultParallelism: 2,
      onBatchFailure: 'continue',
      maxTaskFailures: options.maxTaskFailures ?? 4,
    },
    10_000,
  );
  const metrics = new MetricsRegistry('clicks');
  const listener = new PrometheusListener(metrics.registry, ssc, '1.2.3');
  ssc.addStreamingListener(listener);
  /** The value of one series, or undefined when the series is absent. */
  const value = async (name: string, labels: Record<string, string> = {}) => {
    const metric = metrics.registry.getSingleMetric(name);
    if (!metric) throw new Error(`${name} is not registered`);
    const wanted = { app: 'clicks', ...labels };
    const found = (await metric.get()).values.find(
      (v) =>
        Object.keys(wanted).length === Object.keys(v.labels).length &&
        Object.entries(wanted).every(([k, x]) => v.labels[k] === x),
    );
    return found?.value;
  };
  return { ssc, clock, metrics, value, listener };
}

/** Metric names the public contract (docs/reference.md) lists; every catalogue entry must be one. */
const CONTRACT_NAMES = new Set(
  [
    ...section(
      readFileSync(new URL('../../docs/reference.md', import.meta.url), 'utf8'),
      'metric-names',
    ).matchAll(/`(sidestream_[a-z0-9_]+)/g),
  ].map((m) => m[1]),
);

describe('metric catalogue', () => {
  it('uses contract names, one entry per name, with units in the names', () => {
    const names = METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of METRICS) {
      expect(CONTRACT_NAMES.has(m.name), m.name).toBe(true);
      if (m.type === 'counter') expect(m.name).toMatch(/_total$/);
      if (m.unit === 'seconds') expect(m.name).toMatch(/_seconds$/);
      expect(m.labelNames as readonly string[]).not.toContain('app');
      expect(m.help.length).toBeGreaterThan(10);
    }
  });

  it('is exactly what the listener registers', () => {
    const { metrics } = setup();
    const registered = metrics.registry
      .getMetricsAsArray()
      .map((m) => m.name)
      .filter((n) => n.startsWith('sidestream_'))
      .sort();
    expect(registered).toEqual(METRICS.map((m) => m.name).sort());
  });
});

describe('PrometheusListener', () => {
  it('starts with real zeros for counters and no last-batch values', async () => {
    const { value } = setup();
    expect(await value('sidestream_build_info', { version: '1.2.3' })).toBe(1);
    expect(await value('sidestream_batch_interval_seconds')).toBe(1);
    expect(await value('sidestream_batches_total', { outcome: 'succeeded' })).toBe(0);
    expect(await value('sidestream_batches_total', { outcome: 'failed' })).toBe(0);
    expect(await value('sidestream_batches_waiting')).toBe(0);
    expect(await value('sidestream_last_batch_records')).toBeUndefined();
    expect(await value('sidestream_last_completed_batch_timestamp_seconds')).toBeUndefined();
  });

  it('records each completed batch once, with task attempts by outcome', async () => {
    const { ssc, clock, value, metrics } = setup();
    let calls = 0;
    ssc
      .queueStream([
        [1, 2, 3, 4],
        [5, 6],
      ])
      .foreachRDD(async (rdd) => {
        await rdd.foreachPartition(() => {
          if (calls++ === 0) throw new RangeError('flaky');
        });
      });
    const run = await startManual(ssc, clock);
    const [first] = await run.step();
    expect(first!.tasks).toEqual({ total: 2, failed: 1, retried: 1 });
    expect(await value('sidestream_batches_total', { outcome: 'succeeded' })).toBe(1);
    expect(await value('sidestream_last_batch_records')).toBe(4);
    expect(await value('sidestream_records_processed_total', { stream: 'queue' })).toBe(4);
    expect(await value('sidestream_tasks_total', { outcome: 'succeeded' })).toBe(2);
    expect(await value('sidestream_tasks_total', { outcome: 'failed' })).toBe(1);
    expect(await value('sidestream_task_failures_total', { error_type: 'RangeError' })).toBe(1);
    expect(await value('sidestream_last_completed_batch_timestamp_seconds')).toBe(
      first!.processingEndTime / 1000,
    );
    expect(await value('sidestream_last_batch_total_delay_seconds')).toBe(first!.totalDelayMs / 1000);

    await run.step();
    expect(await value('sidestream_batches_total', { outcome: 'succeeded' })).toBe(2);
    expect(await value('sidestream_records_processed_total', { stream: 'queue' })).toBe(6);
    expect(await value('sidestream_last_batch_records')).toBe(2);
    const text = (await metrics.render()).body;
    expect(text).toMatch(/^sidestream_batch_total_delay_seconds_count\{app="clicks"\} 2$/m);
    // A queue has no event times, so there is no lag series rather than a made-up one.
    expect(text).not.toMatch(/^sidestream_last_batch_event_time_lag_\w+\{/m);
  });

  it('counts a batch whose task exhausted its retries as failed', async () => {
    const { ssc, clock, value } = setup({ maxTaskFailures: 2 });
    ssc.queueStream([[1]]).foreachRDD(async (rdd) => {
      await rdd.foreachPartition((items) => {
        if (items.length > 0) throw new TypeError('always');
      });
    });
    const run = await startManual(ssc, clock);
    const [b] = await run.step();
    expect(b!.outcome).toBe('failed');
    expect(await value('sidestream_batches_total', { outcome: 'failed' })).toBe(1);
    // Two partitions: the empty one succeeds at once, the other fails both attempts.
    expect(await value('sidestream_tasks_total', { outcome: 'failed' })).toBe(2);
    expect(await value('sidestream_tasks_total', { outcome: 'succeeded' })).toBe(b!.tasks.total - 1);
    expect(await value('sidestream_task_failures_total', { error_type: 'TypeError' })).toBe(2);
  });

  it('sets the event-time lag gauges of inputs that carry event times', async () => {
    const { ssc, clock, value } = setup();
    ssc.generatorStream({ ratePerSec: 100, eventTimeLagMs: 500 }).foreachRDD(async (rdd) => {
      await rdd.count();
    });
    const run = await startManual(ssc, clock);
    const [b] = await run.step();
    const lag = b!.inputs[0]!.eventTimeLagMs!;
    expect(await value('sidestream_last_batch_event_time_lag_avg_seconds', { stream: 'generator' })).toBe(
      lag.avg / 1000,
    );
    expect(await value('sidestream_last_batch_event_time_lag_max_seconds', { stream: 'generator' })).toBe(
      lag.max / 1000,
    );
    expect(lag.avg).toBeGreaterThanOrEqual(500);
  });
});

describe('PrometheusListener and source events', () => {
  it('counts rejected records, keeps partition lag, and drops a revoked partition’s series', async () => {
    const { value, listener } = setup();
    const post = (e: SourceEvent) => listener.onSourceEvent(e);
    const stream = 'kafka:events';
    const reject = {
      type: 'record-error',
      streamId: 0,
      stream,
      topic: 'events',
      partition: 1,
      reason: 'bad',
    } as const;
    post({ ...reject, offset: 5, errorType: 'SyntaxError', deadLettered: false });
    post({ ...reject, offset: 9, errorType: 'SyntaxError', deadLettered: true });
    expect(await value('sidestream_record_errors_total', { stream, error_type: 'SyntaxError' })).toBe(2);
    const lag = { type: 'partition-lag', streamId: 0, stream, topic: 'events', partition: 1 } as const;
    post({ ...lag, batchTime: 1000, records: 40, seconds: 12.5, highWatermark: 140, committedOffset: 90 });
    const p1 = { topic: 'events', partition: '1' };
    expect(await value('sidestream_kafka_consumer_lag_records', p1)).toBe(40);
    expect(await value('sidestream_kafka_consumer_lag_seconds', p1)).toBe(12.5);
    expect(await value('sidestream_kafka_committed_offset', p1)).toBe(90);
    expect(await value('sidestream_kafka_high_watermark', p1)).toBe(140);
    // Unknown age: the seconds series goes away rather than showing a stale or made-up value.
    post({ ...lag, batchTime: 2000, records: 10, highWatermark: 150, committedOffset: 140 });
    expect(await value('sidestream_kafka_consumer_lag_seconds', p1)).toBeUndefined();
    expect(await value('sidestream_kafka_consumer_lag_records', p1)).toBe(10);
    post({
      type: 'rebalance',
      streamId: 0,
      stream,
      assigned: [],
      revoked: [{ topic: 'events', partition: 1 }],
    });
    expect(await value('sidestream_kafka_rebalances_total')).toBe(1);
    expect(await value('sidestream_kafka_consumer_lag_records', p1)).toBeUndefined();
    expect(await value('sidestream_kafka_committed_offset', p1)).toBeUndefined();
  });
});

describe('PrometheusListener: ingestion, durability, backpressure and Kafka status', () => {
  it('maps receiver, block, WAL and checkpoint events', async () => {
    const { value, listener, metrics } = setup();
    const stream = 'socket:127.0.0.1:9999';
    expect(await value('sidestream_receivers_active')).toBe(0);
    listener.onReceiverStarted({ streamId: 3, name: stream });
    expect(await value('sidestream_receivers_active')).toBe(1);
    expect(await value('sidestream_records_received_total', { stream })).toBe(0);
    expect(await value('sidestream_receiver_errors_total', { stream })).toBe(0);
    listener.onBlockStored({ streamId: 3, name: stream, numRecords: 120, bytes: 4000, durable: true });
    listener.onBlockStored({ streamId: 3, name: stream, numRecords: 30, bytes: 900, durable: true });
    expect(await value('sidestream_records_received_total', { stream })).toBe(150);
    listener.onReceiverError({ streamId: 3, name: stream, message: 'ECONNRESET' });
    expect(await value('sidestream_receiver_errors_total', { stream })).toBe(1);
    listener.onReceiverStopped({ streamId: 3, name: stream, message: 'stop' });
    expect(await value('sidestream_receivers_active')).toBe(0);

    expect(await value('sidestream_wal_errors_total', { log: 'receiver-data' })).toBeUndefined();
    listener.onWalWritten({ log: 'receiver-data', records: 120, bytes: 4096, durationMs: 3 });
    listener.onWalWritten({ log: 'receiver-data', records: 30, bytes: 1024, durationMs: 700 });
    expect(await value('sidestream_wal_writes_total')).toBe(2);
    expect(await value('sidestream_wal_bytes_total')).toBe(5120);
    expect(await value('sidestream_wal_errors_total', { log: 'receiver-data' })).toBe(0);
    listener.onWalError({ log: 'block-journal', op: 'recover', message: 'torn tail', droppedBytes: 17 });
    expect(await value('sidestream_wal_errors_total', { log: 'block-journal' })).toBe(1);
    const text = (await metrics.render()).body;
    expect(text).toMatch(/^sidestream_wal_write_duration_seconds_count\{app="clicks"\} 2$/m);
    expect(text).toMatch(/^sidestream_wal_write_duration_seconds_bucket\{le="0.005",app="clicks"\} 1$/m);
    expect(text).toMatch(/^sidestream_wal_write_duration_seconds_sum\{app="clicks"\} 0.703$/m);

    expect(await value('sidestream_last_checkpoint_timestamp_seconds')).toBeUndefined();
    listener.onCheckpointWritten({ batchTime: 5000, time: 5200, bytes: 300, durationMs: 4 });
    expect(await value('sidestream_checkpoints_total', { outcome: 'succeeded' })).toBe(1);
    expect(await value('sidestream_checkpoints_total', { outcome: 'failed' })).toBe(0);
    expect(await value('sidestream_last_checkpoint_timestamp_seconds')).toBe(5.2);
    listener.onCheckpointFailed({ batchTime: 6000, message: 'ENOSPC' });
    expect(await value('sidestream_checkpoints_total', { outcome: 'failed' })).toBe(1);
    expect(await value('sidestream_last_checkpoint_timestamp_seconds')).toBe(5.2);
  });

  it('sets the rate limit, counts assigned partitions, and keeps one status per partition', async () => {
    const { value, listener } = setup();
    const stream = 'kafka:events';
    const post = (e: SourceEvent) => listener.onSourceEvent(e);
    expect(await value('sidestream_rate_limit_records_per_second', { stream })).toBeUndefined();
    post({ type: 'rate-changed', streamId: 0, stream, ratePerSec: 1250 });
    expect(await value('sidestream_rate_limit_records_per_second', { stream })).toBe(1250);
    const tp = (partition: number) => ({ topic: 'events', partition });
    post({ type: 'rebalance', streamId: 0, stream, assigned: [tp(0), tp(1), tp(2)], revoked: [] });
    expect(await value('sidestream_kafka_assigned_partitions')).toBe(3);
    const lag = (batchTime: number, committedOffset: number, records: number) =>
      post({
        type: 'partition-lag',
        streamId: 0,
        stream,
        batchTime,
        topic: 'events',
        partition: 1,
        records,
        highWatermark: committedOffset + records,
        committedOffset,
      });
    const status = async (s: string) =>
      value('sidestream_kafka_partition_status', { topic: 'events', partition: '1', status: s });
    lag(1000, 100, 5);
    expect(await status('ok')).toBe(1);
    for (const s of ['warn', 'stall', 'stop', 'rewind']) expect(await status(s)).toBe(0);
    // Ten samples (the default window) with the offset stuck and records waiting: stall.
    for (let i = 1; i < 10; i++) lag(1000 + i * 1000, 100, 5 + i);
    expect(await status('stall')).toBe(1);
    expect(await status('ok')).toBe(0);
    lag(11_000, 90, 20);
    expect(await status('rewind')).toBe(1);
    expect(await status('stall')).toBe(0);
    post({ type: 'rebalance', streamId: 0, stream, assigned: [], revoked: [tp(1), tp(2)] });
    expect(await value('sidestream_kafka_assigned_partitions')).toBe(1);
    for (const s of ['ok', 'warn', 'stall', 'stop', 'rewind']) expect(await status(s)).toBeUndefined();
  });

  it('turns a partition that stopped getting batches into stop at a later batch completion', async () => {
    const { ssc, clock, value, listener } = setup();
    ssc.queueStream([[1], [2], [3]]).foreachRDD(async (rdd) => {
      await rdd.count();
    });
    const run = await startManual(ssc, clock);
    listener.onSourceEvent({
      type: 'partition-lag',
      streamId: 9,
      stream: 'kafka:events',
      batchTime: clock.now(),
      topic: 'events',
      partition: 0,
      records: 50,
      highWatermark: 150,
      committedOffset: 100,
    });
    const stop = () =>
      value('sidestream_kafka_partition_status', { topic: 'events', partition: '0', status: 'stop' });
    await run.step();
    expect(await stop()).toBe(0);
    // Default threshold: max(30 s, 10 batch intervals) = 30 s without a lag sample.
    clock.advance(31_000);
    await run.step();
    expect(await stop()).toBe(1);
  });

  it('adds each batch’s event-time lag histogram, bucketed by the engine, once per batch', async () => {
    const { ssc, clock, metrics } = setup();
    ssc.generatorStream({ ratePerSec: 100, eventTimeLagMs: 60_000 }).foreachRDD(async (rdd) => {
      await rdd.count();
    });
    const run = await startManual(ssc, clock);
    const [b1] = await run.step();
    const [b2] = await run.step();
    const text = (await metrics.render()).body;
    const n = b1!.inputs[0]!.numRecords + b2!.inputs[0]!.numRecords;
    expect(n).toBeGreaterThan(0);
    expect(text).toMatch(
      new RegExp(`^sidestream_event_time_lag_seconds_count\\{app="clicks",stream="generator"\\} ${n}$`, 'm'),
    );
    // 60 s plus at most one batch interval: all in (30, 120].
    expect(text).toMatch(
      /^sidestream_event_time_lag_seconds_bucket\{le="30",app="clicks",stream="generator"\} 0$/m,
    );
    expect(text).toMatch(
      new RegExp(
        `^sidestream_event_time_lag_seconds_bucket\\{le="120",app="clicks",stream="generator"\\} ${n}$`,
        'm',
      ),
    );
    const sum = Number(
      /^sidestream_event_time_lag_seconds_sum\{app="clicks",stream="generator"\} (\S+)$/m.exec(text)![1],
    );
    const expected =
      (b1!.inputs[0]!.eventTimeLagMs!.avg * b1!.inputs[0]!.numRecords +
        b2!.inputs[0]!.eventTimeLagMs!.avg * b2!.inputs[0]!.numRecords) /
      1000;
    expect(sum).toBeCloseTo(expected, 6);
  });
});

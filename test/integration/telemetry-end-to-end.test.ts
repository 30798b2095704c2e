/**
 * Telemetry end to end: one agent run (child process, test/integration/fixtures/lagged-generator.ts:
 * generator input with event times 60 s in the past, five 1 s batches, then the input stops), a
 * REAL Prometheus scraping it every second and the REAL carbon-cache receiving its Graphite
 * points. After the input stops, every counter and last-batch gauge the run can produce has the
 * same value in Prometheus (query API), in whisper (whisper-fetch, at the last batch's second)
 * and, where the batch records carry it, in GET /api/batches; the average event-time lag is 60 s
 * plus at most one batch interval in all three. Catalogue metrics the run cannot produce are
 * listed with the reason, so the list covers the catalogue.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CompletedBatchRecord } from '../../src/events/index.js';
import { graphiteName } from '../../src/telemetry/graphite-naming.js';
import { METRICS, type MetricName, metricSpec } from '../../src/telemetry/metrics.js';
import { requirePrometheus } from '../support/prometheus.js';
import { scrapedAgent } from '../support/scraped-agent.js';
import { GRAPHITE_HOST, GRAPHITE_PORT, requireGraphite } from '../support/services.js';
import { eventually, whisperPoints } from '../support/whisper.js';
import { BATCHES } from './fixtures/lagged-generator.js';

const JOB = fileURLToPath(new URL('./fixtures/lagged-generator.ts', import.meta.url));
const BATCH_INTERVAL_S = 1;
const LAG_S = 60;
/** Scheduling delay and timer jitter on a busy machine, on top of one batch interval. */
const LAG_SLACK_S = 1;
const STREAM = 'generator';

const hasServices = (await requirePrometheus()) && (await requireGraphite());

/** One series compared across the three places. */
interface Case {
  readonly metric: MetricName;
  readonly labels?: Readonly<Record<string, string>>;
  /** Histograms: which statistic (Prometheus `_count`; Graphite `.count`). */
  readonly stat?: 'count';
  /** The value the batch records give; undefined when they do not carry it (compared P vs G only). */
  readonly fromBatches?: (b: readonly CompletedBatchRecord[]) => number;
}

const last = (b: readonly CompletedBatchRecord[]) => b.at(-1)!;
const processed = (b: readonly CompletedBatchRecord[]) =>
  b.flatMap((x) => x.inputs).reduce((n, i) => n + i.numRecords, 0);

const CASES: readonly Case[] = [
  {
    metric: 'sidestream_batches_total',
    labels: { outcome: 'succeeded' },
    fromBatches: (b) => b.filter((x) => x.outcome === 'succeeded').length,
  },
  {
    metric: 'sidestream_batches_total',
    labels: { outcome: 'failed' },
    fromBatches: (b) => b.filter((x) => x.outcome === 'failed').length,
  },
  { metric: 'sidestream_records_processed_total', labels: { stream: STREAM }, fromBatches: processed },
  {
    metric: 'sidestream_tasks_total',
    labels: { outcome: 'succeeded' },
    fromBatches: (b) =>
      b.reduce((n, x) => n + x.tasks.total - Math.max(0, x.tasks.failed - x.tasks.retried), 0),
  },
  {
    metric: 'sidestream_tasks_total',
    labels: { outcome: 'failed' },
    fromBatches: (b) => b.reduce((n, x) => n + x.tasks.failed, 0),
  },
  // The generator never fails; its failure counter exists from its first batch, at a real 0.
  { metric: 'sidestream_input_errors_total', labels: { stream: STREAM }, fromBatches: () => 0 },
  { metric: 'sidestream_kafka_rebalances_total' },
  { metric: 'sidestream_exporter_errors_total', labels: { exporter: 'graphite' } },
  { metric: 'sidestream_batch_interval_seconds', fromBatches: () => BATCH_INTERVAL_S },
  { metric: 'sidestream_receivers_active', fromBatches: () => 0 },
  { metric: 'sidestream_restarts_total', fromBatches: () => 0 }, // not supervised
  { metric: 'sidestream_last_batch_records', fromBatches: (b) => last(b).numRecords },
  {
    metric: 'sidestream_last_batch_scheduling_delay_seconds',
    fromBatches: (b) => last(b).schedulingDelayMs / 1000,
  },
  {
    metric: 'sidestream_last_batch_processing_delay_seconds',
    fromBatches: (b) => last(b).processingDelayMs / 1000,
  },
  { metric: 'sidestream_last_batch_total_delay_seconds', fromBatches: (b) => last(b).totalDelayMs / 1000 },
  {
    metric: 'sidestream_last_batch_generation_delay_seconds',
    fromBatches: (b) => last(b).generationDelayMs / 1000,
  },
  {
    metric: 'sidestream_last_completed_batch_timestamp_seconds',
    fromBatches: (b) => last(b).processingEndTime / 1000,
  },
  {
    metric: 'sidestream_last_batch_event_time_lag_avg_seconds',
    labels: { stream: STREAM },
    fromBatches: (b) => last(b).inputs[0]!.eventTimeLagMs!.avg / 1000,
  },
  {
    metric: 'sidestream_last_batch_event_time_lag_max_seconds',
    labels: { stream: STREAM },
    fromBatches: (b) => last(b).inputs[0]!.eventTimeLagMs!.max / 1000,
  },
  { metric: 'sidestream_batch_scheduling_delay_seconds', stat: 'count', fromBatches: (b) => b.length },
  { metric: 'sidestream_batch_processing_delay_seconds', stat: 'count', fromBatches: (b) => b.length },
  { metric: 'sidestream_batch_total_delay_seconds', stat: 'count', fromBatches: (b) => b.length },
  { metric: 'sidestream_batch_generation_delay_seconds', stat: 'count', fromBatches: (b) => b.length },
  {
    metric: 'sidestream_event_time_lag_seconds',
    labels: { stream: STREAM },
    stat: 'count',
    fromBatches: processed,
  },
];

/** Catalogue metrics this run cannot produce, and why. */
const NOT_PRODUCED: Partial<Record<MetricName, string>> = {
  sidestream_build_info: 'an info series (version label), not a count; checked by the listener tests',
  sidestream_batches_waiting: 'read at scrape time: the held batch keeps later ones waiting, so it grows',
  sidestream_next_batch_overdue_seconds:
    'read at scrape time, a few milliseconds at most: only processing is held, generation keeps up',
  sidestream_input_connected: 'the generator has no upstream, so no connection series',
  sidestream_input_last_response_timestamp_seconds: 'the generator has no upstream',
  sidestream_task_failures_total: 'no task fails in this run, so no error_type series exists',
  sidestream_record_errors_total: 'the generator has no decoder, so no record is rejected',
  sidestream_records_received_total: 'the generator is not a receiver',
  sidestream_receiver_errors_total: 'the generator is not a receiver',
  sidestream_rate_limit_records_per_second: 'no backpressure without a Kafka input',
  sidestream_kafka_consumer_lag_records: 'no Kafka input',
  sidestream_kafka_consumer_lag_seconds: 'no Kafka input',
  sidestream_kafka_committed_lag_records: 'no Kafka input',
  sidestream_kafka_committed_lag_seconds: 'no Kafka input',
  sidestream_kafka_committed_offset: 'no Kafka input',
  sidestream_kafka_high_watermark: 'no Kafka input',
  sidestream_kafka_partition_status: 'no Kafka input',
  sidestream_kafka_assigned_partitions: 'no Kafka input',
  sidestream_wal_writes_total: 'no write-ahead log without a receiver and a checkpoint directory',
  sidestream_wal_bytes_total: 'no write-ahead log',
  sidestream_wal_write_duration_seconds: 'no write-ahead log',
  sidestream_wal_errors_total: 'no write-ahead log',
  sidestream_checkpoints_total: 'no checkpoint directory in this run',
  sidestream_last_checkpoint_timestamp_seconds: 'no checkpoint directory in this run',
};

describe.runIf(hasServices)('telemetry end to end: Prometheus, Graphite and /api/batches agree', () => {
  const app = `e2e-${Date.now().toString(36)}-${process.pid}`;
  const scraped = scrapedAgent({
    job: JOB,
    app,
    batchInterval: `${BATCH_INTERVAL_S}s`,
    flags: ['--graphite', `tcp://${GRAPHITE_HOST}:${GRAPHITE_PORT}`],
    startTimeoutMs: 40_000,
  });

  it('the case list covers the catalogue', () => {
    const covered = new Set<string>([...CASES.map((c) => c.metric), ...Object.keys(NOT_PRODUCED)]);
    expect(METRICS.map((m) => m.name).filter((n) => !covered.has(n))).toEqual([]);
  });

  it('every counter and last-batch gauge has one value in all three, and the lag is 60 s + at most one interval', async () => {
    const records = await scraped.waitForBatches(BATCHES, 40_000);
    const final = [...records].sort((a, b) => a.batchTime - b.batchTime);
    expect(final).toHaveLength(BATCHES);
    const lastEndS = last(final).processingEndTime / 1000;
    await scraped.waitForScrapesAfter(lastEndS, 20_000);
    expect(await scraped.batches()).toHaveLength(BATCHES);

    const from = Math.floor(final[0]!.batchTime / 1000) - 2;
    const at = Math.floor(last(final).batchTime / 1000);
    /** The last batch's point of a series (its flush is stamped with its batch time). */
    const graphite = (path: string) =>
      eventually(async () => {
        const v = (await whisperPoints(path, from)).get(at);
        if (v === undefined) throw new Error(`${path} has no point at ${at} yet`);
        return v;
      });
    const selector = (labels: Record<string, string>) =>
      Object.entries({ app, ...labels })
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');

    const mismatches: string[] = [];
    for (const c of CASES) {
      const labels = c.labels ?? {};
      const promName = c.stat ? `${c.metric}_${c.stat}` : c.metric;
      const p = await scraped.prometheus().value(`${promName}{${selector(labels)}}`);
      const g = await graphite(graphiteName(metricSpec(c.metric), labels, { app }, c.stat));
      const b = c.fromBatches?.(final);
      const what = `${promName}{${JSON.stringify(labels)}}`;
      if (p !== g) mismatches.push(`${what}: Prometheus ${p}, Graphite ${g}`);
      if (b !== undefined && p !== b) mismatches.push(`${what}: Prometheus ${p}, /api/batches ${b}`);
      if (b === undefined && p !== 0) mismatches.push(`${what}: expected 0 in this run, Prometheus ${p}`);
    }
    expect(mismatches).toEqual([]);

    // Average event-time lag over the run's records, three ways.
    const n = processed(final);
    const fromBatches =
      final.reduce((s, b) => s + b.inputs[0]!.eventTimeLagMs!.avg * b.inputs[0]!.numRecords, 0) / n / 1000;
    const lagSel = selector({ stream: STREAM });
    const fromPrometheus =
      (await scraped.prometheus().value(`sidestream_event_time_lag_seconds_sum{${lagSel}}`)) /
      (await scraped.prometheus().value(`sidestream_event_time_lag_seconds_count{${lagSel}}`));
    const fromGraphite = await graphite(
      graphiteName(metricSpec('sidestream_event_time_lag_seconds'), { stream: STREAM }, { app }, 'avg'),
    );
    const high = LAG_S + BATCH_INTERVAL_S + LAG_SLACK_S;
    for (const [where, avg] of [
      ['/api/batches', fromBatches],
      ['Prometheus', fromPrometheus],
      ['Graphite', fromGraphite],
    ] as const) {
      expect(avg, where).toBeGreaterThanOrEqual(LAG_S);
      expect(avg, where).toBeLessThanOrEqual(high);
    }
    expect(fromPrometheus).toBeCloseTo(fromBatches, 6);
    expect(fromGraphite).toBeCloseTo(fromPrometheus, 6);
  }, 90_000);
});

/**
 * PrometheusListener: turns the engine's listener events into the catalogue's prom-client
 * metrics. It works once per batch (onBatchCompleted) or per failed task attempt, never per
 * record, and it owns no timing of its own: every number comes from the batch record.
 */
import { Counter, Gauge, Histogram, type Registry, type RegistryContentType } from 'prom-client';
import type { SourceEvent } from '../dstream/input-source.js';
import type { CompletedBatchRecord } from '../engine/batch-record.js';
import type { StreamingListener, TaskFailure } from '../engine/streaming-listener.js';
import { type LabelOf, type MetricName, type MetricNameOf, metricSpec } from './metrics.js';

/** What the listener reads from the context besides events. */
export interface MetricsSource {
  readonly appName: string;
  readonly batchIntervalMs: number;
  /** Read at scrape time. */
  readonly batchesWaiting: number;
}

type AnyRegistry = Registry<RegistryContentType>;

function labelNamesOf<N extends MetricName>(name: N): LabelOf<N>[] {
  return ['app', ...metricSpec(name).labelNames] as LabelOf<N>[];
}

function counter<N extends MetricNameOf<'counter'>>(registry: AnyRegistry, name: N): Counter<LabelOf<N>> {
  return new Counter({
    name,
    help: metricSpec(name).help,
    labelNames: labelNamesOf(name),
    registers: [registry],
  });
}

function gauge<N extends MetricNameOf<'gauge'>>(
  registry: AnyRegistry,
  name: N,
  collect?: (g: Gauge<LabelOf<N>>) => void,
): Gauge<LabelOf<N>> {
  return new Gauge({
    name,
    help: metricSpec(name).help,
    labelNames: labelNamesOf(name),
    registers: [registry],
    ...(collect
      ? {
          collect(this: Gauge<LabelOf<N>>) {
            collect(this);
          },
        }
      : {}),
  });
}

function histogram<N extends MetricNameOf<'histogram'>>(
  registry: AnyRegistry,
  name: N,
): Histogram<LabelOf<N>> {
  const spec = metricSpec(name);
  return new Histogram({
    name,
    help: spec.help,
    labelNames: labelNamesOf(name),
    buckets: spec.buckets ? [...spec.buckets] : undefined,
    registers: [registry],
  });
}

/**
 * The exporters' error counter on `registry`, created on first use: the listener registers it so
 * it is scraped from the start, and a push exporter (which only reads the registry otherwise)
 * finds the same instance.
 */
export function exporterErrorsCounter(
  registry: AnyRegistry,
): Counter<LabelOf<'sidestream_exporter_errors_total'>> {
  const existing = registry.getSingleMetric('sidestream_exporter_errors_total');
  if (existing) return existing as Counter<LabelOf<'sidestream_exporter_errors_total'>>;
  return counter(registry, 'sidestream_exporter_errors_total');
}

const seconds = (ms: number) => ms / 1000;

/** Error class names are a small, closed-enough set; the cap guards against odd thrown values. */
const errorTypeLabel = (t: string) => (t.length > 64 ? `${t.slice(0, 61)}...` : t) || 'unknown';

export class PrometheusListener implements StreamingListener {
  private readonly app: string;
  private readonly batches;
  private readonly schedulingDelay;
  private readonly processingDelay;
  private readonly totalDelay;
  private readonly lastSchedulingDelay;
  private readonly lastProcessingDelay;
  private readonly lastTotalDelay;
  private readonly lastRecords;
  private readonly lastCompleted;
  private readonly recordsProcessed;
  private readonly tasks;
  private readonly taskFailures;
  private readonly lagAvg;
  private readonly lagMax;
  private readonly recordErrors;
  private readonly kafkaLagRecords;
  private readonly kafkaLagSeconds;
  private readonly kafkaCommitted;
  private readonly kafkaHighWatermark;
  private readonly kafkaRebalances;

  constructor(registry: AnyRegistry, source: MetricsSource, version: string) {
    const app = source.appName;
    this.app = app;
    gauge(registry, 'sidestream_build_info').set({ app, version }, 1);
    gauge(registry, 'sidestream_batch_interval_seconds').set({ app }, seconds(source.batchIntervalMs));
    gauge(registry, 'sidestream_batches_waiting', (g) => g.set({ app }, source.batchesWaiting));
    this.batches = counter(registry, 'sidestream_batches_total');
    this.schedulingDelay = histogram(registry, 'sidestream_batch_scheduling_delay_seconds');
    this.processingDelay = histogram(registry, 'sidestream_batch_processing_delay_seconds');
    this.totalDelay = histogram(registry, 'sidestream_batch_total_delay_seconds');
    this.lastSchedulingDelay = gauge(registry, 'sidestream_last_batch_scheduling_delay_seconds');
    this.lastProcessingDelay = gauge(registry, 'sidestream_last_batch_processing_delay_seconds');
    this.lastTotalDelay = gauge(registry, 'sidestream_last_batch_total_delay_seconds');
    this.lastRecords = gauge(registry, 'sidestream_last_batch_records');
    this.lastCompleted = gauge(registry, 'sidestream_last_completed_batch_timestamp_seconds');
    this.recordsProcessed = counter(registry, 'sidestream_records_processed_total');
    this.tasks = counter(registry, 'sidestream_tasks_total');
    this.taskFailures = counter(registry, 'sidestream_task_failures_total');
    this.lagAvg = gauge(registry, 'sidestream_last_batch_event_time_lag_avg_seconds');
    this.lagMax = gauge(registry, 'sidestream_last_batch_event_time_lag_max_seconds');
    this.recordErrors = counter(registry, 'sidestream_record_errors_total');
    this.kafkaLagRecords = gauge(registry, 'sidestream_kafka_consumer_lag_records');
    this.kafkaLagSeconds = gauge(registry, 'sidestream_kafka_consumer_lag_seconds');
    this.kafkaCommitted = gauge(registry, 'sidestream_kafka_committed_offset');
    this.kafkaHighWatermark = gauge(registry, 'sidestream_kafka_high_watermark');
    this.kafkaRebalances = counter(registry, 'sidestream_kafka_rebalances_total');
    this.kafkaRebalances.inc({ app }, 0);
    exporterErrorsCounter(registry);
    // Counters of a closed label set start at a real 0 so rate() and increase() work from the
    // first scrape; "last batch" gauges stay absent until a batch has completed.
    for (const outcome of ['succeeded', 'failed'] as const) {
      this.batches.inc({ app, outcome }, 0);
      this.tasks.inc({ app, outcome }, 0);
    }
  }

  onBatchCompleted(batch: CompletedBatchRecord): void {
    const app = this.app;
    this.batches.inc({ app, outcome: batch.outcome });
    this.schedulingDelay.observe({ app }, seconds(batch.schedulingDelayMs));
    this.processingDelay.observe({ app }, seconds(batch.processingDelayMs));
    this.totalDelay.observe({ app }, seconds(batch.totalDelayMs));
    this.lastSchedulingDelay.set({ app }, seconds(batch.schedulingDelayMs));
    this.lastProcessingDelay.set({ app }, seconds(batch.processingDelayMs));
    this.lastTotalDelay.set({ app }, seconds(batch.totalDelayMs));
    this.lastRecords.set({ app }, batch.numRecords);
    this.lastCompleted.set({ app }, seconds(batch.processingEndTime));
    for (const input of batch.inputs) {
      const labels = { app, stream: input.name };
      this.recordsProcessed.inc(labels, input.numRecords);
      if (input.eventTimeLagMs) {
        this.lagAvg.set(labels, seconds(input.eventTimeLagMs.avg));
        this.lagMax.set(labels, seconds(input.eventTimeLagMs.max));
      } else {
        // No event times in this batch: a stale lag would be a made-up value, so drop the series.
        this.lagAvg.remove(labels);
        this.lagMax.remove(labels);
      }
    }
    // Attempts: every failed attempt is one failure; each distinct task ended with one successful
    // attempt unless it exhausted its retries, and those are the failures not followed by a retry.
    const { total, failed, retried } = batch.tasks;
    const exhausted = Math.max(0, failed - retried);
    this.tasks.inc({ app, outcome: 'succeeded' }, Math.max(0, total - exhausted));
    this.tasks.inc({ app, outcome: 'failed' }, failed);
  }

  onSourceEvent(event: SourceEvent): void {
    const app = this.app;
    switch (event.type) {
      case 'record-error':
        this.recordErrors.inc({ app, stream: event.stream, error_type: errorTypeLabel(event.errorType) });
        return;
      case 'partition-lag': {
        const labels = { app, topic: event.topic, partition: String(event.partition) };
        this.kafkaLagRecords.set(labels, event.records);
        if (event.seconds === undefined) this.kafkaLagSeconds.remove(labels);
        else this.kafkaLagSeconds.set(labels, event.seconds);
        this.kafkaCommitted.set(labels, event.committedOffset);
        this.kafkaHighWatermark.set(labels, event.highWatermark);
        return;
      }
      case 'rebalance':
        this.kafkaRebalances.inc({ app });
        // A partition this agent no longer owns has no lag here: its series go, not freeze.
        for (const { topic, partition } of event.revoked) {
          const labels = { app, topic, partition: String(partition) };
          for (const g of [
            this.kafkaLagRecords,
            this.kafkaLagSeconds,
            this.kafkaCommitted,
            this.kafkaHighWatermark,
          ]) {
            g.remove(labels);
          }
        }
        return;
      default:
        return;
    }
  }

  onTaskFailed(failure: TaskFailure): void {
    this.taskFailures.inc({ app: this.app, error_type: errorTypeLabel(failure.errorType) });
  }
}
